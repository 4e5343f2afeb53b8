// Prefill/decode disaggregation (deployments.<name>.decode_on): the prefill pool emits the
// first token (TTFT = its prefill), the prompt's KV crosses the link (bytes / bandwidth +
// latency exactly), the decode pool continues; energy and cost land on both pools.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/hardware/latency_model.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/run_scenario.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

/// Two requests 100 s apart (each alone): 2048 prompt tokens, 4 output tokens.
const char* kTrace =
    "{\"timestamp\": 0, \"input_length\": 2048, \"output_length\": 4, \"hash_ids\": [1, 2, 3, 4]}\n"
    "{\"timestamp\": 100000, \"input_length\": 1000, \"output_length\": 4, \"hash_ids\": [9, 10]}\n";

constexpr double kBandwidth = 100e9 / 8;  // bytes/s of "100 Gbit/s"
constexpr double kLatency = 2e-3;         // s

Scenario load(const TempDir& d, const std::string& name, std::vector<std::string> extra = {}) {
  const fs::path trace = d.path / "conv.jsonl";
  write_file(trace, kTrace);
  LoadOptions opt;
  opt.overrides = {"workload.format=\"mooncake_jsonl\"", "workload.trace=\"" + trace.string() + "\"",
                   "workload.origin=\"cloud\"", "mechanism.name=\"large_only\"", "devices.cloud.replicas=1",
                   "deployments.llm.max_prefill_tokens=0", "devices.cloud_d.card=\"h100_sxm\"",
                   "devices.cloud_d.accelerators=4", "devices.cloud_d.replicas=1",
                   "devices.cloud_d.price=\"2 USD/h\"", "links.kv.from=\"cloud\"", "links.kv.to=\"cloud_d\"",
                   "links.kv.up_bandwidth=\"100 Gbit/s\"", "links.kv.down_bandwidth=\"100 Gbit/s\"",
                   "links.kv.latency=\"2 ms\"", "deployments.llm_d.model=\"llama-3.1-70b\"",
                   "deployments.llm_d.device=\"cloud_d\"", "deployments.llm.decode_on=\"llm_d\""};
  opt.overrides.insert(opt.overrides.end(), extra.begin(), extra.end());
  opt.data_dir = data_dir();
  opt.output = d.path / (name + ".h5");
  return load_scenario(source_dir() / "scenarios" / "edge_cloud_cascade.toml", opt);
}

/// Rounded duration (s) of one iteration alone on `dep` with `l`, as the replica computes it.
double iteration(const Scenario& sc, const std::string& dep_name, const IterationLoad& l) {
  const DeploymentSpec& dep = sc.deployments[sc.deployment_index(dep_name, {}, "")];
  const DeviceSpec& dev = sc.device(dep.device);
  const LatencyModel lm(dep.model, dev, nullptr);
  const StepWork w = lm.iteration_work(l);
  return to_seconds(from_seconds(dev.step(w.flops, w.bytes, lm.iteration(l) + dep.batching->iteration_overhead).seconds));
}

}  // namespace

TEST(Disaggregation, TtftIsThePrefillAndDecodeWaitsForTheKvTransfer) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const Scenario sc = load(d, "pd");
  const RunResult res = run_scenario(sc);
  const fs::path f = res.output;
  const auto ttft = read_column<double>(f, "requests", "ttft_s");
  const auto lat = read_column<double>(f, "requests", "latency_s");
  ASSERT_EQ(ttft.size(), 2u);
  const double kv_tok = sc.deployments[sc.deployment_index("llm", {}, "")].model.kv_bytes_per_token();
  const double bpt = sc.workload.bytes_per_token;
  for (std::size_t i = 0; i < 2; ++i) {
    const double p = i == 0 ? 2048 : 1000;
    IterationLoad pre;
    pre.prefill_seqs = 1;
    pre.prefill_tokens = p;
    pre.prefill_attention = p * p / 2;
    pre.prefill_kv_tokens = p;
    // TTFT = the prefill on the prefill pool, which emits the first token (origin = that device).
    EXPECT_NEAR(ttft[i], iteration(sc, "llm", pre), 1e-9) << i;
    // Then the KV transfer: kv_bytes_per_token × prompt / bandwidth + latency ...
    const double transfer = to_seconds(from_seconds(kv_tok * p / kBandwidth)) + to_seconds(from_seconds(kLatency));
    // ... three decode steps on the decode pool at contexts p + 1, p + 2, p + 3 ...
    double decode = 0;
    for (int k = 1; k <= 3; ++k) {
      IterationLoad l;
      l.decode_seqs = 1;
      l.decode_context = p + k;
      decode += iteration(sc, "llm_d", l);
    }
    // ... and the last token's trip back to the origin over the same link.
    const double back = to_seconds(from_seconds(bpt / kBandwidth)) + to_seconds(from_seconds(kLatency));
    EXPECT_NEAR(lat[i] - ttft[i], transfer + decode + back, 1e-8) << i;
    EXPECT_GT(transfer, kLatency);  // the transfer is in there, not only the latency
  }
  // Tokens, energy and cost on both pools: 1 token on the prefill pool, 3 on the decode pool.
  for (auto t : read_column<std::int64_t>(f, "requests", "tokens_llm")) EXPECT_EQ(t, 1);
  for (auto t : read_column<std::int64_t>(f, "requests", "tokens_llm_d")) EXPECT_EQ(t, 3);
  double e_p = 0, e_d = 0;
  for (double e : read_column<double>(f, "requests", "energy_cloud_j")) e_p += e;
  for (double e : read_column<double>(f, "requests", "energy_cloud_d_j")) e_d += e;
  EXPECT_GT(e_p, 0);
  EXPECT_GT(e_d, 0);
  EXPECT_NEAR(e_p, read_column<double>(f, "devices/cloud/summary", "busy_energy_j")[0], 1e-9 * e_p);
  EXPECT_NEAR(e_d, read_column<double>(f, "devices/cloud_d/summary", "busy_energy_j")[0], 1e-9 * e_d);
  // cloud is priced per token (price_input/output on llm), cloud_d per GPU-hour: its
  // device time at 2 USD/h × 4 accelerators adds to the cost.
  const double busy_d = read_column<double>(f, "devices/cloud_d/summary", "busy_s")[0];
  const auto cost = read_column<double>(f, "requests", "cost_usd");
  const double tokens_price = 0.88e-6 * (2048 + 1 + 1000 + 1);  // llm prices its prompt + first token
  const double expected = tokens_price + 2.0 / 3600 * 4 * busy_d;
  EXPECT_NEAR(cost[0] + cost[1], expected, 1e-9 * expected);
}

TEST(Disaggregation, DecodeDeploymentMustRunTheSameModel) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  EXPECT_THROW(load(d, "bad", {"deployments.llm_d.model=\"llama-3.1-8b\""}), InputError);
}
