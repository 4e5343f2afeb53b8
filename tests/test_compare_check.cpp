// `collabsim compare` and `collabsim check`: the comparison rules on synthetic numbers,
// result files (runs and hand-made sweep files) read by field name, golden files read,
// updated and checked, and the CLI's exit codes on a deliberately worse policy.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "sim/core/error.hpp"
#include "sim/io/summary.hpp"
#include "sim/results/compare.hpp"
#include "sim/study/golden.hpp"
#include "sim/results/metric_catalog.hpp"
#include "test_support.hpp"

namespace collabsim {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;
using testing::TempDir;
using testing::write_file;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Tolerance abs_tol(double v) { return Tolerance{v, false}; }
Tolerance rel_tol(double fraction) { return Tolerance{fraction, true}; }

// ---------------------------------------------------------------------------------------
// Catalog

TEST(MetricCatalog, MatchesSummaryColumnsInOrderAndUnit) {
  const auto cols = Summary{}.columns();
  const auto cat = metric_catalog();
  ASSERT_EQ(cols.size(), cat.size());
  for (std::size_t i = 0; i < cols.size(); ++i) {
    EXPECT_EQ(cols[i].first, cat[i].name) << i;
    EXPECT_EQ(cols[i].second.first, cat[i].unit) << cols[i].first;
  }
}

TEST(MetricCatalog, DirectionsAndSuggestions) {
  EXPECT_EQ(find_metric("quality_mean")->better, Better::higher);
  EXPECT_EQ(find_metric("throughput_rps")->better, Better::higher);
  EXPECT_EQ(find_metric("latency_p99_s")->better, Better::lower);
  EXPECT_EQ(find_metric("cost_per_1k_usd")->better, Better::lower);
  EXPECT_EQ(find_metric("n_timed_out")->better, Better::lower);
  EXPECT_EQ(find_metric("large_share")->better, Better::none);
  EXPECT_EQ(find_metric("quality_ci95_lo")->better, Better::none);
  EXPECT_EQ(find_metric("nope"), nullptr);
  EXPECT_EQ(closest_metric("qualty_mean"), "quality_mean");
  EXPECT_EQ(closest_metric("latency_p99"), "latency_p99_s");
  EXPECT_EQ(closest_metric("quality"), "quality_mean");
  EXPECT_EQ(closest_metric("zzzzzzzzzzzz"), "");
}

// ---------------------------------------------------------------------------------------
// One metric

TEST(CompareMetric, DirectionDecidesWorseOrBetter) {
  EXPECT_EQ(compare_metric("quality_mean", 0.58, 0.57, {}).verdict, Verdict::worse);
  EXPECT_EQ(compare_metric("quality_mean", 0.58, 0.59, {}).verdict, Verdict::better);
  EXPECT_EQ(compare_metric("latency_p99_s", 10, 11, {}).verdict, Verdict::worse);
  EXPECT_EQ(compare_metric("latency_p99_s", 10, 9, {}).verdict, Verdict::better);
  EXPECT_EQ(compare_metric("n_ok", 100, 99, {}).verdict, Verdict::worse);
  EXPECT_EQ(compare_metric("large_share", 0.3, 0.9, {}).verdict, Verdict::changed);
  EXPECT_EQ(compare_metric("n_requests", 2000, 1000, {}).verdict, Verdict::changed);
  const auto m = compare_metric("latency_p99_s", 10, 12, {});
  EXPECT_DOUBLE_EQ(m.delta, 2);
  EXPECT_DOUBLE_EQ(m.delta_rel, 0.2);
  EXPECT_EQ(m.unit, "s");
}

TEST(CompareMetric, DefaultToleranceIsOnlyRoundingNoise) {
  EXPECT_EQ(compare_metric("latency_p99_s", 1.0, 1.0 + 1e-14, {}).verdict, Verdict::ok);
  EXPECT_EQ(compare_metric("latency_p99_s", 1.0, 1.0 + 1e-9, {}).verdict, Verdict::worse);
  EXPECT_EQ(compare_metric("n_failed", 0, 0, {}).verdict, Verdict::ok);
  EXPECT_EQ(compare_metric("n_failed", 0, 1, {}).verdict, Verdict::worse);
}

TEST(CompareMetric, AbsoluteTolerance) {
  EXPECT_EQ(compare_metric("quality_mean", 0.58, 0.576, abs_tol(0.005)).verdict, Verdict::ok);
  EXPECT_EQ(compare_metric("quality_mean", 0.58, 0.574, abs_tol(0.005)).verdict, Verdict::worse);
  EXPECT_EQ(compare_metric("quality_mean", 0.58, 0.586, abs_tol(0.005)).verdict, Verdict::better);
  EXPECT_EQ(compare_metric("large_share", 0.30, 0.31, abs_tol(0.02)).verdict, Verdict::ok);
  EXPECT_EQ(compare_metric("large_share", 0.30, 0.33, abs_tol(0.02)).verdict, Verdict::changed);
}

TEST(CompareMetric, RelativeToleranceScalesWithBase) {
  EXPECT_EQ(compare_metric("latency_p99_s", 10, 10.29, rel_tol(0.03)).verdict, Verdict::ok);
  EXPECT_EQ(compare_metric("latency_p99_s", 10, 10.31, rel_tol(0.03)).verdict, Verdict::worse);
  EXPECT_EQ(compare_metric("latency_p99_s", 10, 9.69, rel_tol(0.03)).verdict, Verdict::better);
  EXPECT_EQ(compare_metric("latency_p99_s", 100, 102.9, rel_tol(0.03)).verdict, Verdict::ok);
  // A relative tolerance of a zero base allows nothing.
  EXPECT_EQ(compare_metric("n_failed", 0, 1, rel_tol(0.5)).verdict, Verdict::worse);
}

TEST(CompareMetric, NaNRules) {
  EXPECT_EQ(compare_metric("latency_p99_s", kNaN, kNaN, {}).verdict, Verdict::ok);
  EXPECT_EQ(compare_metric("latency_p99_s", 1, kNaN, {}).verdict, Verdict::missing);  // fails closed (W3)
  EXPECT_TRUE(fails(Verdict::missing));
  EXPECT_EQ(compare_metric("latency_p99_s", kNaN, 1, {}).verdict, Verdict::na);
  EXPECT_EQ(compare_metric("quality_mean", kNaN, 0.1, abs_tol(1)).verdict, Verdict::na);
  EXPECT_EQ(compare_metric("latency_p99_s", kInf, kInf, {}).verdict, Verdict::ok);
  EXPECT_EQ(compare_metric("latency_p99_s", 1, kInf, rel_tol(10)).verdict, Verdict::worse);
}

TEST(CompareMetric, SeedsNeedToExceedTheCombinedInterval) {
  // hw 0.003 on both sides: combined half-width sqrt(2)·0.003 = 0.00424.
  const auto noise = compare_metric("quality_mean", "1", Better::higher, 0.580, 0.577, {}, true, 0.003, 0.003);
  EXPECT_EQ(noise.verdict, Verdict::ok);
  EXPECT_NEAR(noise.ci_halfwidth, std::sqrt(2.0) * 0.003, 1e-15);
  EXPECT_EQ(compare_metric("quality_mean", "1", Better::higher, 0.580, 0.575, {}, true, 0.003, 0.003).verdict,
            Verdict::worse);
  // Beyond the interval but inside the tolerance: still ok (both must be exceeded).
  EXPECT_EQ(compare_metric("quality_mean", "1", Better::higher, 0.580, 0.575, abs_tol(0.01), true, 0.003, 0.003)
                .verdict,
            Verdict::ok);
  // NaN half-widths (one seed) count as 0.
  EXPECT_EQ(compare_metric("quality_mean", "1", Better::higher, 0.580, 0.579, {}, true, kNaN, kNaN).verdict,
            Verdict::worse);
}

TEST(Tolerances, ParseForms) {
  EXPECT_DOUBLE_EQ(parse_tolerance("±0.5%").value, 0.005);
  EXPECT_TRUE(parse_tolerance("±0.5%").relative);
  EXPECT_DOUBLE_EQ(parse_tolerance("+-3%").value, 0.03);
  EXPECT_DOUBLE_EQ(parse_tolerance("+/-3 %").value, 0.03);
  EXPECT_DOUBLE_EQ(parse_tolerance("0.002").value, 0.002);
  EXPECT_FALSE(parse_tolerance("0.002").relative);
  EXPECT_DOUBLE_EQ(parse_tolerance(" ±1e-3 ").value, 0.001);
  for (const char* bad : {"", "%", "abc", "-1", "±-1%", "1.2.3", "3%%", "inf", "nan"})
    EXPECT_THROW(parse_tolerance(bad), InputError) << bad;
  EXPECT_EQ(parse_tolerance("3%").str(), "±3%");
  EXPECT_EQ(parse_tolerance("0.005").str(), "±0.005");
}

TEST(Tolerances, PerMetricAndDefault) {
  Tolerances t;
  t.add("quality_mean=±0.01");
  t.add("latency_p99_s=5%");
  t.add("±1%");
  EXPECT_DOUBLE_EQ(t.of("quality_mean").value, 0.01);
  EXPECT_FALSE(t.of("quality_mean").relative);
  EXPECT_TRUE(t.of("latency_p99_s").relative);
  EXPECT_DOUBLE_EQ(t.of("cost_per_1k_usd").value, 0.01);
  EXPECT_TRUE(t.of("cost_per_1k_usd").relative);
  try {
    t.add("qualty_mean=1");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'quality_mean'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t.add("0.1"), InputError);  // absolute default: units differ
  EXPECT_THROW(t.add("quality_mean="), InputError);
  EXPECT_THROW(t.add("=3%"), InputError);
}

// ---------------------------------------------------------------------------------------
// Result files: hand-made sweeps (the layout of sim/study/sweep.hpp)

/// A column of a hand-made compound table: int64, float64 or a fixed-length string.
struct Col {
  std::string name;
  char kind;  // 'i', 'f', 's'
  std::vector<double> num;
  std::vector<std::string> text;
};

void write_compound(H5::H5File& f, const std::string& path, const std::vector<Col>& cols) {
  const std::size_t rows = cols[0].kind == 's' ? cols[0].text.size() : cols[0].num.size();
  constexpr std::size_t kStr = 16;
  std::size_t size = 0;
  std::vector<std::size_t> off;
  for (const auto& c : cols) off.push_back(size), size += c.kind == 's' ? kStr : 8;
  H5::CompType t(size);
  H5::StrType st(H5::PredType::C_S1, kStr);
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].kind == 'i')
      t.insertMember(cols[i].name, off[i], H5::PredType::NATIVE_INT64);
    else if (cols[i].kind == 'f')
      t.insertMember(cols[i].name, off[i], H5::PredType::NATIVE_DOUBLE);
    else
      t.insertMember(cols[i].name, off[i], st);
  }
  std::vector<unsigned char> buf(rows * size, 0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < cols.size(); ++i) {
      unsigned char* p = buf.data() + r * size + off[i];
      if (cols[i].kind == 'i') {
        const auto v = static_cast<std::int64_t>(cols[i].num[r]);
        std::memcpy(p, &v, 8);
      } else if (cols[i].kind == 'f') {
        std::memcpy(p, &cols[i].num[r], 8);
      } else {
        std::memcpy(p, cols[i].text[r].data(), std::min(kStr, cols[i].text[r].size()));
      }
    }
  hsize_t n = rows;
  H5::DataSpace sp(1, &n);
  f.createDataSet(path, t, sp).write(buf.data(), t);
}

void set_attr(H5::H5File& f, const std::string& name, const std::string& value) {
  H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
  f.createAttribute(name, st, H5::DataSpace(H5S_SCALAR)).write(st, value);
}

/// A sweep over mechanism.name × mechanism.cascade.thresholds with `seeds` seeds per
/// combination: quality = q(threshold) + noise(seed), latency = 1 + threshold.
struct SweepSpec {
  std::vector<std::string> names{"cascade", "random"};
  std::vector<double> thresholds{0.3, 0.5};
  int seeds = 1;
  double quality_shift = 0;  // added to every quality value
  double noise = 0.002;      // ± per seed
  bool reverse_rows = false;
  bool fail_first = false;
};

void write_sweep(const fs::path& file, const SweepSpec& s, const std::vector<std::string>& axes = {
                                                              "mechanism.name", "mechanism.cascade.thresholds"}) {
  H5::H5File f(file.string(), H5F_ACC_TRUNC);
  set_attr(f, "file_kind", "sweep");
  std::string joined;
  for (const auto& a : axes) joined += (joined.empty() ? "" : "\n") + a;
  set_attr(f, "sweep_axes", joined);
  f.createGroup("sweep");
  Col point{"point", 'i'}, combo{"combo", 'i'}, seed_index{"seed_index", 'i'}, seed{"seed", 'i'}, status{"status", 'i'};
  Col name{"mechanism.name", 's'}, thr{"mechanism.cascade.thresholds", 'f'}, q{"quality_mean", 'f'},
      lat{"latency_p99_s", 'f'}, share{"large_share", 'f'};
  Col a_combo{"combo", 'i'}, a_name{"mechanism.name", 's'}, a_thr{"mechanism.cascade.thresholds", 'f'},
      a_n{"n_seeds", 'i'};
  std::vector<Col> a_metrics;
  for (const char* m : {"quality_mean", "latency_p99_s", "large_share"})
    for (const char* suffix : {"_mean", "_sd", "_ci95_lo", "_ci95_hi"}) a_metrics.push_back({std::string(m) + suffix, 'f'});
  int p = 0, c = 0;
  for (const auto& nm : s.names)
    for (double t : s.thresholds) {
      std::vector<double> qs, ls, ss;
      for (int k = 0; k < s.seeds; ++k, ++p) {
        point.num.push_back(p), combo.num.push_back(c), seed_index.num.push_back(k), seed.num.push_back(100 + k);
        status.num.push_back(s.fail_first && p == 0 ? 1 : 0);
        name.text.push_back(nm), thr.num.push_back(t);
        const double noise = (k % 2 ? 1 : -1) * s.noise * (k + 1) / s.seeds;
        qs.push_back(0.5 + 0.1 * t + s.quality_shift + noise), ls.push_back(1 + t), ss.push_back(t);
        q.num.push_back(qs.back()), lat.num.push_back(ls.back()), share.num.push_back(ss.back());
      }
      a_combo.num.push_back(c++), a_name.text.push_back(nm), a_thr.num.push_back(t), a_n.num.push_back(s.seeds);
      std::size_t mi = 0;
      for (const auto* v : {&qs, &ls, &ss}) {
        double mean = 0, var = 0;
        for (double x : *v) mean += x / v->size();
        for (double x : *v) var += (x - mean) * (x - mean) / (v->size() - 1.0);
        const double sd = v->size() > 1 ? std::sqrt(var) : kNaN;
        const double hw = 2.776 * sd / std::sqrt(static_cast<double>(v->size()));  // t(0.975, 4)
        for (double x : {mean, sd, mean - hw, mean + hw}) a_metrics[mi++].num.push_back(x);
      }
    }
  std::vector<Col> pts{point, combo, seed_index, seed, status, name, thr, q, lat, share};
  if (s.reverse_rows)
    for (auto& col : pts) std::reverse(col.num.begin(), col.num.end()), std::reverse(col.text.begin(), col.text.end());
  write_compound(f, "sweep/points", pts);
  std::vector<Col> agg{a_combo, a_name, a_thr, a_n};
  agg.insert(agg.end(), a_metrics.begin(), a_metrics.end());
  write_compound(f, "sweep/aggregate", agg);
}

std::size_t count_verdict(const ComparisonReport& r, Verdict v, const std::string& metric = "") {
  std::size_t n = 0;
  for (const auto& row : r.rows) n += row.m.verdict == v && (metric.empty() || row.m.metric == metric);
  return n;
}

TEST(CompareSweeps, ReadsFieldsByNameAndMatchesPointsByValues) {
  TempDir dir;
  write_sweep(dir.path / "a.h5", {});
  SweepSpec reversed;
  reversed.reverse_rows = true;
  write_sweep(dir.path / "b.h5", reversed, {"mechanism.cascade.thresholds", "mechanism.name"});
  const ResultSet a = read_result_set(dir.path / "a.h5");
  EXPECT_EQ(a.kind, ResultKind::sweep);
  ASSERT_EQ(a.axes.size(), 2u);
  EXPECT_EQ(a.metrics, (std::vector<std::string>{"quality_mean", "latency_p99_s", "large_share"}));
  ASSERT_EQ(a.points.size(), 4u);
  EXPECT_EQ(a.points[1].params, (std::vector<std::string>{"cascade", "0.5"}));
  EXPECT_FALSE(a.has_seeds());
  // Same values in another row order and axis order: every point matches, nothing changed.
  const ComparisonReport r = compare_results(a, read_result_set(dir.path / "b.h5"), {});
  EXPECT_EQ(r.mode, "sweep points");
  EXPECT_EQ(r.points, 4u);
  EXPECT_TRUE(r.notes.empty());
  EXPECT_EQ(count_verdict(r, Verdict::ok), r.rows.size());
  EXPECT_FALSE(r.regression());
}

TEST(CompareSweeps, WorsePointsAreNamedAndFailedPointsRegress) {
  TempDir dir;
  write_sweep(dir.path / "a.h5", {});
  SweepSpec worse;
  worse.quality_shift = -0.01;
  worse.fail_first = true;
  write_sweep(dir.path / "b.h5", worse);
  const ComparisonReport r = compare_results(read_result_set(dir.path / "a.h5"), read_result_set(dir.path / "b.h5"), {});
  EXPECT_TRUE(r.regression());
  EXPECT_EQ(count_verdict(r, Verdict::worse, "quality_mean"), 4u);
  EXPECT_EQ(count_verdict(r, Verdict::worse, "status"), 1u);
  ASSERT_FALSE(r.regressed().empty());
  EXPECT_EQ(r.regressed()[0].first, "status");
  EXPECT_EQ(r.regressed()[1], std::make_pair(std::string("quality_mean"), std::size_t{4}));
  std::ostringstream os;
  print_report(os, r);
  EXPECT_NE(os.str().find("mechanism.name=cascade, mechanism.cascade.thresholds=0.3, seed 0"), std::string::npos)
      << os.str();
  // A tolerance wide enough holds.
  Tolerances t;
  t.add("quality_mean=±0.02");
  const ComparisonReport ok = compare_results(read_result_set(dir.path / "a.h5"), read_result_set(dir.path / "b.h5"), t);
  EXPECT_EQ(count_verdict(ok, Verdict::worse, "quality_mean"), 0u);
}

TEST(CompareSweeps, WithSeedsTheIntervalDecides) {
  TempDir dir;
  SweepSpec base;
  base.seeds = 5;
  base.noise = 0.01;  // half-width ≈ 2.776·sd/√5 ≈ 0.01
  write_sweep(dir.path / "a.h5", base);
  SweepSpec small = base;
  small.quality_shift = -0.005;  // inside the combined interval
  write_sweep(dir.path / "b.h5", small);
  SweepSpec big = base;
  big.quality_shift = -0.05;  // far beyond it
  write_sweep(dir.path / "c.h5", big);
  const ResultSet a = read_result_set(dir.path / "a.h5");
  ASSERT_TRUE(a.has_seeds());
  const ComparisonReport r1 = compare_results(a, read_result_set(dir.path / "b.h5"), {});
  EXPECT_EQ(r1.mode, "sweep aggregates over seeds");
  EXPECT_EQ(r1.points, 4u);
  EXPECT_FALSE(r1.regression());
  EXPECT_GT(r1.rows[0].m.ci_halfwidth, 0.005);
  const ComparisonReport r2 = compare_results(a, read_result_set(dir.path / "c.h5"), {});
  EXPECT_EQ(count_verdict(r2, Verdict::worse, "quality_mean"), 4u);
}

TEST(CompareSweeps, BadPairsAreInputErrors) {
  TempDir dir;
  write_sweep(dir.path / "a.h5", {});
  write_sweep(dir.path / "b.h5", {}, {"mechanism.name"});
  SweepSpec other;
  other.thresholds = {0.7, 0.9};
  write_sweep(dir.path / "c.h5", other);
  const ResultSet a = read_result_set(dir.path / "a.h5");
  EXPECT_THROW(compare_results(a, read_result_set(dir.path / "b.h5"), {}), InputError);  // different axes
  EXPECT_THROW(compare_results(a, read_result_set(dir.path / "c.h5"), {}), InputError);  // no point in common
  ResultSet run = a;
  run.kind = ResultKind::run;
  EXPECT_THROW(compare_results(run, a, {}), InputError);
  write_file(dir.path / "text.h5", "not hdf5\n");
  try {
    read_result_set(dir.path / "text.h5");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("text.h5"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos);
  }
  EXPECT_THROW(read_result_set(dir.path / "missing.h5"), InputError);
}

// ---------------------------------------------------------------------------------------
// Golden files

fs::path default_scenario() { return testing::source_dir() / "scenarios" / "edge_cloud_cascade.toml"; }

std::string golden_text(const std::string& extra_set = "", const std::string& metrics_body = "") {
  std::string sets = "\"workload.limit=2000\"";
  if (!extra_set.empty()) sets += ", \"" + extra_set + "\"";
  return "# a test golden ± comment kept\n"
         "[[case]]\n"
         "name = \"cascade\"\n"
         "scenario = \"" + default_scenario().string() + "\"\n"
         "set = [" + sets + "]\n\n"
         "[case.metrics]\n" +
         (metrics_body.empty() ? "quality_mean = { tol = 0.005 }\n"
                                 "latency_p99_s = { tol = \"3%\" }   # p99\n"
                                 "large_share = { tol = 0.02 }\n"
                               : metrics_body);
}

void expect_input_error(const fs::path& file, const std::string& needle, std::size_t line) {
  try {
    read_golden(file);
    FAIL() << "no error for " << needle;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(e.pos().line, line) << e.what();
  }
}

TEST(Golden, ReadValidatesKeysMetricsAndTolerances) {
  TempDir dir;
  const fs::path g = dir.path / "g.toml";
  write_file(g, golden_text("", "quality_mean = { value = 0.5, tol = 0.005 }\nlatency_p99_s = { value = 3, tol = \"3%\" }\n"));
  const GoldenFile gf = read_golden(g);
  ASSERT_EQ(gf.cases.size(), 1u);
  EXPECT_EQ(gf.cases[0].sets, (std::vector<std::string>{"workload.limit=2000"}));
  ASSERT_EQ(gf.cases[0].metrics.size(), 2u);
  EXPECT_EQ(*gf.cases[0].metrics[1].value, 3.0);
  EXPECT_TRUE(gf.cases[0].metrics[1].tol.relative);

  write_file(g, golden_text("", "qualty_mean = { value = 0.5 }\n"));
  expect_input_error(g, "did you mean 'quality_mean'", 8);
  write_file(g, golden_text("", "quality_mean = { value = 0.5, tolerance = 1 }\n"));
  expect_input_error(g, "did you mean 'tol'", 8);
  write_file(g, golden_text("", "quality_mean = { value = 0.5, tol = \"3 percent\" }\n"));
  expect_input_error(g, "3 percent", 8);
  write_file(g, golden_text("", "quality_mean = { tol = 0.005 }\n"));
  expect_input_error(g, "--update", 8);
  write_file(g, "[[case]]\nname = \"x\"\nscenaro = \"a.toml\"\n");
  expect_input_error(g, "did you mean 'scenario'", 3);
  write_file(g, "[[case]]\nname = \"x\"\nscenario = \"missing.toml\"\n[case.metrics]\nn_ok = { value = 1 }\n");
  expect_input_error(g, "no such scenario file", 3);
  write_file(g, "[[case]\n");
  EXPECT_THROW(read_golden(g), InputError);
}

// test.sh's sanitizer stage runs each shipped scenario through the goldens only (no loop of
// its own), so every scenario needs a case that runs its whole workload.
TEST(Golden, EveryShippedScenarioHasAWholeWorkloadCase) {
  std::set<fs::path> covered;
  for (const auto& e : fs::directory_iterator(testing::source_dir() / "tests" / "golden")) {
    if (e.path().extension() != ".toml") continue;
    for (const auto& c : read_golden(e.path(), false).cases) {
      const bool whole = std::none_of(c.sets.begin(), c.sets.end(), [](const std::string& s) {
        return s.rfind("workload.limit", 0) == 0 || s.rfind("workload.duration", 0) == 0 ||
               s.rfind("workload.window", 0) == 0;
      });
      if (whole) covered.insert(fs::weakly_canonical(c.scenario));
    }
  }
  int scenarios = 0;
  for (const auto& e : fs::directory_iterator(testing::source_dir() / "scenarios")) {
    if (e.path().extension() != ".toml") continue;
    ++scenarios;
    EXPECT_TRUE(covered.count(fs::weakly_canonical(e.path()))) << e.path() << " is in no golden case of tests/golden/";
  }
  EXPECT_GE(scenarios, 30);
}

TEST(Golden, UpdateRewritesOnlyTheValues) {
  TempDir dir;
  const fs::path g = dir.path / "g.toml";
  const std::string text = golden_text("", "quality_mean = { value = 0.5, tol = 0.005 }  # q\n"
                                            "latency_p99_s = { tol = \"3%\" }\n"
                                            "large_share = {}\n");
  write_file(g, text);
  const GoldenFile gf = read_golden(g, false);
  GoldenCaseResult r;
  r.ok = true;
  r.got = {0.5797123456789, 12.25, kNaN};
  EXPECT_THROW(updated_golden_text(text, gf, {r}), InputError);  // NaN is never recorded (W4)
  r.got[2] = 0.25;
  const std::string out = updated_golden_text(text, gf, {r});
  EXPECT_NE(out.find("# a test golden ± comment kept\n"), std::string::npos);
  EXPECT_NE(out.find("quality_mean = { value = 0.5797123456789, tol = 0.005 }  # q\n"), std::string::npos) << out;
  EXPECT_NE(out.find("latency_p99_s = { value = 12.25, tol = \"3%\" }\n"), std::string::npos) << out;
  EXPECT_NE(out.find("large_share = { value = 0.25 }\n"), std::string::npos) << out;
  EXPECT_NE(out.find("--update"), std::string::npos);  // header added
  EXPECT_EQ(golden_value_text(19366), "19366");
  EXPECT_EQ(golden_value_text(-kInf), "-inf");
  GoldenCaseResult failed;
  EXPECT_THROW(updated_golden_text(text, gf, {failed}), std::runtime_error);
}

// ---------------------------------------------------------------------------------------
// The CLI on real runs (default scenario, 2,000 requests)

class CompareCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    base_ = testing::run_scenario_file(*dir_, default_scenario(), "base", {"workload.limit=2000"}).file;
    // Threshold 0: the SLM's confidence never falls below it, so nothing escalates.
    worse_ = testing::run_scenario_file(*dir_, default_scenario(), "worse",
                                        {"workload.limit=2000", "mechanism.cascade.thresholds=[0.0]"})
                 .file;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string q(const fs::path& p) { return "'" + p.string() + "'"; }
  static inline TempDir* dir_ = nullptr;
  static inline fs::path base_, worse_;
};

TEST_F(CompareCli, ARunEqualsItself) {
  std::string out;
  EXPECT_EQ(run_cli("compare " + q(base_) + " " + q(base_), out), 0) << out;
  EXPECT_NE(out.find("no regression"), std::string::npos) << out;
  EXPECT_NE(out.find("quality_mean"), std::string::npos) << out;
  EXPECT_EQ(out.find("WORSE  "), std::string::npos) << out;
}

TEST_F(CompareCli, AWorsePolicyIsARegressionNamingTheMetric) {
  std::string out;
  EXPECT_EQ(run_cli("compare " + q(base_) + " " + q(worse_), out), 1) << out;
  bool quality_worse = false;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("quality_mean ", 0) == 0) quality_worse = line.find("WORSE") != std::string::npos;
  EXPECT_TRUE(quality_worse) << out;
  EXPECT_NE(out.find("REGRESSION: "), std::string::npos) << out;
  EXPECT_NE(out.substr(out.find("REGRESSION: ")).find("quality_mean"), std::string::npos) << out;
  // The other way round the quality is better, and the cheaper policy's cost is worse.
  EXPECT_EQ(run_cli("compare " + q(worse_) + " " + q(base_), out), 1) << out;
  EXPECT_NE(out.substr(out.find("REGRESSION: ")).find("cost_per_1k_usd"), std::string::npos) << out;
}

TEST_F(CompareCli, AWideToleranceHolds) {
  std::string out;
  // Every metric the base defines is defined in the worse run too (TPOT included), so nothing
  // is MISSING; a metric NaN in the new run only fails closed (issue 23 W3: tested by
  // Trust.W3_CompareFailsOnNaNOrMissingQualityInNew and CompareMetric.NaNRules).
  EXPECT_EQ(run_cli("compare " + q(base_) + " " + q(worse_) + " --tol 1000% --tol quality_mean=±0.5", out), 0) << out;
  EXPECT_NE(out.find(" 0 MISSING"), std::string::npos) << out;
  EXPECT_NE(out.find("no regression"), std::string::npos) << out;
  // Only quality widened: whatever else regresses, quality does not.
  run_cli("compare " + q(base_) + " " + q(worse_) + " --tol quality_mean=±0.5 --only-changes", out);
  const auto at = out.find("REGRESSION: ");
  if (at != std::string::npos) EXPECT_EQ(out.substr(at, out.find('\n', at) - at).find("quality_mean"), std::string::npos) << out;
}

TEST_F(CompareCli, BadInputExitsTwoNamingTheFile) {
  std::string out;
  EXPECT_EQ(run_cli("compare " + q(base_) + " " + q(dir_->path / "missing.h5"), out), 2) << out;
  EXPECT_NE(out.find("missing.h5"), std::string::npos) << out;
  write_file(dir_->path / "notes.txt", "just text\n");
  EXPECT_EQ(run_cli("compare " + q(dir_->path / "notes.txt") + " " + q(base_), out), 2) << out;
  EXPECT_NE(out.find("notes.txt: not an HDF5 file"), std::string::npos) << out;
  EXPECT_EQ(out.find("HDF5-DIAG"), std::string::npos) << out;
  EXPECT_EQ(run_cli("compare " + q(base_) + " " + q(base_) + " --tol latency_p99=1%", out), 2) << out;
  EXPECT_NE(out.find("did you mean 'latency_p99_s'"), std::string::npos) << out;
  EXPECT_EQ(run_cli("compare " + q(base_) + " " + q(base_) + " --tol quality_mean=abc", out), 2) << out;
  write_sweep(dir_->path / "sweep.h5", {});
  EXPECT_EQ(run_cli("compare " + q(base_) + " " + q(dir_->path / "sweep.h5"), out), 2) << out;
  EXPECT_NE(out.find("cannot compare a run"), std::string::npos) << out;
}

TEST_F(CompareCli, SweepsFromCollabsimSweepComparePointByPoint) {
  const std::string sweep = "sweep " + q(default_scenario()) + " --set workload.limit=500 --grid workload.rate_scale=1,2 -q -j 2";
  std::string out;
  ASSERT_EQ(run_cli(sweep + " -o " + q(dir_->path / "s1.h5"), out), 0) << out;
  ASSERT_EQ(run_cli(sweep + " --set mechanism.cascade.thresholds=[0.0] -o " + q(dir_->path / "s2.h5"), out), 0) << out;
  EXPECT_EQ(run_cli("compare " + q(dir_->path / "s1.h5") + " " + q(dir_->path / "s1.h5"), out), 0) << out;
  EXPECT_NE(out.find("workload.rate_scale=2, seed 0"), std::string::npos) << out;
  EXPECT_EQ(run_cli("compare " + q(dir_->path / "s1.h5") + " " + q(dir_->path / "s2.h5"), out), 1) << out;
  EXPECT_NE(out.find("quality_mean (2 of 2 points)"), std::string::npos) << out;
  EXPECT_EQ(run_cli("compare " + q(base_) + " " + q(dir_->path / "s1.h5"), out), 2) << out;
}

TEST_F(CompareCli, CheckPassesFailsOnAWorsePolicyAndUpdates) {
  TempDir dir;
  const fs::path g = dir.path / "golden.toml";
  write_file(g, golden_text());
  std::string out;
  // No values yet: check refuses, --update records them.
  EXPECT_EQ(run_cli("check " + q(g), out), 2) << out;
  EXPECT_EQ(run_cli("check " + q(g) + " --update -j 1", out), 0) << out;
  const std::string recorded = testing::read_file(g);
  EXPECT_NE(recorded.find("quality_mean = { value = 0."), std::string::npos) << recorded;
  EXPECT_NE(recorded.find("# p99"), std::string::npos) << recorded;
  EXPECT_EQ(run_cli("check " + q(g), out), 0) << out;
  EXPECT_NE(out.find("all cases hold"), std::string::npos) << out;

  // The same case with everything kept small: quality drops beyond 0.005.
  std::string worse = recorded;
  const std::string set = "\"workload.limit=2000\"";
  worse.replace(worse.find(set), set.size(), set + ", \"mechanism.cascade.thresholds=[0.0]\"");
  write_file(g, worse);
  EXPECT_EQ(run_cli("check " + q(g) + " -j 2", out), 1) << out;
  EXPECT_NE(out.find("REGRESSION: cascade/quality_mean"), std::string::npos) << out;
  EXPECT_NE(out.find("WORSE"), std::string::npos) << out;
  // The --set of the command line does the same to every case.
  write_file(g, recorded);
  EXPECT_EQ(run_cli("check " + q(g) + " --set mechanism.cascade.thresholds=[0.0]", out), 1) << out;
  write_file(g, worse);
  EXPECT_EQ(run_cli("check " + q(g) + " --update", out), 0) << out;
  EXPECT_EQ(run_cli("check " + q(g), out), 0) << out;

  // Bad input: an unknown key names file and line; a case whose override fails.
  write_file(g, recorded + "colour = \"red\"\n");
  EXPECT_EQ(run_cli("check " + q(g), out), 2) << out;
  EXPECT_NE(out.find("golden.toml:"), std::string::npos) << out;
  write_file(g, recorded);
  EXPECT_EQ(run_cli("check " + q(g) + " --set mechanism.cascade.nope=1", out), 2) << out;
  EXPECT_NE(out.find("case 'cascade'"), std::string::npos) << out;
}

}  // namespace
}  // namespace collabsim
