// Prefix caching wired from a Mooncake trace to the replicas through a scenario: a request
// repeating a cached prefix pays only the prefill of its uncached blocks; hit counts reach
// /requests, /summary and /devices/<name>/summary; off by default.
#include <gtest/gtest.h>

#include <cmath>
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

/// Three requests 100 s apart (each alone on the pool): 2048 prompt tokens = 4 blocks; the
/// second repeats the first's first two blocks, the third repeats all four.
const char* kTrace =
    "{\"timestamp\": 0, \"input_length\": 2048, \"output_length\": 4, \"hash_ids\": [1, 2, 3, 4]}\n"
    "{\"timestamp\": 100000, \"input_length\": 2048, \"output_length\": 4, \"hash_ids\": [1, 2, 7, 8]}\n"
    "{\"timestamp\": 200000, \"input_length\": 2048, \"output_length\": 4, \"hash_ids\": [1, 2, 3, 4]}\n";

struct Fixture {
  TempDir d;
  fs::path trace;
  Fixture() {
    trace = d.path / "conv.jsonl";
    write_file(trace, kTrace);
  }
  std::vector<std::string> sets(bool cache) const {
    return {"workload.format=\"mooncake_jsonl\"", "workload.trace=\"" + trace.string() + "\"",
            "workload.origin=\"cloud\"",  // local: TTFT = queue + prefill iteration
            "mechanism.name=\"large_only\"", "devices.cloud.replicas=1", "deployments.llm.max_prefill_tokens=0",
            std::string("deployments.llm.prefix_cache=") + (cache ? "true" : "false")};
  }
  Scenario load(bool cache, const std::string& name) const {
    LoadOptions opt;
    opt.overrides = sets(cache);
    opt.data_dir = data_dir();
    opt.output = d.path / (name + ".h5");
    return load_scenario(source_dir() / "scenarios" / "edge_cloud_cascade.toml", opt);
  }
};

/// Roofline time of one iteration prefilling `n` tokens after `o` cached ones, alone,
/// as the replica computes it (LatencyModel::iteration + overhead, DeviceSpec::step).
double prefill_iteration(const Scenario& sc, double n, double o) {
  const DeploymentSpec& dep = sc.deployments[sc.deployment_index("llm", {}, "")];
  const DeviceSpec& dev = sc.device(dep.device);
  const LatencyModel lm(dep.model, dev, nullptr);
  IterationLoad l;
  l.prefill_seqs = 1;
  l.prefill_tokens = n;
  l.prefill_attention = n * (o + n / 2);
  l.prefill_kv_tokens = o + n;
  const StepWork w = lm.iteration_work(l);
  return to_seconds(from_seconds(dev.step(w.flops, w.bytes, lm.iteration(l) + dep.batching->iteration_overhead).seconds));
}

}  // namespace

TEST(PrefixServing, RepeatedPrefixPaysOnlyTheUncachedBlocks) {
  COLLABSIM_NEED_DATA(data_dir());
  Fixture f;
  const Scenario sc = f.load(true, "on");
  const RunResult res = run_scenario(sc);
  const fs::path file = res.output;
  const auto ttft = read_column<double>(file, "requests", "ttft_s");
  const auto hit = read_column<std::int64_t>(file, "requests", "prefix_hit_tokens");
  ASSERT_EQ(ttft.size(), 3u);
  // 1st: nothing cached, the whole prompt is prefilled.
  EXPECT_EQ(hit[0], 0);
  EXPECT_NEAR(ttft[0], prefill_iteration(sc, 2048, 0), 1e-9);
  // 2nd: blocks 1, 2 cached (1024 tokens): only the 1024 uncached tokens are prefilled.
  EXPECT_EQ(hit[1], 1024);
  EXPECT_NEAR(ttft[1], prefill_iteration(sc, 1024, 1024), 1e-9);
  EXPECT_LT(ttft[1], ttft[0]);
  // 3rd: all four blocks cached: only the last token is recomputed (vLLM).
  EXPECT_EQ(hit[2], 2047);
  EXPECT_NEAR(ttft[2], prefill_iteration(sc, 1, 2047), 1e-9);
  const double rate = (1024.0 + 2047.0) / (3 * 2048.0);
  EXPECT_NEAR(res.summary.prefix_hit_rate, rate, 1e-12);
  EXPECT_NEAR(read_column<double>(file, "summary", "prefix_hit_rate")[0], rate, 1e-12);
  EXPECT_NEAR(read_column<double>(file, "devices/cloud/summary", "prefix_hit_rate")[0], rate, 1e-12);
  EXPECT_EQ(read_column<double>(file, "devices/cloud/summary", "prefix_hit_tokens")[0], 1024.0 + 2047.0);
}

TEST(PrefixServing, OffByDefaultPrefillsEveryPrompt) {
  COLLABSIM_NEED_DATA(data_dir());
  Fixture f;
  const Scenario sc = f.load(false, "off");
  const RunResult res = run_scenario(sc);
  const auto ttft = read_column<double>(res.output, "requests", "ttft_s");
  ASSERT_EQ(ttft.size(), 3u);
  for (double t : ttft) EXPECT_NEAR(t, prefill_iteration(sc, 2048, 0), 1e-9);
  EXPECT_TRUE(std::isnan(res.summary.prefix_hit_rate));
  H5::H5File h(res.output.string(), H5F_ACC_RDONLY);  // no column, no device fields when off
  EXPECT_THROW(H5::CompType(h.openDataSet("requests")).getMemberIndex("prefix_hit_tokens"), H5::Exception);
}

TEST(PrefixServing, NeedsASharedContinuousPool) {
  Fixture f;
  LoadOptions opt;
  opt.overrides = f.sets(true);
  opt.overrides.push_back("deployments.llm.scheduler=\"fcfs\"");
  opt.data_dir = data_dir();
  opt.output = f.d.path / "bad.h5";
  COLLABSIM_NEED_DATA(data_dir());
  EXPECT_THROW(load_scenario(source_dir() / "scenarios" / "edge_cloud_cascade.toml", opt), InputError);
}

TEST(PrefixServing, PagedKvAdmissionWithPrefixCachingIsAnInputErrorNamingTheKey) {
  Fixture f;
  LoadOptions opt;
  opt.overrides = f.sets(true);
  opt.overrides.push_back("deployments.llm.kv_admission=\"paged\"");
  opt.data_dir = data_dir();
  opt.output = f.d.path / "bad.h5";
  COLLABSIM_NEED_DATA(data_dir());
  try {
    load_scenario(source_dir() / "scenarios" / "edge_cloud_cascade.toml", opt);
    ADD_FAILURE() << "expected an input error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("deployments.llm.kv_admission"), std::string::npos) << e.what();
  }
}
