// Router kernels as the score of the router and cascade mechanisms, and the two models of
// what their inference costs (FLOPs on the origin's roofline; measured wall time).
#include <gtest/gtest.h>

#include "sim/core/error.hpp"
#include "sim/kernels/router_training.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kScenario = source_dir() / "scenarios" / "learned_router.toml";

std::vector<std::string> cascade_sets(const std::string& cost) {
  return {"workload.limit=1500", "mechanism.name=cascade", "mechanism.cascade.score=kernel",
          "mechanism.cascade.weights=../models/routers/phi3-llama70b-logistic.h5",
          "mechanism.cascade.thresholds=[0.4]", "mechanism.cascade.kernel_cost=" + cost};
}

}  // namespace

TEST(KernelScoring, CascadeEscalatesExactlyWhatTheRouterSendsToTheLlm) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto router = run_scenario_file(d, kScenario, "router", {"workload.limit=1500", "mechanism.router.threshold=0.4"});
  const auto cascade = run_scenario_file(d, kScenario, "cascade", cascade_sets("flops"));
  const auto r_route = read_column<std::int64_t>(router.file, "/requests", "route");
  const auto c_route = read_column<std::int64_t>(cascade.file, "/requests", "route");
  const auto c_esc = read_column<std::int64_t>(cascade.file, "/requests", "escalated");
  ASSERT_EQ(r_route.size(), 1500u);
  ASSERT_EQ(c_route.size(), 1500u);
  std::int64_t large = 0;
  for (std::size_t i = 0; i < r_route.size(); ++i) {
    EXPECT_EQ(r_route[i], c_route[i]) << "request " << i;
    EXPECT_EQ(c_esc[i], c_route[i]) << "request " << i;
    large += r_route[i];
  }
  // The kernel splits the trace: neither all small nor all large.
  EXPECT_GT(large, 150);
  EXPECT_LT(large, 1350);
  EXPECT_DOUBLE_EQ(router.s.quality_mean, cascade.s.quality_mean);
  // The cascade pays the SLM on every request, so it costs more energy than the router.
  EXPECT_GT(cascade.s.energy_per_request_j, router.s.energy_per_request_j);
}

TEST(KernelScoring, FlopsCostIsBitIdenticalAndMeasuredCostIsReported) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto a = run_scenario_file(d, kScenario, "a", cascade_sets("flops"));
  const auto b = run_scenario_file(d, kScenario, "b", cascade_sets("flops"));
  EXPECT_EQ(read_raw(a.file, "/requests"), read_raw(b.file, "/requests"));
  const double flops_overhead = read_column<double>(a.file, "/mechanism", "kernel_overhead_mean_s").at(0);
  EXPECT_EQ(read_column<double>(a.file, "/mechanism", "kernel_cost_measured").at(0), 0.0);
  EXPECT_GT(flops_overhead, 0.0);

  const auto m = run_scenario_file(d, kScenario, "m", cascade_sets("measured"));
  EXPECT_EQ(read_column<double>(m.file, "/mechanism", "kernel_cost_measured").at(0), 1.0);
  const double measured = read_column<double>(m.file, "/mechanism", "kernel_overhead_mean_s").at(0);
  // Hashing a question of ~1,000 characters and a sparse dot product: microseconds of
  // real CPU time, never below 100 ns or above 100 ms.
  EXPECT_GT(measured, 1e-7);
  EXPECT_LT(measured, 0.1);
  // Routing decisions do not depend on the cost model.
  EXPECT_EQ(read_column<std::int64_t>(m.file, "/requests", "route"),
            read_column<std::int64_t>(a.file, "/requests", "route"));
}

TEST(KernelScoring, KernelCascadeNeedsExactlyTwoStagesAndItsWeights) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  auto sets = cascade_sets("flops");
  sets.push_back("mechanism.cascade.stages=[\"slm\", \"slm\", \"llm\"]");
  sets.push_back("mechanism.cascade.thresholds=[0.4, 0.4]");
  try {
    run_scenario_file(d, kScenario, "three", sets);
    FAIL() << "a three-stage kernel cascade was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("mechanism.cascade.score"), std::string::npos) << e.what();
  }
  try {
    run_scenario_file(d, kScenario, "noweights",
                      {"workload.limit=10", "mechanism.name=cascade", "mechanism.cascade.score=kernel"});
    FAIL() << "a kernel cascade without weights was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("mechanism.cascade.weights"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(d.path / "three.h5"));
  EXPECT_FALSE(fs::exists(d.path / "noweights.h5"));
}

TEST(KernelScoring, LearnedRoutersAreJudgedOnQuestionsOutsideTheirTrainingSplit) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto router = kernels::RouterKernel::load(source_dir() / "models" / "routers" / "phi3-llama70b-logistic.h5");
  EXPECT_EQ(router->small(), "Phi-3-mini-4k-instruct");
  EXPECT_EQ(router->large(), "Meta-Llama-3_1-70B-Instruct");
  const auto held = run_scenario_file(d, kScenario, "held", {"workload.limit=3000"});
  const auto mixed = run_scenario_file(d, kScenario, "mixed", {"workload.limit=3000", "mechanism.router.held_out=false"});
  std::size_t trained_on = 0;
  for (const auto id : read_column<std::int64_t>(held.file, "requests", "query_id"))
    ASSERT_TRUE(router->held_out(id)) << "question " << id << " was in the router's training split";
  for (const auto id : read_column<std::int64_t>(mixed.file, "requests", "query_id")) trained_on += !router->held_out(id);
  EXPECT_GT(trained_on, 2000u) << "without held_out the join draws training questions (80 %)";
  const auto cascade = run_scenario_file(d, kScenario, "cascade", cascade_sets("flops"));
  for (const auto id : read_column<std::int64_t>(cascade.file, "requests", "query_id")) ASSERT_TRUE(router->held_out(id));
}

TEST(KernelScoring, WeightsTrainedForOtherColumnsAreAnErrorNamingBoth) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  try {
    run_scenario_file(d, kScenario, "bad", {"workload.limit=10", "mechanism.router.large=slm"});
    FAIL() << "expected an input error";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("mechanism.router.weights"), std::string::npos) << m;
    EXPECT_NE(m.find("'Phi-3-mini-4k-instruct' → 'Meta-Llama-3_1-70B-Instruct'"), std::string::npos) << m;
    EXPECT_NE(m.find("'Phi-3-mini-4k-instruct' → 'Phi-3-mini-4k-instruct'"), std::string::npos) << m;
  }
}
