// Mechanisms of the survey's chapter-4 settings (issue 28): early exit (§4.3, CE-CoLLM),
// offline-first with sync after reconnect (§4.4), SLM-default hierarchical prompting (§4.5).
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "sim/core/rng.hpp"
#include "sim/mechanisms/confidence.hpp"
#include "sim/mechanisms/page_hinkley.hpp"
#include "sim/quality/quality_table.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kMatrix = "quality/mmlu_pro/mmlu_pro_30models_matrix.csv";

/// Score of `model` per question id, from the matrix.
std::map<std::int64_t, double> scores(const std::string& model) {
  const auto t = quality::QualityTable::load(data_dir() / kMatrix, {model});
  std::map<std::int64_t, double> out;
  for (std::size_t i = 0; i < t.num_queries(); ++i)
    if (t.has_score(i, 0)) out[t.query_id(i)] = t.score(i, 0);
  return out;
}

double mech(const fs::path& file, const std::string& field) { return read_column<double>(file, "mechanism", field)[0]; }

}  // namespace

TEST(NoisyOracle, ExceedProbabilityMatchesDraws) {
  const NoisyOracleConfidence conf(0.8);
  for (const bool correct : {true, false}) {
    RngStream rng(7, "exceed", correct ? 1 : 0);
    int above = 0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) above += conf.draw(correct, rng) >= 0.6;
    const double p = conf.exceed_probability(correct, 0.6);
    EXPECT_NEAR(above / static_cast<double>(n), p, 4 * std::sqrt(p * (1 - p) / n)) << correct;
  }
  EXPECT_EQ(conf.exceed_probability(true, 0.0), 1.0);
  EXPECT_EQ(conf.exceed_probability(false, 1.0), 0.0);
  EXPECT_GT(conf.exceed_probability(true, 0.6), conf.exceed_probability(false, 0.6));
}

// Early exit's exit rate is what the confidence model predicts from the SLM's accuracy on
// the joined questions: a(1 − Φ(q − d/2)) + (1 − a)(1 − Φ(q + d/2)), computed here from
// the quality table, not from the mechanism.
TEST(EarlyExit, ExitRateEqualsTheConfidenceModelsPrediction) {
  COLLABSIM_NEED_DATA(data_dir() / kMatrix);
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  const auto slm = scores("Phi-3-mini-4k-instruct");
  for (const double threshold : {0.4, 0.7}) {
    const auto o = run_scenario_file(d, scenario, "ee",
                                     {"workload.limit=3000", "run.sample_interval=0 s", "quality.prompt_tokens=question",
                                      "mechanism.name=early_exit", "mechanism.early_exit.auroc=0.8",
                                      "mechanism.early_exit.exit_tokens=1",
                                      "mechanism.early_exit.threshold=" + std::to_string(threshold)});
    const auto qid = read_column<std::int64_t>(o.file, "requests", "query_id");
    const auto out = read_column<std::int64_t>(o.file, "requests", "output_tokens");
    ASSERT_EQ(qid.size(), 3000u);
    const NoisyOracleConfidence conf(0.8);
    double expected = 0, var = 0, decided = 0;
    for (std::size_t i = 0; i < qid.size(); ++i) {
      if (out[i] <= 1) continue;  // a one-token answer is done before the exit point
      const double p = conf.exceed_probability(slm.at(qid[i]) >= 0.5, threshold);
      expected += p;
      var += p * (1 - p);
      ++decided;
    }
    const double n = mech(o.file, "exit_decisions");
    ASSERT_EQ(n, decided);  // every request fits the phone: one decision each (but one-token answers)
    ASSERT_GT(n, 2900.0);
    EXPECT_EQ(mech(o.file, "direct_to_llm"), 0.0);
    expected /= n;
    const double rate = mech(o.file, "exit_rate");
    EXPECT_NEAR(mech(o.file, "predicted_exit_rate"), expected, 1e-9);
    EXPECT_NEAR(rate, expected, 3.5 * std::sqrt(var) / n) << "threshold " << threshold;
    // Exits are answered by the SLM alone: the LLM's share is the rest.
    EXPECT_NEAR(o.s.large_share * 3000.0, (1.0 - rate) * n, 1e-6);
  }
}

// Offline-first: the SLM answers at once; every request queued for sync is delivered by
// the LLM once the link is up, including those that waited out an outage.
TEST(OfflineFirst, EveryQueuedRequestIsDeliveredAfterReconnect) {
  COLLABSIM_NEED_DATA(data_dir() / kMatrix);
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "disaster_response.toml";
  const auto o = run_scenario_file(d, scenario, "of",
                                   {"run.sample_interval=0 s", "mechanism.name=offline_first",
                                    "mechanism.offline_first.threshold=0.5"});
  const double queued = mech(o.file, "queued"), synced = mech(o.file, "synced");
  EXPECT_GT(queued, 100.0);
  EXPECT_EQ(synced, queued);
  EXPECT_EQ(mech(o.file, "sync_refused"), 0.0);
  EXPECT_GT(mech(o.file, "synced_after_outage"), 10.0);  // outages ~37% of the time: some had to wait
  const auto esc = read_column<std::int64_t>(o.file, "requests", "escalated");
  const auto status = read_column<std::int64_t>(o.file, "requests", "status");
  const auto tok_llm = read_column<std::int64_t>(o.file, "requests", "tokens_llm");
  const auto ttft = read_column<double>(o.file, "requests", "ttft_s");
  const auto lat = read_column<double>(o.file, "requests", "latency_s");
  std::size_t delivered = 0;
  for (std::size_t i = 0; i < esc.size(); ++i) {
    EXPECT_EQ(status[i], 0) << "request " << i;  // none lost to an outage
    if (!esc[i]) continue;
    ++delivered;
    EXPECT_GT(tok_llm[i], 0) << "request " << i;
    EXPECT_GE(lat[i], ttft[i]);
  }
  EXPECT_EQ(static_cast<double>(delivered), synced);
}

// Hierarchical prompting: the SLM answers every request (its first token first); only the
// requests the gate flags go to the LLM, and with the link always up and no deadline their
// share is the gate's predicted share.
TEST(HierarchicalPrompts, SlmDefaultAndTheGateDecidesTheCloudShare) {
  COLLABSIM_NEED_DATA(data_dir() / kMatrix);
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  const auto o = run_scenario_file(d, scenario, "hp",
                                   {"workload.limit=2000", "run.sample_interval=0 s", "quality.prompt_tokens=question",
                                    "mechanism.name=hierarchical_prompts", "mechanism.hierarchical_prompts.auroc=0.8",
                                    "mechanism.hierarchical_prompts.threshold=0.3"});
  const auto slm = scores("Phi-3-mini-4k-instruct");
  const auto qid = read_column<std::int64_t>(o.file, "requests", "query_id");
  const auto tok_slm = read_column<std::int64_t>(o.file, "requests", "tokens_slm");
  const NoisyOracleConfidence conf(0.8);
  double expected = 0, var = 0;
  for (std::size_t i = 0; i < qid.size(); ++i) {
    EXPECT_GT(tok_slm[i], 0) << "request " << i;  // the SLM answered every one
    const double p = 1.0 - conf.exceed_probability(slm.at(qid[i]) >= 0.5, 0.3);
    expected += p;
    var += p * (1 - p);
  }
  const double n = static_cast<double>(qid.size());
  EXPECT_NEAR(mech(o.file, "complex_sent_to_llm") / n, expected / n, 3.5 * std::sqrt(var) / n);
  EXPECT_EQ(mech(o.file, "complex_offline"), 0.0);  // this scenario's link never fails
}

TEST(PageHinkley, FiresOnADropAndNotOnAStationaryStream) {
  PageHinkley ph(0.02, 8.0);
  RngStream rng(11, "page_hinkley", 0);
  for (int i = 0; i < 5000; ++i) EXPECT_FALSE(ph.add(0.5 + 0.25 * rng.normal())) << i;  // no drop: no alarm
  EXPECT_FALSE(ph.alarmed());
  PageHinkley step(0.02, 8.0);
  for (int i = 0; i < 1000; ++i) step.add(0.5);
  // A drop by 0.1: delay ≈ λ / (0.1 − δ) = 100, a little more as the running mean follows the drop (107).
  for (int i = 0; i < 1000 && !step.alarmed(); ++i) step.add(0.4);
  ASSERT_TRUE(step.alarmed());
  EXPECT_GT(step.alarm_at(), 1000);
  EXPECT_EQ(step.alarm_at(), 1107);
}

// Constructed drift: from request 1500 on the SLM's outcomes are those of a much weaker
// model (Phi-3-mini .415 → Llama-2-7b .183 on MMLU-Pro); with the default detector
// (δ = 0.03, λ = 15) and a confidence of AUROC 0.9 it fires within 400 decisions of the
// change and not before it, and the adaptive threshold escalates more.
TEST(DriftGuard, DetectorFiresWithinNRequestsOfTheChange) {
  COLLABSIM_NEED_DATA(data_dir() / kMatrix);
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  const std::vector<std::string> base = {"workload.limit=4000", "run.sample_interval=0 s",
                                         "quality.prompt_tokens=question", "mechanism.name=drift_guard",
                                         "mechanism.drift_guard.auroc=0.9",
                                         "mechanism.drift_guard.drift_column=Llama-2-7b-hf"};
  auto with = [&](std::vector<std::string> more) {
    auto v = base;
    v.insert(v.end(), more.begin(), more.end());
    return v;
  };
  const auto o = run_scenario_file(d, scenario, "drift", with({"mechanism.drift_guard.drift_after=1500"}));
  const double alarm = mech(o.file, "alarm_request"), delay = mech(o.file, "alarm_delay");
  EXPECT_GE(alarm, 1500.0);
  EXPECT_GE(delay, 0.0);
  EXPECT_LE(delay, 400.0);
  EXPECT_GT(mech(o.file, "escalated_after_alarm"), 0.0);
  // Without drift the same stream raises no alarm.
  const auto s = run_scenario_file(d, scenario, "stationary", with({}));
  EXPECT_EQ(mech(s.file, "alarm_request"), -1.0);
  EXPECT_EQ(mech(s.file, "alarm_delay"), -1.0);
}

// A compromised SLM from request 500 on: without a defence its tampered answers reach
// users for the rest of the run; with random audits of 5% of the kept answers the SLM is
// quarantined soon after the attack starts and the damage stops there.
TEST(CompromisedCascade, AuditsQuarantineACompromisedSlm) {
  COLLABSIM_NEED_DATA(data_dir() / kMatrix);
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  const std::vector<std::string> base = {"workload.limit=3000", "run.sample_interval=0 s",
                                         "quality.prompt_tokens=question", "mechanism.name=compromised_cascade",
                                         "mechanism.compromised_cascade.attack=slm",
                                         "mechanism.compromised_cascade.attack_rate=0.2",
                                         "mechanism.compromised_cascade.attack_after=500"};
  auto with = [&](std::string defence) {
    auto v = base;
    v.push_back("mechanism.compromised_cascade.defence=" + defence);
    return v;
  };
  const auto open = run_scenario_file(d, scenario, "open", with("none"));
  const auto guarded = run_scenario_file(d, scenario, "guarded", with("audit"));
  const double attacked = mech(open.file, "attacked");
  EXPECT_NEAR(attacked / 2500.0, 0.2, 4 * std::sqrt(0.2 * 0.8 / 2500));
  // Undefended, every attacked request that reached the SLM is delivered tampered.
  EXPECT_EQ(mech(open.file, "tampered_delivered"), attacked);
  EXPECT_EQ(mech(open.file, "quarantine_request"), -1.0);
  const double q = mech(guarded.file, "quarantine_request");
  EXPECT_GE(q, 500.0);
  EXPECT_LT(q, 1500.0);  // caught: P(audit catches a tampered answer) = 0.05 × 0.2 per kept answer
  EXPECT_LT(mech(guarded.file, "tampered_delivered"), 0.5 * mech(open.file, "tampered_delivered"));
  EXPECT_GT(guarded.s.quality_mean, open.s.quality_mean);
}

// An altered channel: without a MAC the altered LLM answers reach the user; with it none do.
TEST(CompromisedCascade, MacStopsAlteredAnswers) {
  COLLABSIM_NEED_DATA(data_dir() / kMatrix);
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  auto run = [&](const std::string& name, const std::string& defence) {
    return run_scenario_file(d, scenario, name,
                             {"workload.limit=2000", "run.sample_interval=0 s", "quality.prompt_tokens=question",
                              "mechanism.name=compromised_cascade", "mechanism.compromised_cascade.attack=channel",
                              "mechanism.compromised_cascade.attack_rate=0.3",
                              "mechanism.compromised_cascade.defence=" + defence});
  };
  const auto open = run("ch_open", "none");
  const auto mac = run("ch_mac", "mac");
  EXPECT_GT(mech(open.file, "tampered_delivered"), 100.0);
  EXPECT_EQ(mech(mac.file, "tampered_delivered"), 0.0);
  EXPECT_GT(mech(mac.file, "detected"), 100.0);
  EXPECT_GT(mac.s.quality_mean, open.s.quality_mean);
}

// Multi-agent resilient collaboration: an answer from the agents (route 0) scores exactly
// the majority of the three agents' released MMLU-Pro letters (ties to the earliest agent),
// computed here from the matrix; requests answered by the LLM are the others.
TEST(MultiAgent, OfflineAnswersAreTheAgentsMajority) {
  COLLABSIM_NEED_DATA(data_dir() / kMatrix);
  TempDir d;
  const auto scenario = source_dir() / "scenarios" / "disaster_multi_agent.toml";
  // Question-sized prompts: every agent holds every request (an agent that refuses abstains).
  const auto o = run_scenario_file(d, scenario, "ma", {"run.sample_interval=0 s", "mechanism.multi_agent.reask=false",
                                                      "quality.prompt_tokens=question"});
  const auto t = quality::QualityTable::load(data_dir() / kMatrix,
                                             {"Phi-3-mini-4k-instruct", "Meta-Llama-3_1-8B-Instruct", "Llama-2-7b-hf"});
  std::map<std::int64_t, std::size_t> row_of;
  for (std::size_t i = 0; i < t.num_queries(); ++i) row_of[t.query_id(i)] = i;
  const auto qid = read_column<std::int64_t>(o.file, "requests", "query_id");
  const auto route = read_column<std::int64_t>(o.file, "requests", "route");
  const auto status = read_column<std::int64_t>(o.file, "requests", "status");
  const auto q = read_column<double>(o.file, "requests", "quality");
  std::size_t by_agents = 0;
  for (std::size_t i = 0; i < qid.size(); ++i) {
    if (route[i] != 0 || status[i] != 0) continue;
    ++by_agents;
    const std::size_t row = row_of.at(qid[i]);
    std::map<char, int> n;
    char best = '\0';
    for (std::size_t m = 0; m < 3; ++m) {
      const char c = t.pred(row, m);
      if (c != '\0' && (++n[c], best == '\0' || n[c] > n[best])) best = c;
    }
    EXPECT_EQ(q[i], best != '\0' && best == t.answer(row) ? 1.0 : 0.0) << "question " << qid[i];
  }
  EXPECT_EQ(static_cast<double>(by_agents), mech(o.file, "answered_by_agents"));
  EXPECT_GT(by_agents, 100u);           // outages about 37% of the time
  EXPECT_LT(by_agents, qid.size());     // the LLM answers the others
  EXPECT_EQ(mech(o.file, "reasked"), 0.0);
}
