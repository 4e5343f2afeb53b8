// The teacher/student byte LMs and speculative sampling with the real pair: the output
// distribution equals the target's (chi-square), the measured acceptance rate equals
// E[Σ min(p, q)], and distillation/training reduce held-out bits per byte.
#include <gtest/gtest.h>

#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>

#include "sim/core/rng.hpp"
#include "sim/kernels/lm_pair.hpp"
#include "sim/kernels/speculative_sampling.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::kernels;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

struct Pair {
  CharLm teacher, student;
  std::string train, test;
};

const Pair& pair() {
  static const Pair p = [] {
    Pair x;
    const auto q = data_dir() / "quality/mmlu_pro/mmlu_pro_questions.jsonl";
    x.train = split_text(q, 1, false, 400);
    x.test = split_text(q, 1, true, 100);
    x.teacher = CharLm({8, 16, 128}, 11);
    train_lm(x.teacher, x.train, 400, 64, 3e-3f, 1);
    x.student = CharLm({3, 8, 32}, 12);
    train_lm(x.student, x.train, 400, 64, 3e-3f, 1, &x.teacher, 2.0f, 0.7f);
    return x;
  }();
  return p;
}

}  // namespace

TEST(LmPair, TrainingLowersHeldOutBitsPerByte) {
  if (!fs::exists(data_dir())) GTEST_SKIP();
  const auto& p = pair();
  const CharLm untrained({8, 16, 128}, 11);
  const double before = untrained.bits_per_byte(p.test, 20000);
  const double after = p.teacher.bits_per_byte(p.test, 20000);
  EXPECT_NEAR(before, 8.0, 0.5);  // uniform over 256 bytes = 8 bits
  EXPECT_LT(after, 4.5);
  EXPECT_LT(after, p.student.bits_per_byte(p.test, 20000));  // the bigger model is better
}

TEST(LmPair, SpeculativeSamplingReproducesTheTargetDistribution) {
  if (!fs::exists(data_dir())) GTEST_SKIP();
  const auto& p = pair();
  const std::string prefix = "Which of the following is the";
  std::vector<std::uint8_t> ctx;
  p.teacher.context_at(prefix, prefix.size(), ctx);
  const Eigen::VectorXf target = p.teacher.predict(ctx, 1).col(0);
  RngStream rng(99, "chi_square");
  const int n = 20000;
  std::vector<double> counts(256, 0.0);
  for (int k = 0; k < n; ++k) ++counts[static_cast<unsigned char>(speculative_round(p.teacher, p.student, prefix, 3, rng).emitted[0])];
  // Pool categories with expected count < 5 into one.
  double chi = 0, pooled_obs = 0, pooled_exp = 0;
  int df = -1;
  for (int b = 0; b < 256; ++b) {
    const double e = n * static_cast<double>(target(b));
    if (e < 5) {
      pooled_obs += counts[b];
      pooled_exp += e;
      continue;
    }
    chi += (counts[b] - e) * (counts[b] - e) / e;
    ++df;
  }
  if (pooled_exp >= 5) {
    chi += (pooled_obs - pooled_exp) * (pooled_obs - pooled_exp) / pooled_exp;
    ++df;
  }
  ASSERT_GT(df, 3);
  const double pvalue = 1 - boost::math::cdf(boost::math::chi_squared(df), chi);
  EXPECT_GT(pvalue, 0.001) << "chi2 " << chi << " df " << df;
  // The draft alone is a different distribution: the same test must reject it.
  std::vector<std::uint8_t> sctx;
  p.student.context_at(prefix, prefix.size(), sctx);
  const Eigen::VectorXf q = p.student.predict(sctx, 1).col(0);
  EXPECT_LT(q.cwiseMin(target).sum(), 0.999);
}

TEST(LmPair, MeasuredAcceptanceMatchesExpectedOverlap) {
  if (!fs::exists(data_dir())) GTEST_SKIP();
  const auto& p = pair();
  RngStream rng(5, "alpha");
  double accepted = 0, judged = 0, beta = 0;
  const int n = 3000;
  for (int k = 0; k < n; ++k) {
    const std::size_t i = 8 + rng.below(p.test.size() - 8);
    const std::string prefix = p.test.substr(i - 8, 8);
    beta += overlap(p.teacher, p.student, prefix);
    const auto r = speculative_round(p.teacher, p.student, prefix, 1, rng);  // γ = 1: one judged draft per round
    accepted += r.accepted;
    judged += r.judged;
  }
  beta /= n;
  const double alpha = accepted / judged;
  // Standard error of a Bernoulli mean with n = 3000: ≤ 0.0091; allow 4σ.
  EXPECT_NEAR(alpha, beta, 0.037) << "α̂ " << alpha << " E[β] " << beta;
  EXPECT_GT(beta, 0.2);
  EXPECT_LT(beta, 0.99);
}
