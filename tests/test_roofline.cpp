// Roofline latency model: closed-form decode sum against the step-by-step sum, and
// hand-computed values.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "sim/core/error.hpp"
#include "sim/hardware/latency_model.hpp"
#include "sim/hardware/roofline.hpp"
#include "sim/scenario/scenario.hpp"
#include "test_support.hpp"

using namespace collabsim;

namespace {
ModelCard llama70() {
  ModelCard m;
  m.params = m.active_params = 70.6e9;
  m.layers = 80;
  m.hidden = 8192;
  m.heads = 64;
  m.kv_heads = 8;
  m.head_dim = 128;
  m.bytes_per_param = 2;
  m.kv_bytes_per_element = 2;
  return m;
}
DeviceSpec h100(int acc) {
  DeviceSpec d;
  d.peak_flops = 989e12;
  d.memory_bandwidth = 3.35e12;
  d.memory = 80e9;
  d.compute_efficiency = 0.5;
  d.memory_efficiency = 0.8;
  d.accelerators = acc;
  return d;
}
}  // namespace

TEST(Roofline, KvBytesPerTokenOfLlama70B) {
  // 2 × 80 layers × 8 KV heads × 128 × 2 bytes = 327,680 bytes per token.
  EXPECT_DOUBLE_EQ(llama70().kv_bytes_per_token(), 327680.0);
}

TEST(Roofline, DecodeStepIsMemoryBoundAtBatchOne) {
  const auto m = llama70();
  const auto d = h100(4);
  // (141.2e9 + 327680·1000) bytes / (4 · 3.35e12 · 0.8) bytes/s
  const double want = (141.2e9 + 327680.0 * 1000) / (4 * 3.35e12 * 0.8);
  EXPECT_NEAR(decode_step_time(m, d, 1000), want, 1e-12);
}

TEST(Roofline, PrefillIsComputeBoundForLongPrompts) {
  const auto m = llama70();
  const auto d = h100(4);
  const double n = 2000;
  const double flops = 2 * 70.6e9 * n + 2 * 80 * n * n * 64 * 128;
  EXPECT_NEAR(prefill_time(m, d, 2000), flops / (4 * 989e12 * 0.5), 1e-12);
}

TEST(Roofline, ClosedFormDecodeMatchesStepSum) {
  // Include a device where decode crosses from memory- to compute-bound (tiny bandwidth
  // share of compute) to exercise both branches.
  const auto m = llama70();
  for (const DeviceSpec& d : {h100(1), h100(8), [] {
                                DeviceSpec x = h100(1);
                                x.peak_flops = 6e12;  // memory-bound, compute-bound past c ≈ 7,600
                                return x;
                              }()}) {
    for (std::int64_t prompt : {0, 1, 100, 3000, 7000}) {
      for (std::int64_t out : {1, 2, 57, 1000}) {
        double sum = 0;
        for (std::int64_t k = 0; k < out; ++k) sum += decode_step_time(m, d, prompt + k);
        EXPECT_NEAR(decode_time(m, d, prompt, out) / sum, 1.0, 1e-9)
            << "prompt " << prompt << " out " << out << " flops " << d.peak_flops;
      }
    }
  }
}

// Serving-stack terms of the vLLM 0.11 cards (issue 25; docs/CALIBRATION.md).
namespace {
DeviceSpec vllm011(int acc) {
  DeviceSpec d = h100(acc);
  d.overlap = Overlap::sum;
  d.attention_memory_efficiency = 0.4;
  d.step_overhead = 0.5e-3;
  d.layer_overhead = 0.05e-3;
  d.tp_layer_overhead = 0.015e-3;
  d.eager_layer_overhead = 0.07e-3;
  d.cuda_graph_max_tokens = 512;
  return d;
}
}  // namespace

TEST(Roofline, SumOverlapAddsComputeAndMemoryWithAttentionBandwidthAndOverheads) {
  const auto m = llama70();
  const auto d = vllm011(4);
  IterationLoad l;
  l.decode_seqs = 100;
  l.decode_context = 100 * 500.0;
  const double flops = 2 * 70.6e9 * 100 + 4.0 * 80 * 64 * 128 * 50000;
  const double kv = 327680.0 * 50000;
  const double want = flops / (4 * 989e12 * 0.5) + 141.2e9 / (4 * 3.35e12 * 0.8) + kv / (4 * 3.35e12 * 0.4) +
                      0.5e-3 + 80 * (0.05e-3 + 0.015e-3);  // 100 tokens: inside the CUDA graph
  EXPECT_NEAR(iteration_time(m, d, nullptr, l), want, 1e-12);
  // One token more than the largest graph pays the eager per-layer cost.
  l.decode_seqs = 513;
  const double t513 = iteration_time(m, d, nullptr, l);
  l.decode_seqs = 512;
  const double t512 = iteration_time(m, d, nullptr, l);
  EXPECT_NEAR(t513 - t512, 2 * 70.6e9 / (4 * 989e12 * 0.5) + 80 * 0.07e-3, 1e-12);
  // A single GPU pays no tensor-parallel term.
  EXPECT_NEAR(step_overhead(m, vllm011(1), nullptr, 1), 0.5e-3 + 80 * 0.05e-3, 1e-15);
}

TEST(Roofline, ClosedFormDecodeMatchesStepSumWithSumOverlap) {
  const auto m = llama70();
  const auto d = vllm011(4);
  double sum = 0;
  for (int c = 300; c < 300 + 200; ++c) sum += decode_step_time(m, d, c);
  EXPECT_NEAR(decode_time(m, d, 300, 200), sum, 1e-9 * sum);
}

// sequence_overhead (issue 25): every sequence of a step pays it, prefill or decode; the
// closed-form batch-1 decode still equals the sum of its steps.
TEST(Roofline, SequenceOverheadIsPaidPerSequenceOfTheStep) {
  const auto m = llama70();
  DeviceSpec d = vllm011(4);
  IterationLoad l;
  l.decode_seqs = 100;
  l.decode_context = 100 * 500.0;
  l.prefill_seqs = 2;
  l.prefill_tokens = 200;
  l.prefill_attention = 2 * 100 * 50.0;
  l.prefill_kv_tokens = 200;
  const double without = iteration_time(m, d, nullptr, l);
  d.sequence_overhead = 30e-6;
  EXPECT_NEAR(iteration_time(m, d, nullptr, l) - without, 102 * 30e-6, 1e-12);
  EXPECT_NEAR(decode_step_time(m, d, 700) - decode_step_time(m, vllm011(4), 700), 30e-6, 1e-12);
  double sum = 0;
  for (int c = 300; c < 300 + 200; ++c) sum += decode_step_time(m, d, c);
  EXPECT_NEAR(decode_time(m, d, 300, 200), sum, 1e-9 * sum);
}

// LatencyModel::DecodeSpan (the steps of a coalesced decode span with the context-free
// parts computed once) gives step()'s bits, on every shipped device card serving the
// default scenario's LLM: decode-only batches as BatchingReplica plans them, and loads with
// a prefill chunk and an extra per-iteration time, so a change of the roofline's formula
// that the span does not follow fails here.
TEST(Roofline, DecodeSpanEqualsStep) {
  COLLABSIM_NEED_DATA(collabsim::testing::data_dir());
  auto same = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  int cards = 0;
  for (const auto& e : std::filesystem::directory_iterator(collabsim::testing::source_dir() / "models" / "devices")) {
    if (e.path().extension() != ".toml") continue;
    LoadOptions lo;
    lo.data_dir = collabsim::testing::data_dir();
    lo.overrides = {"devices.cloud.card=" + e.path().stem().string()};
    Scenario sc;
    try {
      sc = load_scenario(collabsim::testing::source_dir() / "scenarios" / "edge_cloud_cascade.toml", lo);
    } catch (const InputError&) {
      continue;  // a card the scenario cannot use as its cloud (e.g. not enough memory for the model)
    }
    const DeploymentSpec& dep = sc.deployment("llm");
    const LatencyModel lm(dep.model, sc.device(dep.device), nullptr);
    ++cards;
    for (int seqs : {1, 7, 64, 256})
      for (double extra : {0.0, 1.3e-3})
        for (int prefill : {0, 1}) {
          IterationLoad l;
          l.decode_seqs = seqs;
          l.decode_context = 517.0 * seqs;
          if (prefill) {
            l.prefill_seqs = 2;
            l.prefill_tokens = 700;
            l.prefill_attention = 700 * (300 + 350.0);
            l.prefill_kv_tokens = 1000;
          }
          const LatencyModel::DecodeSpan span = lm.decode_span(l, extra);
          for (int k = 0; k < 40; ++k, l.decode_context += seqs) {
            const PowerDraw a = lm.step(l, extra), b = span.step(l.decode_context);
            ASSERT_TRUE(same(a.seconds, b.seconds) && same(a.watts, b.watts))
                << e.path().stem() << ": " << seqs << " sequences, context " << l.decode_context << ", extra " << extra
                << ", prefill " << prefill << ": step " << a.seconds << " s " << a.watts << " W, span " << b.seconds
                << " s " << b.watts << " W";
          }
        }
  }
  EXPECT_GE(cards, 5);
}
