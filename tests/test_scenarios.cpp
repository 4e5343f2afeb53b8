// Every shipped scenario loads, runs on a slice of the real trace, and accounts for every
// request; plus defining behaviours of mechanisms that need a specific scenario.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "sim/study/run_scenario.hpp"
#include "sim/scenario/scenario.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

RunOutput run_file(const TempDir& d, const fs::path& scenario, const std::string& name, std::vector<std::string> sets) {
  return run_scenario_file(d, scenario, name, std::move(sets));
}

}  // namespace

TEST(Scenarios, EveryShippedScenarioRunsAndAccountsForEveryRequest) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  int count = 0;
  for (const auto& e : fs::directory_iterator(source_dir() / "scenarios")) {
    if (e.path().extension() != ".toml") continue;
    ++count;
    const auto o = run_file(d, e.path(), e.path().stem().string(), {"workload.limit=300"});
    EXPECT_EQ(o.s.n_requests, 300) << e.path();
    EXPECT_EQ(o.s.n_ok + o.s.n_failed + o.s.n_timed_out + o.s.n_context_exceeded + o.s.n_out_of_memory, o.s.n_requests)
        << e.path();
    EXPECT_GT(o.s.quality_mean, 0.2) << e.path();
    EXPECT_LT(o.s.quality_mean, 0.9) << e.path();
  }
  EXPECT_GE(count, 12);
}

TEST(Scenarios, FusionMajorityMatchesADirectCountOverThePredictedAnswers) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto o = run_file(d, source_dir() / "scenarios" / "fusion_ensemble.toml", "fusion", {"workload.limit=3000"});
  // Direct count from the CSV: majority letter of the three members, ties to the first.
  std::istringstream in(read_file(data_dir() / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv"));
  std::string line;
  std::getline(in, line);
  auto split = [](const std::string& s) {
    std::vector<std::string> out(1);
    for (char c : s) {
      if (c == ',') out.emplace_back();
      else if (c != '\r') out.back() += c;
    }
    return out;
  };
  const auto header = split(line);
  auto col = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const std::size_t members[3] = {col("Meta-Llama-3_1-70B-Instruct|pred"), col("Mixtral-8x7B-Instruct-v0.1|pred"),
                                   col("Meta-Llama-3_1-8B-Instruct|pred")};
  const std::size_t answer = col("answer");
  std::map<std::int64_t, double> right;
  while (std::getline(in, line)) {
    const auto f = split(line);
    std::map<std::string, int> votes;
    std::map<std::string, int> first;
    for (int m = 0; m < 3; ++m) {
      const auto& p = f[members[m]];
      if (p.empty()) continue;
      ++votes[p];
      first.emplace(p, m);
    }
    std::string best;
    for (const auto& [letter, n] : votes)
      if (best.empty() || n > votes[best] || (n == votes[best] && first[letter] < first[best])) best = letter;
    right[std::stoll(f[0])] = !best.empty() && best == f[answer] ? 1.0 : 0.0;
  }
  const auto qids = read_column<std::int64_t>(o.file, "requests", "query_id");
  const auto quality = read_column<double>(o.file, "requests", "quality");
  double want = 0;
  for (std::size_t i = 0; i < qids.size(); ++i) {
    ASSERT_EQ(quality[i], right.at(qids[i])) << "query " << qids[i];
    want += right.at(qids[i]);
  }
  EXPECT_DOUBLE_EQ(o.s.quality_mean, want / static_cast<double>(qids.size()));
}

TEST(Scenarios, DeidentificationKeepsPrivateTokensOnTheDevice) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // Exact per-request protocol accounting and extremes: the SLM holds every request here
  // (its 4k context window off, an explicit "ignore"; limits are tested in test_run_invariants).
  const auto sc = source_dir() / "scenarios" / "privacy_deidentify.toml";
  const auto pipe = run_file(d, sc, "pipe", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=500"});
  const auto large = run_file(d, sc, "large", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=500", "mechanism.name=large_only"});
  EXPECT_DOUBLE_EQ(pipe.s.private_tokens_per_request, 0.0);
  EXPECT_GT(large.s.private_tokens_per_request, 100.0);
  const auto prompts = read_column<std::int64_t>(large.file, "requests", "prompt_tokens");
  const auto priv = read_column<std::int64_t>(large.file, "requests", "private_tokens_sent");
  for (std::size_t i = 0; i < prompts.size(); ++i)
    ASSERT_EQ(priv[i], std::llround(0.3 * static_cast<double>(prompts[i])));
  // The phone writes one placeholder per private token, or the whole prompt when rewriting.
  const auto rewrite = run_file(d, sc, "rewrite", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=500", "mechanism.pipeline.deidentify_output=rewrite"});
  EXPECT_DOUBLE_EQ(rewrite.s.private_tokens_per_request, 0.0);
  const auto slm_placeholders = read_column<std::int64_t>(pipe.file, "requests", "tokens_slm");
  const auto slm_rewrite = read_column<std::int64_t>(rewrite.file, "requests", "tokens_slm");
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    ASSERT_EQ(slm_placeholders[i], std::max<std::int64_t>(1, std::llround(0.3 * static_cast<double>(prompts[i]))));
    ASSERT_EQ(slm_rewrite[i], prompts[i]);
  }
  EXPECT_LT(pipe.s.latency_p50_s, rewrite.s.latency_p50_s);
}

TEST(Scenarios, CoGenesisSketchRunsLlmFirstAndKeepsThePrivateContextOnTheDevice) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // Exact per-request protocol accounting and extremes: the SLM holds every request here
  // (its 4k context window off, an explicit "ignore"; limits are tested in test_run_invariants).
  const auto sc = source_dir() / "scenarios" / "cogenesis_sketch.toml";
  const auto sketch = run_file(d, sc, "sketch", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=500"});
  EXPECT_DOUBLE_EQ(sketch.s.private_tokens_per_request, 0.0);
  const auto prompts = read_column<std::int64_t>(sketch.file, "requests", "prompt_tokens");
  const auto outputs = read_column<std::int64_t>(sketch.file, "requests", "output_tokens");
  const auto up = read_column<std::int64_t>(sketch.file, "requests", "bytes_up");
  const auto llm = read_column<std::int64_t>(sketch.file, "requests", "tokens_llm");
  const auto slm = read_column<std::int64_t>(sketch.file, "requests", "tokens_slm");
  const auto route = read_column<std::int64_t>(sketch.file, "requests", "route");
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    // Only the instruction without the 30% private context goes up (4 bytes per token) ...
    ASSERT_EQ(up[i], 4 * std::max<std::int64_t>(1, std::llround(0.7 * static_cast<double>(prompts[i])))) << i;
    // ... the LLM writes the 64-token sketch, the SLM the whole answer, which it delivers.
    ASSERT_EQ(llm[i], 64) << i;
    ASSERT_EQ(slm[i], outputs[i]) << i;
    ASSERT_EQ(route[i], 0) << i;
  }
  // The quality assumption's ends: the SLM alone and the LLM's outcome, request by request.
  const auto none = run_file(d, sc, "t0", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=500", "mechanism.pipeline.sketch_transfer=0"});
  const auto all = run_file(d, sc, "t1", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=500", "mechanism.pipeline.sketch_transfer=1"});
  const auto small = run_file(d, sc, "small", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=500", "mechanism.name=small_only"});
  const auto large = run_file(d, sc, "large", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=500", "mechanism.name=large_only"});
  EXPECT_EQ(read_column<double>(none.file, "requests", "quality"), read_column<double>(small.file, "requests", "quality"));
  EXPECT_EQ(read_column<double>(all.file, "requests", "quality"), read_column<double>(large.file, "requests", "quality"));
  EXPECT_GT(sketch.s.quality_mean, small.s.quality_mean);
  EXPECT_LT(sketch.s.quality_mean, large.s.quality_mean);
}

TEST(Scenarios, DistillationJobCompetesAndShiftsQuality) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto sc = source_dir() / "scenarios" / "distillation_student.toml";
  const auto dist = run_file(d, sc, "dist", {"workload.limit=3000"});
  const auto small = run_file(d, sc, "small", {"workload.limit=3000", "mechanism.name=small_only"});
  EXPECT_GT(dist.s.quality_mean, small.s.quality_mean);
  EXPECT_GT(read_column<double>(dist.file, "mechanism", "label_cost_usd")[0], 0.0);
  EXPECT_GT(read_column<double>(dist.file, "mechanism", "label_job_end_s")[0], 0.0);
}

TEST(Scenarios, ThreeStageCascadeUsesEveryStage) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto o = run_file(d, source_dir() / "scenarios" / "frugalgpt_three_stage.toml", "c3", {"workload.limit=2000"});
  const auto route = read_column<std::int64_t>(o.file, "requests", "route");
  int seen[3] = {0, 0, 0};
  for (auto r : route) ++seen[r];
  for (int s = 0; s < 3; ++s) EXPECT_GT(seen[s], 100) << "stage " << s;
  const auto mid_tokens = read_column<std::int64_t>(o.file, "requests", "tokens_mid");
  const auto llm_tokens = read_column<std::int64_t>(o.file, "requests", "tokens_llm");
  for (std::size_t i = 0; i < route.size(); ++i) {
    if (route[i] == 0) ASSERT_EQ(mid_tokens[i] + llm_tokens[i], 0);
    if (route[i] == 2) ASSERT_GT(mid_tokens[i], 0);
  }
}

TEST(Scenarios, RouterThresholdExtremesAndPipelineCompression) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // Exact per-request protocol accounting and extremes: the SLM holds every request here
  // (its 4k context window off, an explicit "ignore"; limits are tested in test_run_invariants).
  const auto sc = source_dir() / "scenarios" / "routellm_router.toml";
  const auto all_small = run_file(d, sc, "r0", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=800", "mechanism.router.threshold=0.0"});
  const auto all_large = run_file(d, sc, "r1", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=800", "mechanism.router.threshold=1.0"});
  const auto small = run_file(d, sc, "s", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=800", "mechanism.name=small_only"});
  const auto large = run_file(d, sc, "l", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=800", "mechanism.name=large_only"});
  EXPECT_DOUBLE_EQ(all_small.s.large_share, 0.0);
  EXPECT_DOUBLE_EQ(all_small.s.quality_mean, small.s.quality_mean);
  EXPECT_DOUBLE_EQ(all_large.s.large_share, 1.0);
  EXPECT_DOUBLE_EQ(all_large.s.quality_mean, large.s.quality_mean);

  // Compression sends ratio × prompt tokens up instead of the whole prompt.
  const auto comp = run_file(d, source_dir() / "scenarios" / "cogenesis_compression.toml", "c",
                             {"deployments.slm.context_policy=\"ignore\"", "workload.limit=800", "mechanism.pipeline.compress_ratio=0.25"});
  const auto prompts = read_column<std::int64_t>(comp.file, "requests", "prompt_tokens");
  const auto up = read_column<std::int64_t>(comp.file, "requests", "bytes_up");
  for (std::size_t i = 0; i < prompts.size(); ++i)
    ASSERT_EQ(up[i], 4 * std::max<std::int64_t>(1, std::llround(0.25 * static_cast<double>(prompts[i])))) << i;
}

TEST(Scenarios, TokenRoutingSharesAndDecompositionSavesUplink) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // Exact per-request protocol accounting and extremes: the SLM holds every request here
  // (its 4k context window off, an explicit "ignore"; limits are tested in test_run_invariants).
  const auto sc = source_dir() / "scenarios" / "citer_token_routing.toml";
  const auto none = run_file(d, sc, "t0", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=200", "mechanism.token_routing.llm_share=0.0"});
  const auto all = run_file(d, sc, "t1", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=200", "mechanism.token_routing.llm_share=1.0"});
  const auto small = run_file(d, sc, "s", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=200", "mechanism.name=small_only"});
  const auto large = run_file(d, sc, "l", {"deployments.slm.context_policy=\"ignore\"", "workload.limit=200", "mechanism.name=large_only"});
  EXPECT_DOUBLE_EQ(none.s.quality_mean, small.s.quality_mean);
  EXPECT_DOUBLE_EQ(read_column<double>(none.file, "mechanism", "llm_token_share")[0], 0.0);
  EXPECT_DOUBLE_EQ(all.s.quality_mean, large.s.quality_mean);
  EXPECT_DOUBLE_EQ(read_column<double>(all.file, "mechanism", "llm_token_share")[0], 1.0);
  const auto out = read_column<std::int64_t>(all.file, "requests", "output_tokens");
  const auto llm_tokens = read_column<std::int64_t>(all.file, "requests", "tokens_llm");
  for (std::size_t i = 0; i < out.size(); ++i) ASSERT_EQ(llm_tokens[i], out[i]);

  const auto dsc = source_dir() / "scenarios" / "minions_decomposition.toml";
  const auto dec = run_file(d, dsc, "m", {"workload.limit=500", "mechanism.decomposition.recovery=1.0"});
  const auto big = run_file(d, dsc, "b", {"workload.limit=500", "mechanism.name=large_only"});
  EXPECT_DOUBLE_EQ(dec.s.quality_mean, big.s.quality_mean);  // recovery 1: the LLM's outcome
  EXPECT_LT(dec.s.bytes_up_per_request, 0.5 * big.s.bytes_up_per_request);  // the long context stays local
}
