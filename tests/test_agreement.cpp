// Data-grounded cascade confidence (score = "agreement", agreement_score.hpp): the cascade
// escalates exactly the requests whose voters' actual MMLU-Pro answers (|pred columns)
// agree too little with the small model's, the AUROC it reports is the AUROC of those
// votes, and each vote is paid as a sample on the stage's deployment.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "sim/core/error.hpp"
#include "sim/quality/metrics.hpp"
#include "sim/quality/quality_table.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kVoters = {"Mistral-7B-Instruct-v0.2", "Qwen1.5-7B-Chat", "Meta-Llama-3_1-8B-Instruct",
                                          "gemma-7b"};

RunOutput run(const TempDir& d, const std::string& name, std::vector<std::string> extra) {
  std::vector<std::string> sets = {"mechanism.name=cascade", "mechanism.cascade.score=\"agreement\"",
                                   "workload.limit=3000"};
  sets.insert(sets.end(), extra.begin(), extra.end());
  return run_scenario_file(d, source_dir() / "scenarios" / "edge_cloud_cascade.toml", name, std::move(sets));
}

}  // namespace

TEST(Agreement, CascadeEscalatesExactlyWhenTooFewVotersAgree) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // Threshold 2/5: (A + U)/(n + 1) < 2/5 with U in [0, 1) ⟺ fewer than A = 2 of 4 voters agree.
  // The SLM stage holds every request here ("ignore": a request beyond its 4k window would be
  // escalated without a vote).
  const auto o = run(d, "agree", {"mechanism.cascade.thresholds=[0.4]", "mechanism.cascade.voter_cost=\"none\"",
                                  "deployments.slm.context_policy=\"ignore\""});
  std::vector<std::string> cols = {"Phi-3-mini-4k-instruct"};
  cols.insert(cols.end(), kVoters.begin(), kVoters.end());
  const auto table = quality::QualityTable::load_wide_csv(data_dir() / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv", cols);
  std::map<std::int64_t, std::size_t> row_of;
  for (std::size_t i = 0; i < table.num_queries(); ++i) row_of[table.query_id(i)] = i;

  const auto qid = read_column<std::int64_t>(o.file, "requests", "query_id");
  const auto escalated = read_column<std::int64_t>(o.file, "requests", "escalated");
  std::vector<double> votes;
  std::vector<bool> correct;
  std::size_t n_escalated = 0;
  for (std::size_t i = 0; i < qid.size(); ++i) {
    const std::size_t row = row_of.at(qid[i]);
    const char mine = table.pred(row, 0);
    int agree = 0;
    for (std::size_t v = 1; v < cols.size(); ++v) agree += mine != '\0' && table.pred(row, v) == mine;
    ASSERT_EQ(escalated[i] != 0, agree < 2) << "request " << i << ", query " << qid[i] << ": " << agree << " agree";
    n_escalated += escalated[i] != 0;
    votes.push_back(agree);
    correct.push_back(table.score(row, 0) >= 0.5);
  }
  EXPECT_GT(n_escalated, 300u);
  EXPECT_LT(n_escalated, 2700u);
  // The reported AUROC is that of the vote count (the random tie-break moves it only by noise).
  const double auroc = read_column<double>(o.file, "mechanism", "agreement_auroc")[0];
  EXPECT_NEAR(auroc, metrics::auroc(votes, correct), 0.02);
  EXPECT_GT(auroc, 0.7) << "agreement with other models' answers is informative on MMLU-Pro";
}

TEST(Agreement, EachVoteIsPaidAsASampleOnTheStagesDeployment) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto free_votes = run(d, "free", {"mechanism.cascade.voter_cost=\"none\""});
  const auto paid = run(d, "paid", {"mechanism.cascade.voter_cost=\"sample\""});
  // Same decisions, same answers ...
  EXPECT_EQ(paid.s.quality_mean, free_votes.s.quality_mean);
  EXPECT_EQ(paid.s.large_share, free_votes.s.large_share);
  // ... but the small model generates the answer plus one sample per voter.
  const auto t_free = read_column<std::int64_t>(free_votes.file, "requests", "tokens_slm");
  const auto t_paid = read_column<std::int64_t>(paid.file, "requests", "tokens_slm");
  ASSERT_EQ(t_free.size(), t_paid.size());
  for (std::size_t i = 0; i < t_free.size(); ++i) ASSERT_EQ(t_paid[i], 5 * t_free[i]) << "request " << i;
  EXPECT_GT(paid.s.energy_per_request_j, free_votes.s.energy_per_request_j);
  EXPECT_GT(paid.s.latency_p50_s, free_votes.s.latency_p50_s);
}

TEST(Agreement, BadParametersNameTheKey) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  try {
    run(d, "bad", {"mechanism.cascade.voters=[\"Mistral-7B-Instruct-v0.2\", \"no-such-model\"]"});
    FAIL() << "an unknown voter column must be an input error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-model"), std::string::npos) << e.what();
  }
  try {
    run(d, "router", {"mechanism.name=router", "mechanism.router.score=\"agreement\""});
    FAIL() << "a router has no answer to judge";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("mechanism.router.score"), std::string::npos) << e.what();
  }
}
