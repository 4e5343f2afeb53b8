// Rerouting attacks on the learned router (router_attack.hpp; Shafran et al. 2025): the
// greedy gadget search lowers the router's score, the gadget moves held-out questions to
// the strong model, and the router mechanism routes an attacked request exactly as the
// kernel scores the question with the gadget appended.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/core/rng.hpp"
#include "sim/kernels/router_attack.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kWeights = source_dir() / "models" / "routers" / "phi3-llama70b-logistic.h5";
const fs::path kScenario = source_dir() / "scenarios" / "learned_router.toml";

fs::path questions_file() { return data_dir() / "quality" / "mmlu_pro" / "mmlu_pro_questions.jsonl"; }

}  // namespace

TEST(RouterAttack, GreedySearchFindsAGadgetThatReroutesHeldOutQuestions) {
  COLLABSIM_NEED_DATA(data_dir());
  const auto corpus = kernels::QuestionCorpus::load(questions_file());
  const auto router = kernels::RouterKernel::load(kWeights);
  std::vector<const kernels::Question*> train, test;
  for (const auto& q : corpus.questions())
    (kernels::in_test_split(q.id, router->seed(), 0.2) ? test : train).push_back(&q);
  std::vector<const kernels::Question*> sample(train.begin(), train.begin() + 80);
  const auto vocab = kernels::frequent_words(train, 300);
  ASSERT_EQ(vocab.size(), 300u);
  kernels::GadgetSearchConfig cfg;
  cfg.tokens = 4;
  cfg.candidates = 40;
  cfg.passes = 1;
  const auto g = kernels::find_gadget(*router, sample, vocab, cfg);
  EXPECT_LT(g.mean_score, g.mean_score_clean - 0.02) << "gadget '" << g.text << "'";
  // Deterministic for a seed.
  EXPECT_EQ(kernels::find_gadget(*router, sample, vocab, cfg).text, g.text);
  // It transfers from the search sample to held-out questions.
  const double clean = kernels::strong_share(*router, test, "", 0.4);
  const double attacked = kernels::strong_share(*router, test, g.text, 0.4);
  EXPECT_GT(attacked, clean + 0.05) << "gadget '" << g.text << "'";
  // with_gadget appends to the question only.
  const auto q = kernels::with_gadget(*test.front(), "foo bar");
  EXPECT_EQ(q.text, test.front()->text + " foo bar");
  EXPECT_EQ(q.options, test.front()->options);
}

TEST(RouterAttack, AttackedRequestsAreRoutedAsTheKernelScoresTheGadgetedQuestion) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const std::string gadget = "first vapor with reported with appointed approximate first integer knowledge";
  const auto all = run_scenario_file(d, kScenario, "all",
                                     {"workload.limit=1500", "mechanism.router.attack_share=1.0",
                                      "mechanism.router.gadget=\"" + gadget + "\""});
  const auto clean = run_scenario_file(d, kScenario, "clean", {"workload.limit=1500"});
  const auto corpus = kernels::QuestionCorpus::load(questions_file());
  const auto router = kernels::RouterKernel::load(kWeights);
  const auto qid = read_column<std::int64_t>(all.file, "requests", "query_id");
  const auto route = read_column<std::int64_t>(all.file, "requests", "route");
  const auto prompt = read_column<std::int64_t>(all.file, "requests", "prompt_tokens");
  const auto output = read_column<std::int64_t>(all.file, "requests", "output_tokens");
  ASSERT_EQ(qid.size(), 1500u);
  for (std::size_t i = 0; i < qid.size(); ++i) {
    const auto* q = corpus.find(qid[i]);
    ASSERT_NE(q, nullptr);
    // The kernel's choice, unless the SLM's 4,096-token window cannot hold the request.
    const bool large = router->score(kernels::with_gadget(*q, gadget)) < 0.4 || prompt[i] + output[i] > 4096;
    ASSERT_EQ(route[i], large ? 1 : 0) << "request " << i;
  }
  EXPECT_GT(all.s.large_share, clean.s.large_share + 0.1) << "the attack inflates the strong model's share";
  EXPECT_GT(all.s.cost_per_1k_usd, clean.s.cost_per_1k_usd);
  EXPECT_EQ(read_column<double>(all.file, "mechanism", "attacked_requests")[0], 1500.0);

  // A share of attackers: a seeded binomial draw.
  const auto part = run_scenario_file(d, kScenario, "part",
                                      {"workload.limit=1500", "mechanism.router.attack_share=0.2",
                                       "mechanism.router.gadget=\"" + gadget + "\""});
  const double n_att = read_column<double>(part.file, "mechanism", "attacked_requests")[0];
  EXPECT_NEAR(n_att, 300.0, 4 * std::sqrt(1500 * 0.2 * 0.8));
  EXPECT_GT(part.s.large_share, clean.s.large_share);
  EXPECT_LT(part.s.large_share, all.s.large_share);
}

TEST(RouterAttack, AnAttackNeedsALearnedRouterAndAGadget) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  for (const auto& sets : std::vector<std::vector<std::string>>{
           {"mechanism.router.attack_share=0.3", "mechanism.router.score=\"noisy_oracle\"",
            "mechanism.router.gadget=\"x y\""},
           {"mechanism.router.attack_share=0.3"}}) {
    auto s = sets;
    s.push_back("workload.limit=10");
    try {
      run_scenario_file(d, kScenario, "bad", s);
      ADD_FAILURE() << "expected an input error";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("mechanism.router.attack_share"), std::string::npos) << e.what();
    }
  }
}

// Attackers as users and the per-user large-model budget (router `attack_unit = "user"`,
// `user_budget`, `budget_window`): no user sends more than its budget to the large model in
// any window; the budget only moves requests from the large to the small model, exactly the
// ones /mechanism counts; it denies a larger share of the attackers' requests than of the
// clean ones; the attacked requests are exactly those of the users the seeded draw marks.
TEST(RouterAttack, PerUserBudgetCapsLargeModelRequestsPerUserAndWindow) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const std::string gadget = "first vapor with reported with appointed approximate first integer knowledge";
  const std::vector<std::string> base = {"workload.limit=1500", "workload.attributes.users=50",
                                         "mechanism.router.attack_share=0.2", "mechanism.router.attack_unit=\"user\"",
                                         "mechanism.router.gadget=\"" + gadget + "\""};
  auto with_budget = base;
  with_budget.push_back("mechanism.router.user_budget=10");
  with_budget.push_back("mechanism.router.budget_window=\"2 min\"");
  const auto free_run = run_scenario_file(d, kScenario, "free", base);
  const auto capped = run_scenario_file(d, kScenario, "capped", with_budget);

  const auto user = read_column<std::int64_t>(capped.file, "requests", "user_id");
  const auto arrival = read_column<double>(capped.file, "requests", "arrival_s");
  const auto route = read_column<std::int64_t>(capped.file, "requests", "route");
  const auto route_free = read_column<std::int64_t>(free_run.file, "requests", "route");
  const auto prompt = read_column<std::int64_t>(capped.file, "requests", "prompt_tokens");
  const auto output = read_column<std::int64_t>(capped.file, "requests", "output_tokens");
  ASSERT_EQ(user.size(), 1500u);
  std::map<std::pair<std::int64_t, std::int64_t>, int> large_per_window;
  std::int64_t moved = 0;
  for (std::size_t i = 0; i < route.size(); ++i) {
    ASSERT_GE(user[i], 0);
    ASSERT_LT(user[i], 50);
    // A request beyond the SLM's 4k window goes large whatever the budget (it still counts).
    if (route[i] == 1 && prompt[i] + output[i] <= 4096) ++large_per_window[{user[i], static_cast<std::int64_t>(std::floor(arrival[i] / 120.0))}];
    ASSERT_LE(route[i], route_free[i]) << "request " << i << ": the budget only moves large → small";
    moved += route_free[i] - route[i];
  }
  for (const auto& [key, n] : large_per_window) EXPECT_LE(n, 10) << "user " << key.first << " window " << key.second;
  EXPECT_GT(moved, 0);
  EXPECT_EQ(read_column<double>(capped.file, "mechanism", "budget_denied")[0], static_cast<double>(moved));
  EXPECT_LT(capped.s.cost_per_1k_usd, free_run.s.cost_per_1k_usd);
  const double denied_attacked = read_column<double>(capped.file, "mechanism", "budget_denied_attacked_share")[0];
  const double denied_clean = read_column<double>(capped.file, "mechanism", "budget_denied_clean_share")[0];
  EXPECT_GT(denied_attacked, denied_clean);

  // The attackers are the users whose seeded draw falls under the share: all their requests.
  std::int64_t expected_attacked = 0;
  for (const auto u : user) {
    RngStream rng(2026, "router_attacker", static_cast<std::uint64_t>(u));
    expected_attacked += rng.uniform() < 0.2 ? 1 : 0;
  }
  EXPECT_GT(expected_attacked, 0);
  EXPECT_EQ(read_column<double>(capped.file, "mechanism", "attacked_requests")[0], static_cast<double>(expected_attacked));
}

TEST(RouterAttack, BudgetAndUserAttacksNeedUserIds) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  for (const auto& [set, key] : std::vector<std::pair<std::string, std::string>>{
           {"mechanism.router.user_budget=5", "mechanism.router.user_budget"},
           {"mechanism.router.attack_unit=\"user\"", "mechanism.router.attack_unit"}}) {
    try {
      run_scenario_file(d, kScenario, "bad",
                        {"workload.limit=10", "mechanism.router.attack_share=0.3", set,
                         "mechanism.router.gadget=\"x y\""});
      ADD_FAILURE() << "expected an input error for " << set;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("workload.attributes"), std::string::npos) << e.what();
    }
  }
}
