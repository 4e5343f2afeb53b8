// Roofline predictions against published measurements (docs/CALIBRATION.md). Each case
// loads the real device and model cards, predicts with the same code the simulator runs,
// and checks the error stays inside the tolerance the document states — so the document
// and the code cannot drift apart.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "sim/config/toml_params.hpp"
#include "sim/hardware/latency_model.hpp"
#include "sim/hardware/roofline.hpp"
#include "sim/config/params.hpp"
#include "sim/scenario/scenario.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;

namespace {

DeviceSpec device(const std::string& card) {
  const auto t = toml::parse_file((source_dir() / "models" / "devices" / (card + ".toml")).string());
  return device_from(read_params(t, device_fields(), "devices." + card), card, "devices." + card);
}

ModelCard model(const std::string& card) {
  const auto t = toml::parse_file((source_dir() / "models" / "llms" / (card + ".toml")).string());
  return model_card_from(read_params(t, model_card_fields(), ""), card);
}

/// Relative error of the predicted rate against the measured rate, printed for the doc.
double check(const char* name, double predicted, double measured, double tolerance) {
  const double err = predicted / measured - 1.0;
  std::printf("[calibration] %-44s measured %9.2f predicted %9.2f error %+6.1f%%\n", name, measured, predicted,
              100 * err);
  EXPECT_LE(std::abs(err), tolerance) << name;
  return err;
}

}  // namespace

TEST(Calibration, Phi3MiniDecodeOnPhone) {
  const auto m = model("phi-3-mini");
  const auto d = device("iphone_15_pro");
  // The Phi-3 report's "more than 12 tokens/s" (iPhone 14) is a lower bound: the card meets it.
  const double predicted = 1.0 / decode_step_time(m, d, 128);
  check("Phi-3-mini 4-bit decode, iPhone [tok/s] (> 12)", predicted, 12.0, 1.0);
  EXPECT_GE(predicted, 12.0);
}

TEST(Calibration, AppleOnDevicePrefillAndDecode) {
  const auto m = model("apple-afm-on-device");
  const auto d = device("iphone_15_pro");
  // Calibration points of compute_efficiency (0.6 ms per prompt token) and memory_efficiency
  // (30 tokens/s), docs/CALIBRATION.md.
  check("AFM ~3B prefill, iPhone 15 Pro [tok/s]", 1000.0 / prefill_time(m, d, 1000), 1.0 / 0.6e-3, 0.05);
  check("AFM ~3B decode, iPhone 15 Pro [tok/s]", 1.0 / decode_step_time(m, d, 512), 30.0, 0.05);
}

TEST(Calibration, Llama2_7bDecodeOnA100BatchOne) {
  const auto m = model("llama-2-7b");
  const auto d = device("a100_sxm80");
  check("Llama-2-7B FP16 decode, A100 80GB, batch 1 [tok/s]", 1.0 / decode_step_time(m, d, 64), 100.02, 0.25);
}

TEST(Calibration, Llama7bFp8StaticBatchOnH100) {
  auto m = model("llama-2-7b");
  m.bytes_per_param = 1.0;  // FP8 weights
  // TensorRT-LLM, not vLLM: the datasheet roofline (0.5 / 0.8 of peak, no vLLM 0.11 stack
  // terms of the h100_sxm card).
  auto d = device("h100_sxm");
  d.overlap = Overlap::max;
  d.attention_memory_efficiency = 0;
  d.step_overhead = d.layer_overhead = d.tp_layer_overhead = d.eager_layer_overhead = d.sequence_overhead = 0;
  d.compute_efficiency = 0.5;
  d.memory_efficiency = 0.8;
  d.peak_flops = 1979e12;   // dense FP8 (datasheet)
  const LatencyModel lat(m, d, nullptr);
  // Batch 64, 128 prompt tokens, 128 output tokens, static batch: one prefill of all
  // prompts (emits token 1), then 127 decode steps of 64 sequences.
  IterationLoad pre;
  pre.prefill_seqs = 64;
  pre.prefill_tokens = 64 * 128;
  pre.prefill_attention = 64 * 128 * 64.0;
  pre.prefill_kv_tokens = 64 * 128;
  double t = lat.iteration(pre);
  for (int k = 1; k < 128; ++k) {
    IterationLoad dec;
    dec.decode_seqs = 64;
    dec.decode_context = 64.0 * (128 + k);
    t += lat.iteration(dec);
  }
  check("LLaMA-7B FP8, H100, batch 64, 128/128 [out tok/s]", 64 * 128 / t, 9193.0, 0.25);
}

TEST(Calibration, Llama7bPrefillOnM2Ultra) {
  const auto m = model("llama-2-7b");
  const auto d = device("mac_studio_m2_ultra");
  check("LLaMA-7B F16 prefill pp512, M2 Ultra [tok/s]", 512.0 / prefill_time(m, d, 512), 1265.30, 0.25);
}

TEST(Calibration, Llama7bQ4DecodeOnM2MaxEarlyKernels) {
  auto m = model("llama-2-7b");
  m.bytes_per_param = 3.56 * 1073741824.0 / 6.74e9;  // Q4_0 file: 3.56 GiB
  auto d = device("macbook_pro_m2_max");
  // Validation, outside 25 %: June 2023 Metal kernels (see docs/CALIBRATION.md).
  check("LLaMA-7B Q4_0 decode, M2 Max 30-core, 2023 [tok/s]", 1.0 / decode_step_time(m, d, 128), 1000.0 / 28.0, 1.2);
}
