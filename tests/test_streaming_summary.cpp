// Streaming summaries: QuantileSketch (exact selection, then relative-error buckets) and
// the summary's closed-form bootstrap interval.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "sim/io/quantile_sketch.hpp"
#include "sim/io/summary.hpp"

namespace collabsim {
namespace {

/// Type-7 percentile by full sort: the definition the summary has always used.
double sorted_percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::vector<double> lognormal(std::size_t n, unsigned seed) {
  std::mt19937_64 g(seed);
  std::lognormal_distribution<double> d(0.0, 1.5);
  std::vector<double> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

const double kQs[] = {0, 1, 25, 50, 95, 99, 99.9, 100};

TEST(QuantileSketch, ExactModeIsBitIdenticalToSorting) {
  const auto v = lognormal(10001, 1);
  QuantileSketch s;
  for (double x : v) s.add(x);
  ASSERT_TRUE(s.exact());
  for (double q : kQs) EXPECT_EQ(s.percentile(q), sorted_percentile(v, q)) << "q=" << q;
  std::vector<double> w = v;  // the free function too
  for (double q : kQs) EXPECT_EQ(percentile(w, q), sorted_percentile(v, q)) << "q=" << q;
}

TEST(QuantileSketch, BucketsStayWithinRelativeAccuracy) {
  auto v = lognormal(200000, 2);
  v.push_back(0.0);  // a zero and negatives take their own stores
  v.push_back(-3.0);
  v.push_back(-0.25);
  QuantileSketch s(/*exact_limit=*/1000);
  for (double x : v) s.add(x);
  ASSERT_FALSE(s.exact());
  EXPECT_EQ(s.count(), v.size());
  for (double q : kQs) {
    const double exact = sorted_percentile(v, q);
    // Bound: α · max(|x_(lo)|, |x_(lo+1)|); for these positive order statistics α · |exact| · (1 + tiny).
    EXPECT_LE(std::abs(s.percentile(q) - exact), kSketchRelativeAccuracy * std::abs(exact) * 1.000001 + 1e-300)
        << "q=" << q;
  }
  EXPECT_EQ(s.percentile(0), -3.0);  // extremes are kept exactly
  EXPECT_EQ(s.percentile(100), *std::max_element(v.begin(), v.end()));
  // A coarser sketch is measurably less accurate, so the bound above is not vacuous.
  QuantileSketch coarse(0, 0.05);
  for (double x : v) coarse.add(x);
  const double exact50 = sorted_percentile(v, 50);
  EXPECT_GT(std::abs(coarse.percentile(50) - exact50), kSketchRelativeAccuracy * exact50);
  EXPECT_LE(std::abs(coarse.percentile(50) - exact50), 0.05 * exact50 * 1.000001);
}

TEST(QuantileSketch, MergeEqualsOneStream) {
  const auto v = lognormal(50000, 3);
  for (std::uint64_t limit : {std::uint64_t{0}, std::uint64_t{30000}, kExactQuantileLimit}) {
    QuantileSketch whole(limit), a(limit), b(limit);
    for (std::size_t i = 0; i < v.size(); ++i) {
      whole.add(v[i]);
      (i % 3 == 0 ? a : b).add(v[i]);
    }
    a.merge(b);
    EXPECT_EQ(a.count(), whole.count());
    EXPECT_EQ(a.exact(), whole.exact()) << "limit=" << limit;
    for (double q : kQs) EXPECT_EQ(a.percentile(q), whole.percentile(q)) << "limit=" << limit << " q=" << q;
  }
  QuantileSketch other_accuracy(0, 0.01);
  QuantileSketch s;
  EXPECT_THROW(s.merge(other_accuracy), std::invalid_argument);
}

TEST(QuantileSketch, RejectsNaNAndBadAccuracy) {
  QuantileSketch s;
  EXPECT_TRUE(std::isnan(s.percentile(50)));
  EXPECT_THROW(s.add(std::nan("")), std::invalid_argument);
  EXPECT_THROW(QuantileSketch(10, 0.0), std::invalid_argument);
  EXPECT_THROW(QuantileSketch(10, 0.5), std::invalid_argument);
}

RequestRecord record(std::uint64_t id, double quality, Status status = Status::Ok) {
  RequestRecord r;
  r.request_id = id;
  r.quality = quality;
  r.status = status;
  r.latency_s = 1.0 + static_cast<double>(id % 17);
  r.ttft_s = 0.1 * static_cast<double>(id % 5);
  r.tpot_s = 0.01;
  r.tokens = {1};
  r.device_energy = {0.0};
  return r;
}

TEST(StreamingSummary, QualityIntervalIsTheIdealBootstrap) {
  // Few-valued scores with some failures (scored 0).
  std::mt19937_64 g(4);
  std::uniform_int_distribution<int> pick(0, 3);
  SummaryAccumulator acc({false});
  std::vector<double> x;
  for (std::uint64_t i = 0; i < 3000; ++i) {
    const double q = pick(g) / 3.0;
    const Status st = i % 50 == 0 ? Status::Failed : Status::Ok;
    acc.add(record(i, q, st));
    x.push_back(st == Status::Ok ? q : 0.0);
  }
  const Summary s = acc.finish();
  const double m = static_cast<double>(x.size());
  double mean = 0;
  for (double v : x) mean += v / m;
  double ss = 0;
  for (double v : x) ss += (v - mean) * (v - mean);
  const double half = 1.959963984540054 * std::sqrt(ss) / m;
  EXPECT_NEAR(s.quality_mean, mean, 1e-12);
  EXPECT_NEAR(s.quality_ci95_hi - s.quality_mean, half, 1e-12);
  EXPECT_NEAR(s.quality_mean - s.quality_ci95_lo, half, 1e-12);
  // A long resampling bootstrap converges to it (Monte-Carlo error ~1/sqrt(2B) = 1.6%).
  std::uniform_int_distribution<std::size_t> draw(0, x.size() - 1);
  const int B = 2000;
  double sum = 0, sum_sq = 0;
  for (int b = 0; b < B; ++b) {
    double t = 0;
    for (std::size_t i = 0; i < x.size(); ++i) t += x[draw(g)];
    sum += t / m;
    sum_sq += (t / m) * (t / m);
  }
  const double se_boot = std::sqrt((sum_sq - sum * sum / B) / (B - 1));
  EXPECT_NEAR(half / 1.959963984540054, se_boot, 0.06 * se_boot);
}

TEST(StreamingSummary, PercentilesMatchSortingAndOneRequestHasNoInterval) {
  SummaryAccumulator acc({false});
  std::vector<double> lat;
  for (std::uint64_t i = 0; i < 1001; ++i) {
    acc.add(record(i, 1.0));
    lat.push_back(1.0 + static_cast<double>(i % 17));
  }
  const Summary s = acc.finish();
  EXPECT_EQ(s.latency_p50_s, sorted_percentile(lat, 50));
  EXPECT_EQ(s.latency_p99_s, sorted_percentile(lat, 99));
  EXPECT_EQ(s.quality_ci95_lo, 1.0);  // every score equal: zero width
  SummaryAccumulator one({false});
  one.add(record(0, 0.5));
  EXPECT_TRUE(std::isnan(one.finish().quality_ci95_lo));
}

TEST(StreamingSummary, QualityIntervalIsClippedToTheScoreRange) {
  // Scores 0 and 1: mean 0.5, half-width 1.96 * sqrt(0.5) / 2 = 0.693, so the normal interval
  // would be [-0.19, 1.19]; a score lies in [0, 1] (issue 23 W10).
  SummaryAccumulator acc({false});
  acc.add(record(0, 0.0));
  acc.add(record(1, 1.0));
  const Summary s = acc.finish();
  EXPECT_EQ(s.quality_mean, 0.5);
  EXPECT_EQ(s.quality_ci95_lo, 0.0);
  EXPECT_EQ(s.quality_ci95_hi, 1.0);
  // An interval inside [0, 1] is not touched: 0.4 and 0.6 give 0.5 +- 1.96 * sqrt(0.02) / 2.
  SummaryAccumulator mid({false});
  mid.add(record(0, 0.4));
  mid.add(record(1, 0.6));
  const Summary t = mid.finish();
  const double half = 1.959963984540054 * std::sqrt(0.02) / 2.0;
  EXPECT_NEAR(t.quality_ci95_lo, 0.5 - half, 1e-12);
  EXPECT_NEAR(t.quality_ci95_hi, 0.5 + half, 1e-12);
}

}  // namespace
}  // namespace collabsim
