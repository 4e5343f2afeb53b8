// The teacher/student byte LMs and speculative sampling with the real pair: the output
// distribution equals the target's (chi-square), the measured acceptance rate equals
// E[Σ min(p, q)], and distillation/training reduce held-out bits per byte.
#include <gtest/gtest.h>

#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "sim/core/rng.hpp"
#include "sim/kernels/lm_pair.hpp"
#include "sim/core/error.hpp"
#include "sim/kernels/speculative_sampling.hpp"
#include "sim/kernels/token_router.hpp"
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
  COLLABSIM_NEED_DATA(data_dir());
  const auto& p = pair();
  const CharLm untrained({8, 16, 128}, 11);
  const double before = untrained.bits_per_byte(p.test, 20000);
  const double after = p.teacher.bits_per_byte(p.test, 20000);
  EXPECT_NEAR(before, 8.0, 0.5);  // uniform over 256 bytes = 8 bits
  EXPECT_LT(after, 4.5);
  EXPECT_LT(after, p.student.bits_per_byte(p.test, 20000));  // the bigger model is better
}

TEST(LmPair, SpeculativeSamplingReproducesTheTargetDistribution) {
  COLLABSIM_NEED_DATA(data_dir());
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
  COLLABSIM_NEED_DATA(data_dir());
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

// The CITER-style per-token router on the same pair: the curve's end points are the two
// models' own bits per byte, exactly; routing the student's least confident bytes beats
// routing as many bytes at random; the gap recovered runs from 0 to 1.
TEST(TokenRouter, CurveEndsAtTheModelsAndBeatsRandomRouting) {
  COLLABSIM_NEED_DATA(data_dir());
  const auto& p = pair();
  const TokenScores sc = score_tokens(p.teacher, p.student, p.test, 20000);
  ASSERT_EQ(sc.confidence.size(), sc.student_bits.size());
  ASSERT_GT(sc.confidence.size(), 10000u);
  std::vector<double> shares;
  for (int i = 0; i <= 10; ++i) shares.push_back(i / 10.0);
  const auto curve = routing_curve(sc, shares, 7);
  ASSERT_EQ(curve.size(), shares.size());
  EXPECT_DOUBLE_EQ(curve.front().teacher_share, 0.0);
  EXPECT_DOUBLE_EQ(curve.back().teacher_share, 1.0);
  EXPECT_DOUBLE_EQ(curve.front().bpb_routed, p.student.bits_per_byte(p.test, 20000));
  EXPECT_DOUBLE_EQ(curve.back().bpb_routed, p.teacher.bits_per_byte(p.test, 20000));
  EXPECT_DOUBLE_EQ(curve.front().bpb_random, curve.front().bpb_routed);
  EXPECT_DOUBLE_EQ(curve.back().bpb_random, curve.back().bpb_routed);
  EXPECT_DOUBLE_EQ(curve.back().agreement, 1.0);
  double gain = 0;
  for (std::size_t i = 1; i + 1 < curve.size(); ++i) {
    // This small, briefly trained pair: confidence routing clearly beats random routing in the
    // middle of the range (at small shares the least confident bytes are often ones the
    // teacher cannot call either; the shipped pair's curve is checked below).
    if (curve[i].teacher_share >= 0.4 && curve[i].teacher_share <= 0.6)
      EXPECT_LT(curve[i].bpb_routed, curve[i].bpb_random - 0.005) << "share " << curve[i].teacher_share;
    gain += curve[i].bpb_random - curve[i].bpb_routed;
    EXPECT_GE(curve[i].threshold, curve[i - 1].threshold);  // the cut rises with the share
  }
  EXPECT_GT(gain, 0.0);  // better than random on average over the range
  // Monotone where it must be: routing more of the least confident bytes first helps.
  for (std::size_t i = 1; i <= 5; ++i) EXPECT_LT(curve[i].bpb_routed, curve[i - 1].bpb_routed);
  // Same seed, same curve.
  const auto again = routing_curve(sc, shares, 7);
  for (std::size_t i = 0; i < curve.size(); ++i) EXPECT_EQ(again[i].bpb_random, curve[i].bpb_random);

  // The CSV the simulator reads: round trip and the gap recovered.
  TempDir d;
  write_routing_csv(d.path / "c.csv", curve, "test curve\nsecond line");
  const RoutingCurve rc = read_routing_csv(d.path / "c.csv", "quality_curve");
  ASSERT_EQ(rc.share.size(), curve.size());
  EXPECT_DOUBLE_EQ(rc.gap_recovered(0.0), 0.0);
  EXPECT_DOUBLE_EQ(rc.gap_recovered(1.0), 1.0);
  EXPECT_GT(rc.gap_recovered(0.7), 0.7);  // better than the straight line of random routing
  EXPECT_GE(rc.gap_recovered(0.7), rc.gap_recovered(0.3));
}

// The shipped curve (models/token_routing/lm_pair_curve.csv, the full-size pair on 100,000
// held-out positions): confidence routing beats random routing at equal share from 15 %
// on, runs from the student's bpb down to the teacher's, and recovers most of the gap by 80 %.
TEST(TokenRouter, ShippedCurveBeatsRandomRouting) {
  const auto file = source_dir() / "models/token_routing/lm_pair_curve.csv";
  const RoutingCurve c = read_routing_csv(file, "quality_curve");
  std::ifstream in(file);
  std::string line;
  int rows = 0, better = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == 't') continue;
    double s = 0, thr = 0, routed = 0, random = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf", &s, &thr, &routed, &random), 4) << line;
    ++rows;
    if (s >= 0.15 && s < 1.0) {
      EXPECT_LT(routed, random - 0.002) << "share " << s;
      ++better;
    }
  }
  EXPECT_EQ(rows, 21);
  EXPECT_EQ(better, 17);
  EXPECT_GT(c.bpb.front(), c.bpb.back() + 0.05);
  for (std::size_t i = 1; i < c.bpb.size(); ++i) EXPECT_LE(c.bpb[i], c.bpb[i - 1]) << c.share[i];  // monotone
  EXPECT_GT(c.gap_recovered(0.8), 0.9);
  EXPECT_LT(c.gap_recovered(0.1), 0.2);
}

TEST(TokenRouter, GapRecoveredInterpolatesAndBadCurvesAreInputErrors) {
  TempDir d;
  write_file(d.path / "c.csv", "# note\nteacher_share,threshold,bpb_routed\n0,0,3.0\n0.5,0,2.2\n1,2,2.0\n");
  const RoutingCurve c = read_routing_csv(d.path / "c.csv", "k");
  EXPECT_DOUBLE_EQ(c.gap_recovered(0.25), 0.4);  // bpb 2.6 → (3 − 2.6)/(3 − 2)
  EXPECT_DOUBLE_EQ(c.gap_recovered(0.75), 0.9);
  EXPECT_DOUBLE_EQ(c.gap_recovered(-1.0), 0.0);
  write_file(d.path / "below.csv", "teacher_share,threshold,bpb_routed\n0,0,3.0\n0.5,0,1.5\n1,2,2.0\n");
  EXPECT_DOUBLE_EQ(read_routing_csv(d.path / "below.csv", "k").gap_recovered(0.5), 1.0);  // clamped
  const std::vector<std::string> bad = {
      "teacher_share,threshold,bpb_routed\n0.1,0,3.0\n1,2,2.0\n",   // does not start at 0
      "teacher_share,threshold,bpb_routed\n0,0,3.0\n0.9,2,2.0\n",   // does not end at 1
      "teacher_share,threshold,bpb_routed\n0,0,3.0\n0,0,2.5\n1,2,2.0\n",  // not rising
      "teacher_share,threshold,bpb_routed\n0,0,2.0\n1,2,3.0\n",     // student better than teacher
      "teacher_share,threshold,bpb_routed\n0,0,nan\n1,2,2.0\n",
      "share,bpb\n0,3\n1,2\n",
      "teacher_share,threshold,bpb_routed\n0,0,3x\n1,2,2.0\n"};
  for (std::size_t i = 0; i < bad.size(); ++i) {
    write_file(d.path / "bad.csv", bad[i]);
    EXPECT_THROW(read_routing_csv(d.path / "bad.csv", "k"), InputError) << i;
  }
  EXPECT_THROW(read_routing_csv(d.path / "missing.csv", "k"), InputError);
}

TEST(LmPair, SavedModelLoadsWithTheSamePredictions) {
  COLLABSIM_NEED_DATA(data_dir());
  const auto& p = pair();
  TempDir d;
  save_lm(p.teacher, d.path / "t.h5");
  const CharLm back = load_lm(d.path / "t.h5");
  EXPECT_EQ(back.shape().context, p.teacher.shape().context);
  EXPECT_EQ(back.shape().hidden, p.teacher.shape().hidden);
  EXPECT_DOUBLE_EQ(back.bits_per_byte(p.test, 5000), p.teacher.bits_per_byte(p.test, 5000));
  write_file(d.path / "x.h5", "not hdf5");
  EXPECT_THROW(load_lm(d.path / "x.h5"), InputError);
  EXPECT_THROW(load_lm(d.path / "none.h5"), InputError);
}
