// Issue 27, item 7: --unset, grid axes that supply required keys, the --grid error text,
// check --init, inspect --explain, the interrupted-sweep note.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>

#include "sim/core/error.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/results/metric_catalog.hpp"
#include "sim/results/paired.hpp"
#include "sim/results/stats.hpp"
#include "sim/results/table.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/golden.hpp"
#include "sim/study/run_scenario.hpp"
#include "sim/study/saturation.hpp"
#include "sim/study/sweep_spec.hpp"
#include "test_support.hpp"

namespace collabsim {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;
using testing::TempDir;

fs::path default_scenario() { return testing::source_dir() / "scenarios" / "edge_cloud_cascade.toml"; }
std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

std::string input_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

// ---------------------------------------------------------------------------------------
// Unit: the --grid message, the catalogue's definitions

TEST(ResultsUnit, GridRangeErrorQuotesTheArgumentWithoutLineAndColumn) {
  const std::string e = input_error([] { parse_grid_argument("k=0:1:0"); });
  EXPECT_NE(e.find("--grid 'k=0:1:0': key 'k'"), std::string::npos) << e;
  EXPECT_EQ(e.find("0:1:0:1"), std::string::npos) << e;  // the old suffix read as more of the range
}

TEST(ResultsUnit, EveryCatalogMetricHasADefinitionSourceAndGlossaryRow) {
  std::ifstream in(testing::source_dir() / "docs" / "GLOSSARY.md");
  std::vector<std::string> first_cells;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("| ", 0) == 0) first_cells.push_back(line.substr(2, line.find(" | ") - 2));
  ASSERT_GT(first_cells.size(), 20u);
  for (const auto& m : metric_catalog()) {
    EXPECT_FALSE(m.description.empty()) << m.name;
    EXPECT_FALSE(m.source.empty()) << m.name;
    ASSERT_FALSE(m.glossary.empty()) << m.name;
    const bool found = std::any_of(first_cells.begin(), first_cells.end(), [&](const std::string& c) {
      return c.find(m.glossary) != std::string::npos;
    });
    EXPECT_TRUE(found) << m.name << ": no docs/GLOSSARY.md row names \"" << m.glossary << "\"";
  }
}


// ---------------------------------------------------------------------------------------
// Intervals: coverage on a synthetic case with a known mean; the paired difference

// 4,000 samples of n = 5 normal values (mean 3, sd 2): the Student-t interval covers the
// true mean in 95% of them (binomial sd 0.34 points); a z interval (1.96) would cover ~88%.
TEST(ResultsUnit, StudentIntervalCoversAKnownMeanNinetyFivePercent) {
  std::mt19937_64 rng(27);
  std::normal_distribution<double> draw(3.0, 2.0);
  int covered = 0;
  const int reps = 4000;
  for (int r = 0; r < reps; ++r) {
    std::vector<double> x(5);
    for (auto& v : x) v = draw(rng);
    const MeanCi ci = mean_ci95(x);
    covered += ci.lo <= 3.0 && 3.0 <= ci.hi;
  }
  const double share = static_cast<double>(covered) / reps;
  EXPECT_GT(share, 0.935);
  EXPECT_LT(share, 0.965);
}

// The paired interval also covers a known mean difference 95% of the time, and with a
// shared per-seed effect (common random numbers) it is narrower than Welch's.
TEST(ResultsUnit, PairedIntervalCoversTheTrueDifferenceAndIsNarrowerUnderCommonNoise) {
  std::mt19937_64 rng(2027);
  std::normal_distribution<double> seed_effect(0.0, 1.0), own(0.0, 0.1);
  int covered = 0, narrower = 0;
  const int reps = 4000;
  for (int r = 0; r < reps; ++r) {
    std::vector<double> a(5), b(5);
    for (int s = 0; s < 5; ++s) {
      const double common = seed_effect(rng);  // the seed's arrivals and questions, shared
      a[s] = 10 + common + own(rng);
      b[s] = 10.5 + common + own(rng);
    }
    const DiffInterval p = paired_interval(a, b), w = welch_interval(a, b);
    covered += p.lo <= 0.5 && 0.5 <= p.hi;
    narrower += p.halfwidth() < w.halfwidth();
  }
  EXPECT_GT(covered, 0.935 * reps);
  EXPECT_LT(covered, 0.965 * reps);
  EXPECT_GT(narrower, 0.99 * reps);
}

TEST(ResultsUnit, PairedDifferenceOnAConstructedPair) {
  const std::vector<double> a = {1, 2, 3, 4, 5}, b = {1.5, 2.4, 3.6, 4.5, 5.5};
  const DiffInterval p = paired_interval(a, b);
  EXPECT_EQ(p.n, 5);
  EXPECT_NEAR(p.mean, 0.5, 1e-12);
  // d = .5 .4 .6 .5 .5: sd = sqrt(0.02/4) = 0.070711, t(0.975, 4) = 2.776445
  EXPECT_NEAR(p.halfwidth(), 2.776445105 * 0.0707106781 / std::sqrt(5.0), 1e-8);
  const DiffInterval w = welch_interval(a, b);
  EXPECT_NEAR(w.mean, 0.5, 1e-12);
  EXPECT_LT(w.lo, 0);  // apart, the two samples overlap: no difference visible
  EXPECT_GT(p.lo, 0);  // paired, the gain is clear
  EXPECT_EQ(paired_verdict(p, Better::higher), Verdict::better);
  EXPECT_EQ(paired_verdict(p, Better::lower), Verdict::worse);
  EXPECT_EQ(paired_verdict(p, Better::none), Verdict::changed);
  EXPECT_EQ(paired_verdict(w, Better::higher), Verdict::ok);
  EXPECT_EQ(paired_verdict(paired_interval({1}, {2}), Better::higher), Verdict::missing);
  // NaN pairs are left out, not counted as 0
  EXPECT_EQ(paired_interval({1, 2, NAN}, {2, 3, 4}).n, 2);
}

/// A sweep result set made by hand: axes mechanism.name × workload.rate_scale, 3 seeds.
ResultSet constructed_sweep() {
  ResultSet rs;
  rs.file = "constructed.h5";
  rs.kind = ResultKind::sweep;
  rs.axes = {"mechanism.name", "workload.rate_scale"};
  rs.metrics = {"quality_mean", "latency_p99_s"};
  rs.units = {"1", "s"};
  const double q[2][3] = {{0.50, 0.60, 0.55}, {0.52, 0.621, 0.569}};  // router = cascade + (.02, .021, .019)
  for (int m = 0; m < 2; ++m)
    for (int rate = 1; rate <= 2; ++rate)
      for (int s = 0; s < 3; ++s) {
        ResultRow r;
        r.params = {m == 0 ? "cascade" : "router", std::to_string(rate)};
        r.keys = r.params;
        r.seed_index = s;
        r.values = {q[m][s] - 0.1 * (rate - 1), 1.0 * rate + s};
        rs.points.push_back(r);
      }
  for (int m = 0; m < 2; ++m)
    for (int rate = 1; rate <= 2; ++rate) {
      ResultRow r;
      r.params = {m == 0 ? "cascade" : "router", std::to_string(rate)};
      r.keys = r.params;
      r.n_seeds = 3;
      r.values = {0.5 + 0.01 * m - 0.1 * (rate - 1), 2.0 * rate};
      r.halfwidth = {0.0123, 0.45};
      rs.aggregate.push_back(r);
    }
  return rs;
}

TEST(ResultsUnit, PairedComparisonMatchesPointsBySeedWithinGroups) {
  const ResultSet rs = constructed_sweep();
  const auto rows = paired_comparison(rs, "mechanism.name", "cascade", "router", {"quality_mean"});
  ASSERT_EQ(rows.size(), 2u);  // one per rate
  EXPECT_EQ(rows[0].group, "workload.rate_scale=1");
  EXPECT_NEAR(rows[0].paired.mean, 0.02, 1e-12);
  EXPECT_EQ(rows[0].paired.n, 3);
  EXPECT_EQ(rows[0].verdict, Verdict::better);
  EXPECT_LT(rows[0].paired.halfwidth(), rows[0].welch.halfwidth());
  EXPECT_NEAR(rows[1].mean_a, 0.45, 1e-12);
  EXPECT_NE(input_error([&] { paired_comparison(rs, "mechanism.name", "cascade", "oracle", {}); }).find("oracle"),
            std::string::npos);
  EXPECT_NE(input_error([&] { paired_comparison(rs, "workload.limit", "1", "2", {}); }).find("not a swept key"),
            std::string::npos);
  EXPECT_NE(input_error([&] { paired_comparison(rs, "mechanism.name", "cascade", "router", {"qualty_mean"}); })
                .find("did you mean 'quality_mean'"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------
// collabsim table: each format parsed back

std::vector<std::vector<std::string>> split_rows(const std::string& text, char sep) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::string cell;
    for (char c : line)
      if (c == sep) cells.push_back(cell), cell.clear();
      else cell += c;
    cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

TEST(ResultsUnit, TableCsvMarkdownLatexParseBack) {
  const ResultTable t = build_table({constructed_sweep()}, {"quality_mean", "latency_p99_s"}, "workload.rate_scale");
  ASSERT_EQ(t.keys, (std::vector<std::string>{"workload.rate_scale", "mechanism.name"}));
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[0].keys[0], "1");  // sorted by --by, ties in file order
  EXPECT_EQ(t.rows[1].keys[1], "router");
  EXPECT_EQ(t.rows[2].keys[0], "2");

  const auto csv = split_rows(render_table(t, TableFormat::csv), ',');
  ASSERT_EQ(csv.size(), 5u);
  EXPECT_EQ(csv[0], (std::vector<std::string>{"workload.rate_scale", "mechanism.name", "n_seeds", "quality_mean_mean",
                                               "quality_mean_ci95_hw", "latency_p99_s_mean", "latency_p99_s_ci95_hw"}));
  EXPECT_EQ(csv[2][1], "router");
  EXPECT_DOUBLE_EQ(std::stod(csv[2][3]), 0.51);
  EXPECT_DOUBLE_EQ(std::stod(csv[2][4]), 0.0123);
  EXPECT_DOUBLE_EQ(std::stod(csv[3][5]), 4.0);
  EXPECT_EQ(csv[3][2], "3");

  const std::string md = render_table(t, TableFormat::markdown);
  const auto mdr = split_rows(md, '|');
  EXPECT_EQ(trimmed(mdr[0][4]), "quality_mean");
  EXPECT_EQ(trimmed(mdr[0][5]), "latency_p99_s [s]");
  EXPECT_EQ(trimmed(mdr[1][4]), "---:");
  EXPECT_EQ(trimmed(mdr[3][4]), "0.510 ± 0.012");  // hw to 2 significant digits, the mean to match
  EXPECT_EQ(trimmed(mdr[3][5]), "2.00 ± 0.45");
  EXPECT_NE(md.find("95% Student-t interval over seeds"), std::string::npos);
  // How a percentile's interval is made is stated (issue 27 item 1): by seeds, not over requests.
  EXPECT_NE(md.find("a percentile (p50/p95/p99) is each seed's percentile over its requests"), std::string::npos);

  const std::string tex = render_table(t, TableFormat::latex);
  EXPECT_NE(tex.find("\\begin{tabular}{llrrr}\n\\toprule\n"), std::string::npos) << tex;
  EXPECT_NE(tex.find("\\midrule"), std::string::npos);
  EXPECT_NE(tex.find("\\bottomrule\n\\end{tabular}"), std::string::npos);
  EXPECT_NE(tex.find("workload.rate\\_scale & mechanism.name & seeds & quality\\_mean & latency\\_p99\\_s [s] \\\\"),
            std::string::npos)
      << tex;
  std::smatch m;
  const std::string body = tex.substr(tex.find("\\midrule"));
  ASSERT_TRUE(std::regex_search(body, m, std::regex("1 & router & 3 & \\$([0-9.]+) \\\\pm ([0-9.]+)\\$")));
  EXPECT_DOUBLE_EQ(std::stod(m[1].str()), 0.510);
  EXPECT_DOUBLE_EQ(std::stod(m[2].str()), 0.012);

  EXPECT_NE(input_error([] { build_table({constructed_sweep()}, {"quality_mean"}, "workload.limit"); }).find("--by"),
            std::string::npos);
  EXPECT_EQ(mean_pm(12.345, 1.234), "12.3 ± 1.2");
  EXPECT_EQ(mean_pm(937.4, 41.0), "937 ± 41");
  EXPECT_EQ(mean_pm(0.5, NAN), "0.5");
}

// ---------------------------------------------------------------------------------------
// Saturation warnings name the component and a fix that fits it

TEST(ResultsUnit, SaturationWarningNamesTheComponentAndAFittingFix) {
  DeviceSpec cloud;
  cloud.name = "cloud";
  cloud.replicas = 2;
  cloud.accelerators = 4;
  SaturationFacts f{0.999, 9000, 3500, false, false};
  const std::string pool = saturation_warning(cloud, f);
  EXPECT_NE(pool.find("shared device pool 'cloud' (2 replica(s) × 4 accelerator(s)) stayed saturated"),
            std::string::npos)
      << pool;
  EXPECT_NE(pool.find("devices.cloud.replicas > 2"), std::string::npos) << pool;
  EXPECT_EQ(pool.find("per_user"), std::string::npos) << pool;  // a cloud pool is not one per user
  f.autoscaled = true;
  const std::string scaled = saturation_warning(cloud, f);
  EXPECT_NE(scaled.find("autoscaler could not keep up"), std::string::npos) << scaled;
  DeviceSpec phone;
  phone.name = "phone";
  f = SaturationFacts{0.98, 4000, 1000, true, false};
  const std::string origin = saturation_warning(phone, f);
  EXPECT_NE(origin.find("origin device 'phone'"), std::string::npos) << origin;
  EXPECT_NE(origin.find("set devices.phone.per_user = true"), std::string::npos) << origin;
  EXPECT_EQ(origin.find("replicas >"), std::string::npos) << origin;
}

// Links: each direction of a shared link is named, with a fix that fits it.
TEST(ResultsUnit, LinkSaturationWarningNamesTheDirectionAndAFittingFix) {
  LinkSpec kv;
  kv.name = "kv";
  kv.from = "prefill";
  kv.to = "decode";
  kv.up_bandwidth = 125e6;  // 1 Gbit/s
  kv.down_bandwidth = 50e9;
  LinkSaturationFacts f;
  f.up = true;
  f.busy_share = 0.998;
  f.bytes = 250e9;  // 250 GB over the arrivals' 500 s: 0.5 GB/s = 4 Gbit/s offered
  f.last_answer_s = 2000;
  f.last_arrival_s = 500;
  const std::string up = link_saturation_warning(kv, f);
  EXPECT_NE(up.find("shared link 'kv' up (prefill → decode) stayed saturated"), std::string::npos) << up;
  EXPECT_NE(up.find("sending 99.8% of its up time, 250 GB carried (4 Gbit/s over the arrivals' 500 s)"),
            std::string::npos)
      << up;
  EXPECT_NE(up.find("raise links.kv.up_bandwidth (now 1 Gbit/s) above 4 Gbit/s"), std::string::npos) << up;
  EXPECT_EQ(up.find("per_user"), std::string::npos) << up;  // no end of it is a user's device
  EXPECT_EQ(up.find("device"), std::string::npos) << up;    // the link is blamed, not a device
  f.up = false;
  const std::string down = link_saturation_warning(kv, f);
  EXPECT_NE(down.find("shared link 'kv' down (decode → prefill)"), std::string::npos) << down;
  EXPECT_NE(down.find("links.kv.down_bandwidth (now 400 Gbit/s)"), std::string::npos) << down;
  // Outages taking 20% of the run: the fix is the link's reliability, not its bandwidth.
  f.availability = 0.8;
  const std::string flaky = link_saturation_warning(kv, f);
  EXPECT_NE(flaky.find("up only 80.0% of the run: raise links.kv.mtbf or lower links.kv.mttr"), std::string::npos)
      << flaky;
  EXPECT_EQ(flaky.find("_bandwidth"), std::string::npos) << flaky;
  // A measured bandwidth trace: its file is named instead of a constant key.
  f.availability = 1;
  kv.bandwidth_trace = "/data/traces/lte_walk.csv";
  const std::string traced = link_saturation_warning(kv, f);
  EXPECT_NE(traced.find("the trace lte_walk.csv"), std::string::npos) << traced;
  EXPECT_EQ(traced.find("down_bandwidth (now"), std::string::npos) << traced;
  // The workload's origin modelled as one shared phone: every user's uploads share one radio.
  LinkSpec cell;
  cell.name = "cellular";
  cell.from = "phone";
  cell.to = "cloud";
  cell.up_bandwidth = 10e6 / 8;
  f = LinkSaturationFacts{};
  f.busy_share = 0.97;
  f.bytes = 1e9;
  f.last_answer_s = 4000;
  f.last_arrival_s = 1000;
  f.origin_end = "phone";
  const std::string origin = link_saturation_warning(cell, f);
  EXPECT_NE(origin.find("shared link 'cellular' up (phone → cloud)"), std::string::npos) << origin;
  EXPECT_NE(origin.find("set devices.phone.per_user = true"), std::string::npos) << origin;
}

// A slow KV link between the prefill and decode pools (disaggregation): the warning names the
// link and its direction; the decode pool, idle while it waits for the KV, is not blamed.
TEST(ResultsCli, ASlowKvLinkIsTheSaturatedComponentNotTheDecodePool) {
  COLLABSIM_NEED_DATA(testing::data_dir() / "traces");
  const fs::path scenario = testing::source_dir() / "scenarios" / "disaggregated_prefill_decode.toml";
  auto warnings = [&](const std::string& bandwidth) {
    LoadOptions opt;
    opt.overrides = {"workload.limit=300", "links.kv.up_bandwidth=\"" + bandwidth + "\""};
    opt.data_dir = testing::data_dir();
    std::string all;
    RunOptions ro;
    ro.warn = false;
    ro.in_memory = true;
    ro.write_requests = false;
    for (const auto& w : run_scenario(load_scenario(scenario, opt), ro).warnings) all += w + "\n";
    return all;
  };
  const std::string slow = warnings("1 Gbit/s");
  EXPECT_NE(slow.find("shared link 'kv' up (prefill → decode) stayed saturated"), std::string::npos) << slow;
  EXPECT_NE(slow.find("raise links.kv.up_bandwidth (now 1 Gbit/s)"), std::string::npos) << slow;
  EXPECT_EQ(slow.find("'decode'"), std::string::npos) << slow;
  EXPECT_EQ(slow.find("link 'kv' down"), std::string::npos) << slow;  // the KV goes up only
  const std::string fast = warnings("400 Gbit/s");
  EXPECT_EQ(fast.find("link 'kv'"), std::string::npos) << fast;
}

// ---------------------------------------------------------------------------------------
// check's paired gate ([[pair]]): new ≥ old by the seed-paired interval

TEST(ResultsUnit, PairedGateHoldsOnlyWhenTheIntervalStaysWithinTheMargin) {
  // d = new − old = .1 .3 .2: mean .2, sd .1, t(0.975, 2) = 4.302653 → [−0.048414, 0.448414]
  const std::vector<double> old_v = {1, 2, 3}, new_v = {1.1, 2.3, 3.2};
  const double half = 4.302652730 * 0.1 / std::sqrt(3.0);
  PairGate g = paired_gate(old_v, new_v, Better::higher, parse_tolerance("0.05"));
  EXPECT_NEAR(g.paired.lo, 0.2 - half, 1e-8);
  EXPECT_NEAR(g.paired.hi, 0.2 + half, 1e-8);
  EXPECT_EQ(g.verdict, Verdict::ok) << g.reason;  // −0.0484 ≥ −0.05
  EXPECT_LT(g.paired.halfwidth(), g.welch.halfwidth());  // the seeds' shared level cancels
  EXPECT_EQ(paired_gate(old_v, new_v, Better::higher, parse_tolerance("0.048")).verdict, Verdict::worse);
  EXPECT_EQ(paired_gate(old_v, new_v, Better::higher, Tolerance{}).verdict, Verdict::worse);  // not shown ≥
  // Relative margins are a share of old's mean (2): 2.5% = 0.05 holds, 2.4% = 0.048 fails.
  g = paired_gate(old_v, new_v, Better::higher, parse_tolerance("2.5%"));
  EXPECT_EQ(g.verdict, Verdict::ok) << g.reason;
  EXPECT_NEAR(g.margin, 0.05, 1e-12);
  EXPECT_EQ(paired_gate(old_v, new_v, Better::higher, parse_tolerance("2.4%")).verdict, Verdict::worse);
  // Lower is better: the high end 0.4484 decides.
  EXPECT_EQ(paired_gate(old_v, new_v, Better::lower, parse_tolerance("0.45")).verdict, Verdict::ok);
  g = paired_gate(old_v, new_v, Better::lower, parse_tolerance("0.44"));
  EXPECT_EQ(g.verdict, Verdict::worse);
  EXPECT_NE(g.reason.find("high end +0.4484 > +0.44"), std::string::npos) << g.reason;
  // No direction: both ends within ±margin (equivalence).
  EXPECT_EQ(paired_gate(old_v, new_v, Better::none, parse_tolerance("0.45")).verdict, Verdict::ok);
  EXPECT_EQ(paired_gate(old_v, new_v, Better::none, parse_tolerance("0.4")).verdict, Verdict::worse);
  // A clear gain holds with margin 0; the same runs on both sides hold too (d = 0).
  EXPECT_EQ(paired_gate({1, 2, 3}, {1.5, 2.5, 3.6}, Better::higher, Tolerance{}).verdict, Verdict::ok);
  EXPECT_EQ(paired_gate(old_v, old_v, Better::lower, Tolerance{}).verdict, Verdict::ok);
  EXPECT_EQ(paired_gate({1.5, 2.5, 3.6}, {1, 2, 3}, Better::higher, Tolerance{}).verdict, Verdict::worse);
}

TEST(ResultsUnit, PairedGateFailsClosedOnNaNInfiniteAndTooFewPairs) {
  PairGate g = paired_gate({1, 2, 3}, {1.1, NAN, 3.2}, Better::higher, parse_tolerance("100"));
  EXPECT_EQ(g.verdict, Verdict::missing);  // not dropped: a huge margin does not make it pass
  EXPECT_NE(g.reason.find("NaN in new (seed pair 1)"), std::string::npos) << g.reason;
  g = paired_gate({1, INFINITY, 3}, {1, 2, 3}, Better::lower, parse_tolerance("100"));
  EXPECT_EQ(g.verdict, Verdict::missing);
  EXPECT_NE(g.reason.find("infinite value in old"), std::string::npos) << g.reason;
  EXPECT_EQ(paired_gate({1}, {2}, Better::higher, parse_tolerance("100")).verdict, Verdict::missing);
  EXPECT_EQ(paired_gate({1, 2}, {2, 3, 4}, Better::higher, parse_tolerance("100")).verdict, Verdict::missing);
  EXPECT_EQ(paired_gate({}, {}, Better::higher, parse_tolerance("100")).verdict, Verdict::missing);
}

std::string pair_text(const std::string& body) {
  return "[[pair]]\nname = \"p\"\nscenario = \"" + default_scenario().string() + "\"\n" + body;
}

TEST(ResultsUnit, GoldenPairIsReadAndValidated) {
  TempDir d;
  const fs::path g = d.path / "g.toml";
  auto error = [&](const std::string& text) {
    testing::write_file(g, text);
    return input_error([&] { read_golden(g); });
  };
  testing::write_file(g, pair_text("set = [\"workload.limit=300\"]\nold = [\"mechanism.name=small_only\"]\n"
                                   "new = [\"mechanism.name=large_only\"]\nseeds = 3\n[pair.metrics]\n"
                                   "quality_mean = { margin = 0.01 }\nlatency_p99_s = { margin = \"5%\" }\n"
                                   "energy_per_request_j = {}\n"));
  const GoldenFile gf = read_golden(g);  // no [[case]] needed
  ASSERT_EQ(gf.pairs.size(), 1u);
  EXPECT_TRUE(gf.cases.empty());
  const GoldenPair& p = gf.pairs[0];
  EXPECT_EQ(p.seeds, 3);
  EXPECT_EQ(p.old_sets, (std::vector<std::string>{"mechanism.name=small_only"}));
  EXPECT_EQ(p.new_sets, (std::vector<std::string>{"mechanism.name=large_only"}));
  ASSERT_EQ(p.metrics.size(), 3u);
  EXPECT_EQ(p.metrics[0].name, "quality_mean");  // the file's order
  EXPECT_DOUBLE_EQ(p.metrics[0].margin.value, 0.01);
  EXPECT_TRUE(p.metrics[1].margin.relative);
  EXPECT_EQ(p.metrics[2].margin.value, 0);

  const std::string metrics = "[pair.metrics]\nquality_mean = {}\n";
  EXPECT_NE(error(pair_text("new = [\"mechanism.name=router\"]\nseeds = 1\n" + metrics)).find("2 ≤ N ≤ 1000"),
            std::string::npos);
  EXPECT_NE(error(pair_text("seeds = 3\n" + metrics)).find("needs new = ["), std::string::npos);
  EXPECT_NE(error(pair_text("old = [\"a=1\"]\nnew = [\"a=1\"]\nseeds = 3\n" + metrics)).find("the same overrides"),
            std::string::npos);
  EXPECT_NE(error(pair_text("new = [\"a=1\"]\nseed = 3\n" + metrics)).find("did you mean 'seeds'"), std::string::npos);
  const std::string bad_margin = error(pair_text("new = [\"a=1\"]\nseeds = 3\n[pair.metrics]\nquality_mean = { tol = 1 }\n"));
  EXPECT_NE(bad_margin.find("takes margin = X"), std::string::npos) << bad_margin;
  EXPECT_NE(bad_margin.find("g.toml:7:"), std::string::npos) << bad_margin;  // file and line
  EXPECT_NE(error(pair_text("new = [\"a=1\"]\nseeds = 3\n[pair.metrics]\nquality_mean = { margn = 1 }\n"))
                .find("did you mean 'margin'"),
            std::string::npos);
  EXPECT_NE(error(pair_text("new = [\"a=1\"]\nseeds = 3\n[pair.metrics]\nquality_mean = { margin = \"x%\" }\n"))
                .find("x%"),
            std::string::npos);
  EXPECT_NE(error(pair_text("new = [\"a=1\"]\nseeds = 3\n[pair.metrics]\nqualty_mean = {}\n")).find("did you mean"),
            std::string::npos);
  EXPECT_NE(error("[[case]]\nname = \"p\"\nscenario = \"" + default_scenario().string() +
                  "\"\n[case.metrics]\nquality_mean = { value = 0.5 }\n" +
                  pair_text("new = [\"a=1\"]\nseeds = 3\n" + metrics))
                .find("'p' names two cases or pairs"),
            std::string::npos);
  EXPECT_NE(error("# nothing\n").find("no [[case]] or [[pair]]"), std::string::npos);
}

// The gate on real runs (default scenario, 300 requests, 3 seed pairs): large_only against
// small_only holds on quality and fails on cost; the other way round it fails on quality;
// a metric NaN in every run is MISSING unless --allow-missing names it.
TEST(ResultsCli, CheckPairGatesNewAgainstOldBySeed) {
  COLLABSIM_NEED_DATA(testing::data_dir() / "traces");
  TempDir d;
  const fs::path g = d.path / "pairs.toml";
  const std::string data = " -j 2 --data-dir " + q(testing::data_dir());
  auto pair = [&](const std::string& old_mech, const std::string& new_mech, const std::string& metrics) {
    return pair_text("set = [\"workload.limit=300\"]\nold = [\"mechanism.name=" + old_mech +
                     "\"]\nnew = [\"mechanism.name=" + new_mech + "\"]\nseeds = 3\n[pair.metrics]\n" + metrics);
  };
  std::string out;
  testing::write_file(g, pair("small_only", "large_only", "quality_mean = {}\n"));
  ASSERT_EQ(run_cli("check " + q(g) + data, out), 0) << out;
  EXPECT_NE(out.find("check " + g.string() + " (0 cases, 1 pair"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("p +quality_mean +1 +0\\.[0-9]+ +0\\.[0-9]+ +\\+0\\.[0-9]+ +\\[\\+0\\.[0-9]+, "
                                                "\\+0\\.[0-9]+\\] +\\[.*\\] +0 +3 +holds: low end \\+")))
      << out;
  EXPECT_NE(out.find("1 paired metrics in 1 pairs: 0 FAIL or MISSING"), std::string::npos) << out;
  EXPECT_NE(out.find("all pairs hold"), std::string::npos) << out;
  // The LLM costs more: large_only is not ≤ small_only on cost, even with a 10% margin.
  testing::write_file(g, pair("small_only", "large_only", "quality_mean = {}\ncost_per_1k_usd = { margin = \"10%\" }\n"));
  EXPECT_EQ(run_cli("check " + q(g) + data, out), 1) << out;
  EXPECT_NE(out.find("FAILS: high end +"), std::string::npos) << out;
  EXPECT_NE(out.find("REGRESSION: p/cost_per_1k_usd"), std::string::npos) << out;
  // Swapped, the quality gate fails.
  testing::write_file(g, pair("large_only", "small_only", "quality_mean = { margin = 0.01 }\n"));
  EXPECT_EQ(run_cli("check " + q(g) + data, out), 1) << out;
  EXPECT_NE(out.find("REGRESSION: p/quality_mean"), std::string::npos) << out;
  // slo_attainment is NaN without SLO targets: MISSING fails closed; --allow-missing accepts it.
  testing::write_file(g, pair("small_only", "large_only", "slo_attainment = { margin = 1 }\n"));
  EXPECT_EQ(run_cli("check " + q(g) + data, out), 1) << out;
  EXPECT_NE(out.find("MISSING: NaN in old (seed pair 0)"), std::string::npos) << out;
  EXPECT_EQ(run_cli("check " + q(g) + data + " --allow-missing slo_attainment", out), 0) << out;
  // A pair whose override is bad input: exit 2 naming the pair and the side.
  testing::write_file(g, pair("small_only", "nonesuch", "quality_mean = {}\n"));
  EXPECT_EQ(run_cli("check " + q(g) + data, out), 2) << out;
  EXPECT_NE(out.find("pair 'p' (new, run.seed="), std::string::npos) << out;
  // --update leaves a pair alone (it records no values) and the file as it was.
  testing::write_file(g, pair("small_only", "large_only", "quality_mean = {}\n"));
  const std::string before = testing::read_file(g);
  EXPECT_EQ(run_cli("check " + q(g) + " --update" + data, out), 0) << out;
  EXPECT_NE(out.find("1 pair not run"), std::string::npos) << out;
  EXPECT_EQ(testing::read_file(g), before);
}

// ---------------------------------------------------------------------------------------
// --unset

TEST(ResultsUnit, UnsetRemovesAKeySoAGeneratedWorkloadLoadsFromTheTraceScenario) {
  COLLABSIM_NEED_DATA(testing::data_dir() / "traces");
  LoadOptions opt;
  opt.data_dir = testing::data_dir();
  opt.overrides = {"workload.format=generated", "workload.limit=50", "workload.arrivals.process=poisson",
                   "workload.arrivals.rate=1.0"};
  // With the trace still set, a generated workload is refused ...
  EXPECT_NE(input_error([&] { load_scenario(default_scenario(), opt); }).find("reads no trace"), std::string::npos);
  // ... and --unset workload.trace makes the same overrides load.
  opt.unsets = {"workload.trace"};
  const Scenario sc = load_scenario(default_scenario(), opt);
  EXPECT_TRUE(sc.workload.generated());
  EXPECT_EQ(sc.effective_toml.find("AzureLLMInferenceTrace_conv.csv\"\norigin"), std::string::npos);
  // A key the scenario does not hold is named, not ignored.
  opt.unsets = {"workload.tarce"};
  const std::string e = input_error([&] { load_scenario(default_scenario(), opt); });
  EXPECT_NE(e.find("--unset 'workload.tarce'"), std::string::npos) << e;
  EXPECT_NE(e.find("no 'workload.tarce' to unset"), std::string::npos) << e;
}

TEST(ResultsCli, RunUnsetAndSweepAxisSupplyingARequiredKey) {
  COLLABSIM_NEED_DATA(testing::data_dir() / "traces");
  TempDir d;
  std::string out;
  // run --unset: the generated workload of 40 requests runs from the trace scenario.
  const std::string gen =
      " --set workload.format=generated --set workload.limit=40 --set workload.arrivals.process=poisson"
      " --set workload.arrivals.rate=1.0 --data-dir " + q(testing::data_dir());
  EXPECT_EQ(run_cli("run " + q(default_scenario()) + " --unset workload.trace" + gen + " -o " + q(d.path / "g.h5"), out),
            0)
      << out;
  EXPECT_NE(out.find(" 40 "), std::string::npos) << out;
  EXPECT_NE(run_cli("run " + q(default_scenario()) + gen + " -o " + q(d.path / "g2.h5"), out), 0) << out;

  // A scenario without workload.trace: the sweep's axis supplies it.
  std::string text = testing::read_file(default_scenario());
  const std::regex trace_line("\ntrace = \"traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv\"");
  ASSERT_TRUE(std::regex_search(text, trace_line));
  text = std::regex_replace(text, trace_line, "");
  // keep the scenario's relative card and data paths working: write it beside the original
  const fs::path sc = default_scenario().parent_path() / (".no_trace_" + std::to_string(::getpid()) + ".toml");
  testing::write_file(sc, text);
  const std::string sweep = "sweep " + q(sc) + " --set workload.limit=60 --grid " +
                            "workload.trace=traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv -q -j 1 --data-dir " +
                            q(testing::data_dir()) + " -o " + q(d.path / "s.h5");
  const int rc = run_cli(sweep, out);
  std::string run_out;
  const int run_rc = run_cli("run " + q(sc) + " --set workload.limit=60 -q -o " + q(d.path / "r.h5"), run_out);
  fs::remove(sc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_TRUE(fs::exists(d.path / "s.h5"));
  EXPECT_EQ(run_rc, 2) << run_out;  // the run itself still needs the key
  EXPECT_NE(run_out.find("workload.trace"), std::string::npos) << run_out;
}

// ---------------------------------------------------------------------------------------
// check --init

TEST(ResultsCli, CheckInitWritesAGoldenThatHoldsAndNeverOverwrites) {
  COLLABSIM_NEED_DATA(testing::data_dir() / "traces");
  TempDir d;
  const fs::path g = d.path / "new.toml";
  std::string out;
  const std::string init = "check " + q(g) + " --init " + q(default_scenario()) + " " + q(default_scenario()) +
                           " --set workload.limit=300 --metrics quality_mean,latency_p99_s,cost_per_1k_usd -j 1"
                           " --data-dir " + q(testing::data_dir());
  ASSERT_EQ(run_cli(init, out), 0) << out;
  const std::string text = testing::read_file(g);
  EXPECT_NE(text.find("name = \"edge_cloud_cascade\""), std::string::npos) << text;
  EXPECT_NE(text.find("name = \"edge_cloud_cascade-2\""), std::string::npos) << text;
  EXPECT_NE(text.find("set = [\"workload.limit=300\"]"), std::string::npos) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex("quality_mean = \\{ value = 0\\.[0-9]+, tol = \"1%\" \\}"))) << text;
  EXPECT_EQ(text.find("energy_per_request_j"), std::string::npos) << text;  // only the metrics asked for
  // The round trip: the new golden holds against a fresh run.
  EXPECT_EQ(run_cli("check " + q(g) + " -j 1 --data-dir " + q(testing::data_dir()), out), 0) << out;
  EXPECT_NE(out.find("all cases hold"), std::string::npos) << out;
  EXPECT_NE(out.find("6 metrics in 2 cases"), std::string::npos) << out;
  // An existing file is left as it was (exit 2), and a bad metric is named.
  EXPECT_EQ(run_cli(init, out), 2) << out;
  EXPECT_NE(out.find("exists and is left as it was"), std::string::npos) << out;
  EXPECT_EQ(testing::read_file(g), text);
  EXPECT_EQ(run_cli("check " + q(d.path / "x.toml") + " --init " + q(default_scenario()) + " --metrics qualty_mean", out),
            2);
  EXPECT_NE(out.find("did you mean 'quality_mean'"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(d.path / "x.toml"));
}

// ---------------------------------------------------------------------------------------
// inspect --explain

TEST(ResultsCli, InspectExplainPrintsDefinitionsAndSources) {
  COLLABSIM_NEED_DATA(testing::data_dir() / "traces");
  TempDir d;
  const auto r = testing::run_scenario_file(d, default_scenario(), "run", {"workload.limit=100"});
  std::string out;
  ASSERT_EQ(run_cli("inspect " + q(r.file) + " --explain", out), 0) << out;
  EXPECT_NE(out.find("latency_p99_s  [s, lower is better]: end-to-end latency, 99th percentile."), std::string::npos)
      << out;
  EXPECT_NE(out.find("source: Hyndman & Fan"), std::string::npos) << out;
  EXPECT_NE(out.find("large_share  [1, no better direction]"), std::string::npos) << out;
  ASSERT_EQ(run_cli("inspect " + q(r.file), out), 0);
  EXPECT_EQ(out.find("definitions"), std::string::npos);  // only when asked
}

// ---------------------------------------------------------------------------------------
// Ctrl-C on a sweep

TEST(ResultsCli, InterruptedSweepSaysHowManyPointsItKeptAndHowToResume) {
  COLLABSIM_NEED_DATA(testing::data_dir() / "traces");
  TempDir d;
  const fs::path out_file = d.path / "s.h5", parts = d.path / "s.h5.parts", log = d.path / "log.txt";
  const std::string cmd = std::string(testing::collabsim_binary_path()) + " sweep " + q(default_scenario()) +
                          " --set workload.limit=400 --grid workload.rate_scale=1:40:1 -q -j 1 --data-dir " +
                          q(testing::data_dir()) + " -o " + q(out_file);
  // Start it, wait for the first finished point's part file, then SIGINT it.
  const std::string script = cmd + " > " + q(log) + " 2>&1 & pid=$!; i=0; "
                             "while [ \"$(ls " + q(parts) + "/p*.h5 2>/dev/null | wc -l)\" -lt 1 ] && [ $i -lt 3000 ] && "
                             "kill -0 $pid 2>/dev/null; "  // a sweep that died stops the wait (no 5-min poll)
                             "do sleep 0.1; i=$((i+1)); done; kill -INT $pid; wait $pid; echo rc=$? >> " + q(log);
  ASSERT_EQ(std::system(("bash -c " + q(script)).c_str()), 0);
  const std::string text = testing::read_file(log);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex("interrupted: ([0-9]+) of 40 points are kept in (.*); run the "
                                                    "same command again to resume")))
      << text;
  EXPECT_NE(text.find("rc=130"), std::string::npos) << text;  // killed by SIGINT, as the shell reports it
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(parts)) files += e.path().extension() == ".h5";
  EXPECT_EQ(std::stoul(m[1].str()), files) << text;
  EXPECT_GE(files, 1u);
  EXPECT_LT(files, 40u);
  EXPECT_NE(m[2].str().find("s.h5.parts"), std::string::npos);
}

}  // namespace
}  // namespace collabsim
