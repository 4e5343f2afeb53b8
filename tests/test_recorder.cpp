// The recorder of model-declared measurements (sim/io/recorder.hpp, sim/core/measurement.hpp):
// a model that is not known to the runner declares a timeline and a summary row, and the
// recorder samples, decimates and writes them under the model's own path.
#include <gtest/gtest.h>

#include <numeric>

#include "sim/core/engine.hpp"
#include "sim/io/recorder.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;

namespace {

/// A model the runner has never heard of: a counter that grows by 10 per second of
/// simulated time and a gauge equal to the time in seconds.
MeasurementSource widget(double& total_seen) {
  MeasurementSource m;
  m.path = "things/widget";
  m.series = {{"clock_s", "s", Aggregate::level}, {"items", "items", Aggregate::increment}};
  m.sample = [](SimTime now, std::span<double> out) {
    out[0] = to_seconds(now);
    out[1] = 10.0 * to_seconds(now);  // running total
  };
  m.summary = [&total_seen](double horizon_s) {
    total_seen = horizon_s;
    return std::vector<NamedValue>{{"items_total", "items", 10.0 * horizon_s}, {"n_widgets", "1", 3.0}};
  };
  return m;
}

Task<void> stop_at(Engine& e, SimTime t, bool& done) {
  co_await e.until(t);
  done = true;
}

}  // namespace

TEST(Recorder, SamplesDeclaredLevelsAndIncrementsAndDecimates) {
  Engine e;
  double horizon = 0;
  std::vector<MeasurementSource> sources;
  sources.push_back(widget(horizon));
  sources.push_back(MeasurementSource{"things/quiet", {}, nullptr, nullptr});  // declares nothing: nothing sampled
  Recorder rec(std::move(sources), from_seconds(1.0));
  bool done = false;
  // More samples than the buffer holds: one decimation (interval 1 s → 2 s).
  const double end_s = static_cast<double>(Recorder::kMaxSamples) + 9.0;  // on the 2 s grid after the decimation
  e.spawn(stop_at(e, from_seconds(end_s), done));
  e.spawn(rec.run(e, [&done] { return done; }));
  e.run();
  EXPECT_EQ(rec.interval(), from_seconds(2.0));
  const auto& t = rec.times();
  ASSERT_GT(t.size(), 1000u);
  ASSERT_LT(t.size(), Recorder::kMaxSamples);
  const auto& clock = rec.column(0, 0);
  const auto& items = rec.column(0, 1);
  ASSERT_EQ(clock.size(), t.size());
  ASSERT_EQ(items.size(), t.size());
  for (std::size_t i = 0; i < t.size(); ++i) EXPECT_EQ(clock[i], t[i]) << i;  // a level is the value at its time
  for (std::size_t i = 1; i < t.size(); ++i)  // an increment is the growth since the previous kept sample
    EXPECT_NEAR(items[i], 10.0 * (t[i] - t[i - 1]), 1e-6) << i;
  EXPECT_NEAR(std::accumulate(items.begin(), items.end(), 0.0), 10.0 * t.back(), 1e-3);  // nothing lost
  EXPECT_EQ(t.back(), end_s);  // the sample at which done() became true is kept
  EXPECT_THROW(rec.column(1, 0), std::out_of_range);
}

TEST(Recorder, WritesEachSourceUnderItsOwnPath) {
  TempDir d;
  const auto file = d.path / "r.h5";
  double horizon = 0;
  {
    Engine e;
    std::vector<MeasurementSource> sources;
    sources.push_back(widget(horizon));
    Recorder rec(std::move(sources), from_seconds(0.5));
    bool done = false;
    e.spawn(stop_at(e, from_seconds(2.0), done));
    e.spawn(rec.run(e, [&done] { return done; }));
    e.run();
    ResultFile out(file, RecordLayout({"m"}, {"dev"}), ResultFileOptions{.requests = false});
    rec.write(out, 7.5);
    out.commit();
  }
  EXPECT_EQ(horizon, 7.5);  // the summary is asked at the run's horizon
  EXPECT_EQ(read_column<double>(file, "things/widget/summary", "items_total"), std::vector<double>{75.0});
  EXPECT_EQ(read_column<std::int64_t>(file, "things/widget/summary", "n_widgets"), std::vector<std::int64_t>{3});
  EXPECT_EQ(read_column<double>(file, "things/widget/timeline", "time_s"),
            (std::vector<double>{0.0, 0.5, 1.0, 1.5, 2.0}));
  EXPECT_EQ(read_column<double>(file, "things/widget/timeline", "items"),
            (std::vector<double>{0.0, 5.0, 5.0, 5.0, 5.0}));
}

TEST(Recorder, RefusesATimelineWithoutASampleFunction) {
  std::vector<MeasurementSource> sources;
  sources.push_back(MeasurementSource{"things/broken", {{"x", "1", Aggregate::level}}, nullptr, nullptr});
  EXPECT_THROW(Recorder(std::move(sources), from_seconds(1.0)), std::logic_error);
}

// Run-level rows (/summary, /mechanism: RowAt::path) and member tables (/users) go through
// the same recorder: a row at the source's own path, a typed table there, and nothing for
// an empty row or a table without columns.
TEST(Recorder, WritesRunRowsAndMemberTablesAtTheirPath) {
  TempDir d;
  const auto file = d.path / "r.h5";
  {
    std::vector<MeasurementSource> sources;
    MeasurementSource row;
    row.path = "tally";
    row.row_at = RowAt::path;
    row.summary = [](double horizon_s) { return std::vector<NamedValue>{{"n_done", "requests", 4}, {"t", "s", horizon_s}}; };
    sources.push_back(row);
    MeasurementSource silent;  // a mechanism with no statistics
    silent.path = "silent";
    silent.row_at = RowAt::path;
    silent.summary = [](double) { return std::vector<NamedValue>{}; };
    sources.push_back(silent);
    MeasurementSource members;
    members.path = "members";
    members.table = [] {
      return std::vector<TableColumn>{{"name", "", std::vector<std::string>{"a", "b"}},
                                      {"id", "", std::vector<std::int64_t>{3, 9}},
                                      {"energy_j", "J", std::vector<double>{1.5, 2.5}}};
    };
    sources.push_back(members);
    MeasurementSource nobody;  // no member yet: no table
    nobody.path = "nobody";
    nobody.table = [] { return std::vector<TableColumn>{}; };
    sources.push_back(nobody);
    Recorder rec(std::move(sources), 0);
    ResultFile out(file, RecordLayout({"m"}, {"dev"}), ResultFileOptions{.requests = false});
    rec.write(out, 2.5);
    out.commit();
  }
  EXPECT_EQ(read_column<std::int64_t>(file, "tally", "n_done"), std::vector<std::int64_t>{4});
  EXPECT_EQ(read_column<double>(file, "tally", "t"), std::vector<double>{2.5});
  EXPECT_EQ(read_column<std::int64_t>(file, "members", "id"), (std::vector<std::int64_t>{3, 9}));
  EXPECT_EQ(read_column<double>(file, "members", "energy_j"), (std::vector<double>{1.5, 2.5}));
  H5::H5File f(file.string(), H5F_ACC_RDONLY);
  EXPECT_FALSE(f.nameExists("silent"));
  EXPECT_FALSE(f.nameExists("nobody"));
  EXPECT_FALSE(f.attrExists("timeline_interval_ns"));  // sampling off
}
