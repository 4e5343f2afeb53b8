// Kernels: routing metrics against hand-computed values, LinUCB convergence, text features,
// the question corpus, and router training on real data (held-out AUROC above chance).
#include <gtest/gtest.h>

#include <cmath>

#include "sim/core/error.hpp"
#include "sim/core/rng.hpp"
#include "sim/kernels/linucb.hpp"
#include "sim/kernels/question_corpus.hpp"
#include "sim/kernels/router_training.hpp"
#include "sim/kernels/text_features.hpp"
#include "sim/quality/metrics.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::kernels;
using namespace collabsim::testing;
namespace fs = std::filesystem;

TEST(Metrics, AurocHandValuesAndTies) {
  EXPECT_DOUBLE_EQ(metrics::auroc({0.1, 0.4, 0.35, 0.8}, {false, false, true, true}), 0.75);
  EXPECT_DOUBLE_EQ(metrics::auroc({0.5, 0.5}, {false, true}), 0.5);  // a tie counts one half
  EXPECT_TRUE(std::isnan(metrics::auroc({1, 2, 3}, {false, false, false})));  // one class only
}

TEST(Metrics, PgrCurveApgrAndCpt) {
  // Four queries: weak right on 0 and 1, strong right on 0, 2, 3.
  const std::vector<double> qw = {1, 1, 0, 0}, qs = {1, 0, 1, 1};
  // A perfect router sends 2 and 3 first (lowest weak-is-fine score), then 1, then 0.
  const std::vector<double> score = {0.9, 0.8, 0.1, 0.2};
  const auto c = metrics::pgr_curve(score, qw, qs);
  ASSERT_EQ(c.size(), 5u);
  // q_weak = 0.5, q_strong = 0.75; after 2 strong calls q = 1.0 → PGR 2.
  EXPECT_DOUBLE_EQ(c[2].strong_share, 0.5);
  EXPECT_DOUBLE_EQ(c[2].pgr, 2.0);
  EXPECT_DOUBLE_EQ(c.back().pgr, 1.0);
  // PGR = 0, 1, 2, 1, 1 at shares 0, .25, .5, .75, 1: area = .125+.375+.375+.25 = 1.125.
  EXPECT_DOUBLE_EQ(metrics::apgr(c), 1.125);
  EXPECT_DOUBLE_EQ(metrics::cpt(c, 0.5), 0.25);
  // A random score gives APGR ≈ 0.5 on a large sample.
  RngStream rng(3, "apgr");
  std::vector<double> w, s, r;
  for (int i = 0; i < 20000; ++i) {
    w.push_back(rng.bernoulli(0.4));
    s.push_back(rng.bernoulli(0.7));
    r.push_back(rng.uniform());
  }
  EXPECT_NEAR(metrics::apgr(metrics::pgr_curve(r, w, s)), 0.5, 0.02);
}

TEST(Metrics, ApgrAndCptOfMeasuredOperatingPoints) {
  // Hand values (as analysis/metrics.py): anchors (0,0) and (1,1) are added when missing.
  EXPECT_DOUBLE_EQ(metrics::apgr_of_points({0, 1}, {0, 1}), 0.5);
  EXPECT_NEAR(metrics::apgr_of_points({0.5}, {0.8}), 0.5 * 0.8 / 2 + 0.5 * 1.8 / 2, 1e-15);
  EXPECT_NEAR(metrics::cpt_of_points({0, 0.5, 1}, {0, 0.8, 1}, 0.5), 0.3125, 1e-15);
  EXPECT_DOUBLE_EQ(metrics::cpt_of_points({0, 0.5, 1}, {0, 0.8, 1}, 0.8), 0.5);
  EXPECT_TRUE(std::isnan(metrics::cpt_of_points({0, 0.5, 1}, {0, 0.3, 0.6}, 0.8)));
  // Unsorted input and NaN points: sorted by share, NaN dropped.
  EXPECT_NEAR(metrics::apgr_of_points({1, std::nan(""), 0, 0.5}, {1, 0.3, 0, 0.8}),
              metrics::apgr_of_points({0, 0.5, 1}, {0, 0.8, 1}), 1e-15);
  const auto c = metrics::pgr_operating_curve({0.25}, {0.5});
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c.front(), std::make_pair(0.0, 0.0));
  EXPECT_EQ(c.back(), std::make_pair(1.0, 1.0));
}

TEST(Metrics, AiqIsAreaUnderTheNonDecreasingHull) {
  // Points (cost, quality): the middle point lies below the chord → hull is the chord.
  EXPECT_DOUBLE_EQ(metrics::aiq({{0, 0.4}, {1, 0.45}, {2, 0.6}}), 0.5);
  // A point above the chord raises the area: hull (0,.4)-(1,.6)-(2,.6): (0.5 + 0.6)/2 = 0.55.
  EXPECT_DOUBLE_EQ(metrics::aiq({{0, 0.4}, {1, 0.6}, {2, 0.5}}), 0.55);
  EXPECT_DOUBLE_EQ(metrics::ibc(0.6, 2.0, 0.4, 0.0), 0.1);
}

TEST(LinUcb, ConvergesToTheBestArmPerContext) {
  // Two contexts; arm 0 pays 0.8 in context A and 0.2 in B, arm 1 the reverse; noise ±0.1.
  LinUcb b(2, 2, 0.3);
  RngStream rng(7, "bandit");
  int right_late = 0;
  for (int t = 0; t < 4000; ++t) {
    const bool ctx_a = rng.bernoulli(0.5);
    Eigen::VectorXd x(2);
    x << (ctx_a ? 1.0 : 0.0), (ctx_a ? 0.0 : 1.0);
    const int arm = b.choose(x);
    const double mean = (arm == 0) == ctx_a ? 0.8 : 0.2;
    b.update(arm, x, mean + (rng.uniform() - 0.5) * 0.2);
    if (t >= 3000) right_late += (arm == 0) == ctx_a;
  }
  EXPECT_GT(right_late, 950);
  EXPECT_NEAR(b.theta(0)(0), 0.8, 0.05);
  EXPECT_NEAR(b.theta(1)(1), 0.8, 0.05);
}

TEST(TextFeatures, DeterministicNormalisedAndCategoryAware) {
  TextFeatures f(12, {"law", "math"});
  const auto a = f.extract("What is the integral of x?", "math");
  const auto b = f.extract("What is the integral of x?", "math");
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.value, b.value);
  double norm = 0;
  for (std::size_t i = 0; i + 2 < a.value.size(); ++i) norm += a.value[i] * a.value[i];
  EXPECT_NEAR(norm, 1.0, 1e-5);
  EXPECT_EQ(a.index[a.index.size() - 2], (1u << 12) + 1);  // "math" slot
  EXPECT_LT(a.index.back(), f.dim());
}

TEST(QuestionCorpus, ReadsEveryQuestionAndEscapes) {
  TempDir d;
  write_file(d.path / "q.jsonl",
             "{\"question_id\": 5, \"category\": \"law\", \"question\": \"caf\\u00e9 \\\"x\\\"\\n\", \"options\": [\"a\", \"b\"], \"answer\": \"A\"}\n");
  const auto c = QuestionCorpus::load(d.path / "q.jsonl");
  ASSERT_EQ(c.questions().size(), 1u);
  EXPECT_EQ(c.find(5)->text, "caf\xC3\xA9 \"x\"\n");
  EXPECT_EQ(c.find(5)->options.size(), 2u);
  write_file(d.path / "bad.jsonl", "{\"question_id\": 5, \"question\": \"open\n");
  EXPECT_THROW(QuestionCorpus::load(d.path / "bad.jsonl"), InputError);
  COLLABSIM_NEED_DATA(data_dir());
  const auto real = QuestionCorpus::load(data_dir() / "quality/mmlu_pro/mmlu_pro_questions.jsonl");
  EXPECT_EQ(real.questions().size(), 12032u);
  EXPECT_EQ(real.find(70)->category, "business");
}

TEST(RouterTraining, LearnedRouterBeatsChanceOnHeldOutQuestionsAndRoundTrips) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  RouterTrainConfig cfg;
  cfg.questions = data_dir() / "quality/mmlu_pro/mmlu_pro_questions.jsonl";
  cfg.matrix = data_dir() / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv";
  cfg.kind = "logistic";
  cfg.hash_bits = 16;
  cfg.epochs = 3;
  cfg.output = d.path / "r.h5";
  const auto rep = train_router(cfg);
  EXPECT_GT(rep.n_test, 2000u);
  EXPECT_GT(rep.test_auroc, 0.62);       // measured 0.68–0.69 with the defaults
  EXPECT_GT(rep.test_apgr, rep.random_apgr + 0.04);
  EXPECT_NEAR(rep.random_apgr, 0.5, 0.03);
  const auto k = RouterKernel::load(cfg.output);
  Question q;
  q.text = "Which of the following is a prime number?";
  q.options = {"4", "6", "7", "9"};
  q.category = "math";
  const double s = k->score(q);
  EXPECT_GT(s, 0.0);
  EXPECT_LT(s, 1.0);
  EXPECT_THROW(RouterKernel::load(d.path / "missing.h5"), InputError);
}
