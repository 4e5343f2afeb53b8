// Heterogeneous pools (deployments.<name>.share_with): an A100 pool and an H100 pool serve
// one model; the speed-aware dispatch (expected_delay) sends more requests to the faster
// H100 and beats least_loaded on mean latency; energy and cost follow each member's card.
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/run_scenario.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

/// 40 requests: bursts of 4 every 20 s (prompt 3000, output 200 tokens).
std::string trace() {
  std::string t;
  for (int i = 0; i < 40; ++i)
    t += "{\"timestamp\": " + std::to_string((i / 4) * 20000) +
         ", \"input_length\": 3000, \"output_length\": 200, \"hash_ids\": []}\n";
  return t;
}

/// The asked deployment `llm` runs on 1 replica of 4×A100 (listed first, so least_loaded
/// prefers it on ties); `llm_h` on 1 replica of 4×H100 shares its requests.
LoadOptions options(const TempDir& d, const std::string& policy) {
  const fs::path file = d.path / "burst.jsonl";
  write_file(file, trace());
  LoadOptions opt;
  opt.overrides = {"workload.format=\"mooncake_jsonl\"", "workload.trace=\"" + file.string() + "\"",
                   "workload.origin=\"cloud\"", "mechanism.name=\"large_only\"", "devices.cloud.card=\"a100_sxm80\"",
                   "devices.cloud.replicas=1", "devices.cloud.price=\"1.5 USD/h\"",
                   "deployments.llm.price_input=\"0 USD/Mtok\"", "deployments.llm.price_output=\"0 USD/Mtok\"",
                   "devices.cloud_h.card=\"h100_sxm\"", "devices.cloud_h.accelerators=4",
                   // both on their datasheet roofline (0.5 / 0.8 of peak, no serving-stack terms):
                   // the H100 is then 1.6x the A100 in decode, enough to tip a burst of 4
                   "devices.cloud_h.overlap=\"max\"", "devices.cloud_h.compute_efficiency=0.5",
                   "devices.cloud_h.memory_efficiency=0.8", "devices.cloud_h.attention_memory_efficiency=0",
                   "devices.cloud_h.step_overhead=\"0 ms\"", "devices.cloud_h.layer_overhead=\"0 ms\"",
                   "devices.cloud_h.tp_layer_overhead=\"0 ms\"", "devices.cloud_h.eager_layer_overhead=\"0 ms\"",
                   "devices.cloud_h.sequence_overhead=\"0 ms\"",
                   "devices.cloud_h.replicas=1", "devices.cloud_h.price=\"3 USD/h\"", "links.dc.from=\"cloud\"",
                   "links.dc.to=\"cloud_h\"", "links.dc.up_bandwidth=\"100 Gbit/s\"",
                   "links.dc.down_bandwidth=\"100 Gbit/s\"", "links.dc.latency=\"0 ms\"",
                   "deployments.llm_h.model=\"llama-3.1-70b\"", "deployments.llm_h.device=\"cloud_h\"",
                   "deployments.llm.share_with=[\"llm_h\"]", "deployments.llm.pool_dispatch=\"" + policy + "\""};
  opt.data_dir = data_dir();
  opt.output = d.path / (policy + ".h5");
  return opt;
}

RunResult run(const TempDir& d, const std::string& policy) {
  return run_scenario(load_scenario(source_dir() / "scenarios" / "edge_cloud_cascade.toml", options(d, policy)));
}

std::int64_t served(const fs::path& f, const std::string& dep) {
  std::int64_t n = 0;
  for (auto t : read_column<std::int64_t>(f, "requests", "tokens_" + dep)) n += t > 0 ? 1 : 0;
  return n;
}

double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }

}  // namespace

TEST(HeterogeneousPool, TheLoaderResolvesMembersAndRuleOnce) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const Scenario sc = load_scenario(source_dir() / "scenarios" / "edge_cloud_cascade.toml", options(d, "expected_delay"));
  const std::size_t llm = sc.deployment_index("llm", {}, ""), llm_h = sc.deployment_index("llm_h", {}, "");
  // Fleet::member reads the pool as indices (the asked deployment first) and the rule's row.
  EXPECT_EQ(sc.deployments[llm].pool, (std::vector<std::size_t>{llm, llm_h}));
  EXPECT_TRUE(sc.deployments[llm_h].pool.empty());
  EXPECT_STREQ(sc.deployments[llm].pool_dispatch->name, "expected_delay");
  EXPECT_EQ(sc.deployments[llm].decode_index, DeploymentSpec::kColocated);
}

TEST(HeterogeneousPool, ExpectedDelaySendsMoreToTheFasterCardAndBeatsLeastLoaded) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const RunResult ll = run(d, "least_loaded"), sed = run(d, "expected_delay");
  const fs::path f_ll = ll.output, f_sed = sed.output;
  EXPECT_EQ(served(f_ll, "llm") + served(f_ll, "llm_h"), 40);
  EXPECT_EQ(served(f_sed, "llm") + served(f_sed, "llm_h"), 40);
  // least_loaded splits each burst evenly (2 + 2, ties to the A100); expected_delay favours the H100.
  EXPECT_EQ(served(f_ll, "llm"), 20);
  EXPECT_GT(served(f_sed, "llm_h"), served(f_sed, "llm"));
  EXPECT_GT(served(f_sed, "llm_h"), served(f_ll, "llm_h"));
  EXPECT_LT(mean(read_column<double>(f_sed, "requests", "latency_s")),
            mean(read_column<double>(f_ll, "requests", "latency_s")));
  EXPECT_EQ(sed.summary.n_ok, 40);
  EXPECT_DOUBLE_EQ(sed.summary.large_share, 1.0);  // both members answer for the large deployment
  // Energy and cost per card: each member's requests carry its device's energy, priced at
  // its device's rate (USD per accelerator-hour × 4 accelerators × attributed time).
  for (const fs::path& f : {f_ll, f_sed}) {
    double cost = 0;
    for (double c : read_column<double>(f, "requests", "cost_usd")) cost += c;
    double expected = 0;
    for (const auto& [dev, usd_h] : {std::pair{"cloud", 1.5}, std::pair{"cloud_h", 3.0}}) {
      double e = 0;
      for (double x : read_column<double>(f, "requests", std::string("energy_") + dev + "_j")) e += x;
      const double busy_j = read_column<double>(f, std::string("devices/") + dev + "/summary", "busy_energy_j")[0];
      EXPECT_NEAR(e, busy_j, 1e-9 * busy_j) << dev;
      EXPECT_GT(busy_j, 0) << dev;
      expected += usd_h / 3600 * 4 * read_column<double>(f, std::string("devices/") + dev + "/summary", "busy_s")[0];
    }
    EXPECT_NEAR(cost, expected, 1e-9 * expected);
  }
}

TEST(HeterogeneousPool, MembersMustServeTheSameModel) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  LoadOptions opt;
  opt.overrides = {"devices.cloud_h.card=\"h100_sxm\"", "devices.cloud_h.accelerators=4", "links.dc.from=\"cloud\"",
                   "links.dc.to=\"cloud_h\"", "links.dc.up_bandwidth=\"100 Gbit/s\"",
                   "links.dc.down_bandwidth=\"100 Gbit/s\"", "links.dc.latency=\"0 ms\"",
                   "deployments.llm_h.model=\"llama-3.1-8b\"", "deployments.llm_h.device=\"cloud_h\"",
                   "deployments.llm.share_with=[\"llm_h\"]"};
  opt.data_dir = data_dir();
  opt.output = d.path / "bad.h5";
  EXPECT_THROW(load_scenario(source_dir() / "scenarios" / "edge_cloud_cascade.toml", opt), InputError);
}
