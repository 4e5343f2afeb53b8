// Issue 23: results and gates you can trust. One test per cause of the hostile-user
// campaign (C1-C7 crashes, W1-W9 wrong results, provenance, outputs that never clobber an
// input): every case ends in a clear non-zero exit (or a correct result), never a signal.

#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <csignal>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "sim/core/error.hpp"
#include "sim/io/h5_reader.hpp"
#include "sim/io/h5_table.hpp"
#include "sim/io/inspect.hpp"
#include "sim/io/provenance.hpp"
#include "sim/io/summary.hpp"
#include "sim/network/outage_process.hpp"
#include "sim/scenario/scenario_inputs.hpp"
#include "sim/results/compare.hpp"
#include "sim/study/golden.hpp"
#include "sim/study/sweep_parts.hpp"
#include "sim/study/sweep_spec.hpp"
#include "test_support.hpp"

namespace collabsim {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;
using testing::TempDir;
using testing::write_file;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }
fs::path default_scenario() { return testing::source_dir() / "scenarios" / "edge_cloud_cascade.toml"; }

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

/// A run file (300 requests, spans recorded) shared by the tests, copied before each change.
class Trust : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    run_ = testing::run_scenario_file(*dir_, default_scenario(), "run",
                                      {"workload.limit=300", "run.record_spans=true"})
               .file;
  }
  static void TearDownTestSuite() { delete dir_; }

  /// A copy of the shared run file to damage.
  fs::path copy(const std::string& name) {
    const fs::path p = tmp_.path / name;
    fs::copy_file(run_, p, fs::copy_options::overwrite_existing);
    return p;
  }
  /// Replaces dataset `path` of `file` by a 2-D float64 dataset of 2 × 3.
  static void make_2d(const fs::path& file, const std::string& path) {
    H5::H5File f(file.string(), H5F_ACC_RDWR);
    f.unlink(path);
    const hsize_t dims[2] = {2, 3};
    H5::DataSpace sp(2, dims);
    const double v[6] = {1, 2, 3, 4, 5, 6};
    f.createDataSet(path, H5::PredType::NATIVE_DOUBLE, sp).write(v, H5::PredType::NATIVE_DOUBLE);
  }
  /// Rewrites /summary of `file` with field `metric` set to `value` (or left out when `drop`).
  static void set_summary(const fs::path& file, const std::string& metric, double value, bool drop = false) {
    std::vector<TableColumn> cols;
    {  // read, then close before writing (HDF5 refuses a second, writable open of one file)
      const H5Reader r(file, false);
      const H5TableInfo t = r.table("summary");
      const auto units = r.units(t);
      for (std::size_t i = 0; i < t.fields.size(); ++i) {
        if (!t.fields[i].numeric()) continue;
        if (drop && t.fields[i].name == metric) continue;
        double v = r.numbers(t, t.fields[i].name)[0];
        if (t.fields[i].name == metric) v = value;
        cols.push_back(TableColumn{t.fields[i].name, i < units.size() ? units[i] : "", std::vector<double>{v}});
      }
    }
    H5::H5File f(file.string(), H5F_ACC_RDWR);
    f.unlink("summary");
    H5::Group root = f.openGroup("/");
    write_table(root, "summary", cols);
  }
  /// Exit status of `collabsim ARGS`; a signal (shell status > 128) fails the test.
  static int cli(const std::string& args, std::string& out) {
    const int rc = run_cli(args, out);
    EXPECT_TRUE(rc >= 0 && rc <= 2) << "collabsim " << args << " ended with status " << rc << ":\n" << out;
    return rc;
  }

  TempDir tmp_;
  static inline TempDir* dir_ = nullptr;
  static inline fs::path run_;
};

// ---------------------------------------------------------------------------------------
// Crashes C1-C7: every damaged file is an InputError naming the file, exit 2

TEST_F(Trust, C1_TruncatedOrBitFlippedFilesAreBadInputNotTerminate) {
  const fs::path cut = copy("cut.h5");
  fs::resize_file(cut, fs::file_size(cut) / 2);
  std::string out;
  for (const std::string& cmd : std::vector<std::string>{"inspect ", "compare " + q(run_) + " ",
                                                         "trace-export -o " + q(tmp_.path / "t.json") + " "}) {
    EXPECT_EQ(cli(cmd + q(cut), out), 2) << out;
    EXPECT_TRUE(contains(out, "cut.h5")) << out;
  }
  // Bit flips spread over the file: each ends accepted (0) or refused (2), never a signal.
  const std::string bytes = testing::read_file(run_);
  for (std::size_t k = 1; k <= 6; ++k) {
    std::string b = bytes;
    const std::size_t at = b.size() * k / 7;
    for (std::size_t i = 0; i < 64 && at + i < b.size(); ++i) b[at + i] = static_cast<char>(b[at + i] ^ 0x5a);
    const fs::path p = tmp_.path / ("flip" + std::to_string(k) + ".h5");
    write_file(p, b);
    cli("inspect " + q(p), out);
    cli("trace-export " + q(p) + " -o " + q(tmp_.path / "t.json"), out);
  }
}

TEST_F(Trust, C2_AnAttributeOfManyNumbersIsShownNotReadIntoOneInteger) {
  const fs::path p = copy("attr.h5");
  {
    H5::H5File f(p.string(), H5F_ACC_RDWR);
    std::vector<std::int64_t> v(100);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::int64_t>(i);
    const hsize_t n = v.size();
    f.createAttribute("many", H5::PredType::NATIVE_INT64, H5::DataSpace(1, &n)).write(H5::PredType::NATIVE_INT64, v.data());
    const double x = 2.5;
    f.createAttribute("real", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR)).write(H5::PredType::NATIVE_DOUBLE, &x);
  }
  std::string out;
  EXPECT_EQ(cli("inspect " + q(p), out), 0) << out;
  EXPECT_TRUE(contains(out, "(100 values)")) << out;
  EXPECT_TRUE(contains(out, "@real")) << out;
  EXPECT_TRUE(contains(out, "2.5")) << out;
}

TEST_F(Trust, C3_TwoDimensionalTablesAndUnitsAreRefusedByName) {
  std::string out;
  for (const std::string obj : {std::string("summary"), std::string("requests"), std::string("spans")}) {
    const fs::path p = copy("2d_" + obj + ".h5");
    make_2d(p, obj);
    const int inspect = cli("inspect " + q(p), out);
    if (obj == "summary") {
      EXPECT_EQ(inspect, 0) << out;  // listed as a rank-2 dataset
      EXPECT_TRUE(contains(out, "rank 2")) << out;
      EXPECT_EQ(cli("compare " + q(run_) + " " + q(p), out), 2) << out;
      EXPECT_TRUE(contains(out, "/summary")) << out;
    } else {
      EXPECT_EQ(cli("trace-export " + q(p) + " -o " + q(tmp_.path / "t.json"), out), 2) << out;
      EXPECT_TRUE(contains(out, "/" + obj)) << out;
    }
  }
  // A 2-D `units` attribute: units are a convenience, the table is still read.
  const fs::path p = copy("units.h5");
  {
    H5::H5File f(p.string(), H5F_ACC_RDWR);
    H5::DataSet ds = f.openDataSet("summary");
    ds.removeAttr("units");
    const hsize_t dims[2] = {3, 3};
    H5::StrType st(H5::PredType::C_S1, 4);
    char buf[36] = {};
    ds.createAttribute("units", st, H5::DataSpace(2, dims)).write(st, buf);
  }
  EXPECT_EQ(cli("inspect " + q(p), out), 0) << out;
  EXPECT_EQ(cli("compare " + q(run_) + " " + q(p), out), 0) << out;
}

TEST_F(Trust, C4_ZeroElementStringAttributesAreEmptyNotFreed) {
  const fs::path p = copy("empty_attr.h5");
  {
    H5::H5File f(p.string(), H5F_ACC_RDWR);
    f.removeAttr("mechanism");
    const hsize_t zero = 0;
    H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
    f.createAttribute("mechanism", st, H5::DataSpace(1, &zero));
    f.createAttribute("null_text", st, H5::DataSpace(H5S_NULL));
  }
  std::string out;
  EXPECT_EQ(cli("inspect " + q(p), out), 0) << out;
  EXPECT_TRUE(contains(out, "(empty)")) << out;
  EXPECT_EQ(cli("compare " + q(run_) + " " + q(p), out), 0) << out;
}

/// A sweep file: /sweep/points and /sweep/aggregate of 2 combinations, sweep_axes as given.
void write_small_sweep(const fs::path& file, const std::function<void(H5::H5File&)>& axes_attr) {
  H5::H5File f(file.string(), H5F_ACC_TRUNC);
  H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
  f.createAttribute("file_kind", st, H5::DataSpace(H5S_SCALAR)).write(st, std::string("sweep"));
  axes_attr(f);
  H5::Group root = f.openGroup("/");
  const std::vector<double> x{0.3, 0.5};
  write_table(root, "sweep/points",
              {TableColumn{"point", "", std::vector<std::int64_t>{0, 1}},
               TableColumn{"seed_index", "", std::vector<std::int64_t>{0, 0}},
               TableColumn{"status", "", std::vector<std::int64_t>{0, 0}},
               TableColumn{"mechanism.cascade.thresholds", "", x},
               TableColumn{"quality_mean", "1", std::vector<double>{0.5, 0.6}}});
  std::vector<TableColumn> agg{TableColumn{"mechanism.cascade.thresholds", "", x},
                               TableColumn{"n_seeds", "", std::vector<std::int64_t>{1, 1}}};
  for (const char* m : {"quality_mean", "latency_p99_s", "cost_per_1k_usd", "energy_per_request_j", "large_share"})
    for (const char* s : {"_mean", "_ci95_lo", "_ci95_hi"})
      agg.push_back(TableColumn{std::string(m) + s, "", std::vector<double>{0.5, 0.6}});
  write_table(root, "sweep/aggregate", agg);
}

TEST_F(Trust, C5_SweepAxesNamingAMissingFieldAMetricOrStoredAsIntegerAreRefused) {
  H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
  auto text_axes = [&](const std::string& axes) {
    return [axes, st](H5::H5File& f) {
      f.createAttribute("sweep_axes", st, H5::DataSpace(H5S_SCALAR)).write(st, axes);
    };
  };
  std::string out;
  const fs::path good = tmp_.path / "good.h5";
  write_small_sweep(good, text_axes("mechanism.cascade.thresholds"));
  EXPECT_EQ(cli("inspect " + q(good), out), 0) << out;
  EXPECT_EQ(cli("compare " + q(good) + " " + q(good), out), 0) << out;
  const fs::path missing = tmp_.path / "missing.h5", metric = tmp_.path / "metric.h5", integer = tmp_.path / "int.h5";
  write_small_sweep(missing, text_axes("mechanism.cascade.nope"));
  write_small_sweep(metric, text_axes("quality_mean"));
  write_small_sweep(integer, [](H5::H5File& f) {
    const std::int64_t v = 7;
    f.createAttribute("sweep_axes", H5::PredType::NATIVE_INT64, H5::DataSpace(H5S_SCALAR))
        .write(H5::PredType::NATIVE_INT64, &v);
  });
  EXPECT_EQ(cli("inspect " + q(missing), out), 2) << out;
  EXPECT_TRUE(contains(out, "mechanism.cascade.nope")) << out;
  EXPECT_EQ(cli("compare " + q(good) + " " + q(missing), out), 2) << out;
  EXPECT_EQ(cli("compare " + q(good) + " " + q(metric), out), 2) << out;
  EXPECT_TRUE(contains(out, "quality_mean")) << out;
  EXPECT_EQ(cli("inspect " + q(integer), out), 2) << out;
  EXPECT_TRUE(contains(out, "sweep_axes")) << out;
  EXPECT_EQ(cli("compare " + q(good) + " " + q(integer), out), 2) << out;
}

TEST_F(Trust, C6_ARunThatFailsMidSimulationTearsDownCleanly) {
  // The KV link at 1 bit/s: the first transfer passes the clock's end. The error is reported
  // and the suspended request processes are destroyed before the Context they reference
  // (the sanitizer stage of test.sh runs this test under AddressSanitizer).
  const fs::path scenario = testing::source_dir() / "scenarios" / "disaggregated_prefill_decode.toml";
  LoadOptions opt;
  opt.overrides = {"links.kv.up_bandwidth=\"1 bit/s\"", "workload.limit=50"};
  opt.data_dir = testing::data_dir();
  opt.output = tmp_.path / "kv.h5";
  const Scenario sc = load_scenario(scenario, opt);
  EXPECT_THROW(run_scenario(sc), InputError);
  EXPECT_FALSE(fs::exists(tmp_.path / "kv.h5"));
  std::string out;
  EXPECT_EQ(cli("run " + q(scenario) + " --set 'links.kv.up_bandwidth=\"1 bit/s\"' --set workload.limit=50 -o " +
                    q(tmp_.path / "kv.h5"),
                out),
            2)
      << out;
}

/// Offset of the 8 little-endian bytes of `value` in `bytes` after `from`, or npos.
std::size_t find_le64(const std::string& bytes, std::uint64_t value, std::size_t from = 0) {
  char le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return bytes.find(std::string(le, 8), from);
}

TEST_F(Trust, C7_ADamagedGlobalHeapIsBadInputNeverACrash) {
  // A variable-length string attribute whose length field no longer matches its global-heap
  // object (1 byte for a 200,000-byte string): h5dump segfaults on this file (H5HG_read
  // copies the heap object into a buffer sized by the length). collabsim refuses it.
  const fs::path p = tmp_.path / "heap.h5";
  {
    H5::H5File f(p.string(), H5F_ACC_TRUNC);
    H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
    f.createAttribute("file_kind", st, H5::DataSpace(H5S_SCALAR)).write(st, std::string(200000, 'x'));
  }
  std::string b = testing::read_file(p);
  const std::size_t gcol = b.find("GCOL");
  ASSERT_NE(gcol, std::string::npos);
  // The attribute's heap reference: length (4 bytes) = 200000, collection address, index.
  std::size_t ref = find_le64(b, gcol);
  std::uint32_t len = 0;
  while (ref != std::string::npos && (std::memcpy(&len, b.data() + ref - 4, 4), len != 200000))
    ref = find_le64(b, gcol, ref + 1);
  ASSERT_NE(ref, std::string::npos);
  const std::uint32_t one = 1;
  std::memcpy(b.data() + ref - 4, &one, 4);
  write_file(p, b);
  std::string out;
  EXPECT_EQ(cli("inspect " + q(p), out), 2) << out;
  EXPECT_TRUE(contains(out, "heap.h5")) << out;
  EXPECT_EQ(cli("compare " + q(p) + " " + q(p), out), 2) << out;
}

TEST(TrustReader, C7_ACrashWhileReadingInTheChildIsRefusedNotFatal) {
  // What the parent says when libhdf5 kills the child: a clear InputError, this process alive.
  try {
    run_in_child("damaged.h5", [] { std::raise(SIGSEGV); });
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains(e.what(), "damaged.h5")) << e.what();
    EXPECT_TRUE(contains(e.what(), "crashed")) << e.what();  // signal 11, or exit 1 under ASan
  }
  EXPECT_NO_THROW(run_in_child("good.h5", [] {}));
  EXPECT_NO_THROW(run_in_child("bad.h5", [] { throw InputError(SourcePos{}, "", "checked"); }));
  EXPECT_THROW(run_in_child("slow.h5", [] { ::pause(); }, 1), InputError);  // SIGALRM after 1 s
}

TEST_F(Trust, RowReadsEveryNumericFieldAsItsOwnReadDoes) {
  // H5Reader::row reads a one-row table's numbers in one read; each must equal numbers().
  const H5Reader r(run_, false);
  const H5TableInfo t = r.table("summary");
  const std::vector<double> row = r.row(t);
  ASSERT_EQ(row.size(), t.fields.size());
  std::size_t numeric = 0;
  for (std::size_t i = 0; i < t.fields.size(); ++i) {
    if (!t.fields[i].numeric()) {
      EXPECT_TRUE(std::isnan(row[i])) << t.fields[i].name;
      continue;
    }
    ++numeric;
    const double v = r.numbers(t, t.fields[i].name)[0];
    if (std::isnan(v))
      EXPECT_TRUE(std::isnan(row[i])) << t.fields[i].name;
    else
      EXPECT_EQ(row[i], v) << t.fields[i].name;
  }
  EXPECT_GT(numeric, 20u);
  EXPECT_THROW(r.row(r.table("requests")), InputError);  // more than one row
}

TEST_F(Trust, ProbeInAChildProcessPassesAGoodFileAndReadEverythingReadsIt) {
  EXPECT_NO_THROW(probe_hdf5_isolated(run_));
  const H5Reader r(run_, false);
  EXPECT_NO_THROW(read_everything(r));
  EXPECT_EQ(r.attr_string("file_kind"), "run");
  EXPECT_THROW(r.attr_int("file_kind"), InputError);
  EXPECT_THROW(r.table("nope"), InputError);
  EXPECT_THROW(H5Reader(tmp_.path / "missing.h5"), InputError);
  write_file(tmp_.path / "text.h5", "not hdf5");
  EXPECT_THROW(H5Reader(tmp_.path / "text.h5"), InputError);
}

// ---------------------------------------------------------------------------------------
// W9: numbers of any width

TEST_F(Trust, W9_Float32SummaryFieldsAreShownByValue) {
  const fs::path p = copy("f32.h5");
  {
    H5::H5File f(p.string(), H5F_ACC_RDWR);
    f.unlink("summary");
    H5::CompType t(std::size_t{8});
    t.insertMember("quality_mean", 0, H5::PredType::NATIVE_FLOAT);
    t.insertMember("n_requests", 4, H5::PredType::NATIVE_INT32);
    struct Row {
      float q;
      std::int32_t n;
    } row{0.625f, 300};
    const hsize_t one = 1;
    f.createDataSet("summary", t, H5::DataSpace(1, &one)).write(&row, t);
  }
  std::ostringstream os;
  inspect_result(p, os, false);
  EXPECT_TRUE(contains(os.str(), "0.625")) << os.str();
  EXPECT_TRUE(contains(os.str(), " 300")) << os.str();
}

// ---------------------------------------------------------------------------------------
// W3/W4: gates fail closed

TEST_F(Trust, W3_CompareFailsOnNaNOrMissingQualityInNew) {
  std::string out;
  const fs::path nan = copy("nan.h5"), gone = copy("gone.h5");
  set_summary(nan, "quality_mean", kNaN);
  set_summary(gone, "quality_mean", 0, /*drop=*/true);
  EXPECT_EQ(cli("compare " + q(run_) + " " + q(nan), out), 1) << out;
  EXPECT_TRUE(contains(out, "MISSING")) << out;
  EXPECT_EQ(cli("compare " + q(run_) + " " + q(gone), out), 1) << out;
  EXPECT_TRUE(contains(out, "quality_mean")) << out;
  EXPECT_EQ(cli("compare " + q(run_) + " " + q(nan) + " --allow-missing quality_mean", out), 0) << out;
  EXPECT_EQ(cli("compare " + q(run_) + " " + q(nan) + " --allow-missing qualty_mean", out), 2) << out;
  const fs::path lat = copy("lat.h5");
  set_summary(lat, "latency_p99_s", kNaN);
  EXPECT_EQ(cli("compare " + q(run_) + " " + q(lat), out), 1) << out;
}

TEST(TrustGates, W3_SweepsWithNaNOrMissingPointsFail) {
  TempDir dir;
  H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
  auto axes = [&](H5::H5File& f) {
    f.createAttribute("sweep_axes", st, H5::DataSpace(H5S_SCALAR)).write(st, std::string("x"));
  };
  auto sweep = [&](const fs::path& file, std::vector<double> x, std::vector<double> quality) {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    f.createAttribute("file_kind", st, H5::DataSpace(H5S_SCALAR)).write(st, std::string("sweep"));
    axes(f);
    H5::Group root = f.openGroup("/");
    const std::size_t n = x.size();
    write_table(root, "sweep/points",
                {TableColumn{"seed_index", "", std::vector<std::int64_t>(n, 0)},
                 TableColumn{"status", "", std::vector<std::int64_t>(n, 0)}, TableColumn{"x", "", x},
                 TableColumn{"quality_mean", "1", quality}});
  };
  sweep(dir.path / "base.h5", {1, 2, 3, 4}, {0.5, 0.5, 0.5, 0.5});
  sweep(dir.path / "nan.h5", {1, 2, 3, 4}, {kNaN, kNaN, kNaN, kNaN});
  sweep(dir.path / "half.h5", {1, 2}, {0.5, 0.5});
  const ResultSet base = read_result_set(dir.path / "base.h5");
  const auto all_nan = compare_results(base, read_result_set(dir.path / "nan.h5"), {});
  EXPECT_TRUE(all_nan.regression());
  const auto half = compare_results(base, read_result_set(dir.path / "half.h5"), {});
  EXPECT_TRUE(half.regression());
  Tolerances allow;
  allow.allow_missing.insert("points");
  EXPECT_FALSE(compare_results(base, read_result_set(dir.path / "half.h5"), allow).regression());
  EXPECT_FALSE(compare_results(base, base, {}).regression());
}

std::string one_case_golden(const std::string& metrics) {
  return "[[case]]\nname = \"c\"\nscenario = \"" + default_scenario().string() +
         "\"\nset = [\"workload.limit=200\"]\n[case.metrics]\n" + metrics;
}

TEST(TrustGates, W4_CheckFailsAGoldenAgainstNaNAndRefusesNaNValues) {
  TempDir dir;
  const fs::path g = dir.path / "g.toml";
  // The default scenario has no SLO targets: slo_attainment is NaN; a recorded 0.9 must fail.
  write_file(g, one_case_golden("slo_attainment = { value = 0.9, tol = 0.5 }\n"));
  std::string out;
  EXPECT_EQ(run_cli("check " + q(g) + " -j 1", out), 1) << out;
  EXPECT_TRUE(contains(out, "MISSING")) << out;
  EXPECT_EQ(run_cli("check " + q(g) + " -j 1 --allow-missing slo_attainment", out), 0) << out;
  write_file(g, one_case_golden("quality_mean = { value = nan }\n"));
  EXPECT_EQ(run_cli("check " + q(g) + " -j 1", out), 2) << out;
  EXPECT_TRUE(contains(out, "not a finite number")) << out;
  // --update refuses to record a NaN and leaves the file as it was.
  write_file(g, one_case_golden("slo_attainment = { tol = 0.5 }\n"));
  const std::string before = testing::read_file(g);
  EXPECT_EQ(run_cli("check " + q(g) + " -j 1 --update", out), 2) << out;
  EXPECT_EQ(testing::read_file(g), before);
}

TEST(TrustGates, W4_UpdateWithDottedMetricKeysReadsBack) {
  TempDir dir;
  const fs::path g = dir.path / "g.toml";
  const std::string text = one_case_golden("quality_mean.tol = 0.005\nlatency_p99_s.tol = \"3%\"\n");
  write_file(g, text);
  const GoldenFile gf = read_golden(g, false);
  GoldenCaseResult r;
  r.ok = true;
  r.got = {0.5797, 12.5};
  const std::string out = updated_golden_text(text, gf, {r});
  EXPECT_TRUE(contains(out, "quality_mean.value = 0.5797")) << out;
  write_file(g, out);
  const GoldenFile back = read_golden(g);
  ASSERT_EQ(back.cases.at(0).metrics.size(), 2u);
  EXPECT_EQ(*back.cases[0].metrics[0].value, 0.5797);
  EXPECT_EQ(*back.cases[0].metrics[1].value, 12.5);
}

// ---------------------------------------------------------------------------------------
// W1: engine limits

TEST_F(Trust, W1_RunLimitsStopARunNamingTheKey) {
  std::string out;
  const std::string run = "run " + q(default_scenario()) + " --set workload.limit=300 -o " + q(tmp_.path / "l.h5");
  EXPECT_EQ(cli(run + " --set run.max_events=500", out), 2) << out;
  EXPECT_TRUE(contains(out, "run.max_events")) << out;
  EXPECT_EQ(cli(run + " --set 'run.max_sim_time=\"2 s\"'", out), 2) << out;
  EXPECT_TRUE(contains(out, "run.max_sim_time")) << out;
  EXPECT_FALSE(fs::exists(tmp_.path / "l.h5"));
  // A generated workload whose rate cannot produce its requests within the limit says so.
  const fs::path gen = testing::source_dir() / "scenarios" / "disaster_response.toml";
  EXPECT_EQ(cli("run " + q(gen) + " --set workload.arrivals.rate=1e-9 --set workload.limit=40 -o " +
                    q(tmp_.path / "g.h5"),
                out),
            2)
      << out;
  EXPECT_TRUE(contains(out, "run.max_sim_time") || contains(out, "workload.arrivals.rate")) << out;
}

TEST(TrustBounds, M2_OutageHistoryIsBoundedAndOldTimesAnswerTheSame) {
  // mtbf = mttr = 1 ms over 1,000 s: 500,000 outages; at most kLiveBlocks + 1 blocks are held.
  OutageProcess p(1e-3, 1e-3, RngStream(7, "link_outage", 0));
  OutageProcess q(1e-3, 1e-3, RngStream(7, "link_outage", 0));
  std::vector<std::pair<SimTime, SimTime>> early;
  for (SimTime t = 0; t < from_seconds(1.0); t += from_seconds(0.01)) early.emplace_back(t, p.next_up(t));
  for (SimTime t = 0; t < from_seconds(1000.0); t += from_seconds(0.05)) p.next_up(t);
  EXPECT_LE(p.intervals_held(), (OutageProcess::kLiveBlocks + 1) * OutageProcess::kBlock);
  // A time long past is drawn again from its block's saved state: the same answers.
  for (const auto& [t, up] : early) EXPECT_EQ(p.next_up(t), up) << t;
  const SimTime end = from_seconds(1000.0);
  EXPECT_EQ(p.down_time_before(end), q.down_time_before(end));
  EXPECT_EQ(p.next_down(from_seconds(0.5)), q.next_down(from_seconds(0.5)));
  const double availability = 1.0 - to_seconds(p.down_time_before(end)) / 1000.0;
  EXPECT_NEAR(availability, 0.5, 0.01);
}

TEST_F(Trust, M4_RequestsInFlightAreCappedNamingTheKey) {
  std::string out;
  EXPECT_EQ(cli("run " + q(default_scenario()) + " --set workload.limit=300 --set workload.rate_scale=1000 "
                "--set run.max_in_flight=20 -o " + q(tmp_.path / "m4.h5"),
                out),
            2)
      << out;
  EXPECT_TRUE(contains(out, "run.max_in_flight")) << out;
}

// ---------------------------------------------------------------------------------------
// Sweeps: W7, W8, M1, -j

TEST(TrustSweeps, W7_IntegerRangesStayExact) {
  const Axis a = parse_grid_argument("run.seed=9007199254740993:9007199254740995:1");
  ASSERT_EQ(a.values.size(), 3u);
  EXPECT_EQ(a.values[0].toml, "9007199254740993");
  EXPECT_EQ(a.values[0].integer, 9007199254740993);
  EXPECT_EQ(a.values[2].toml, "9007199254740995");
  const toml::table t = toml::parse("[sweep]\nrun.seed = { from = 9007199254740993, to = 9007199254740994, step = 1 }\n");
  const SweepSpec spec = sweep_from_table(t.get("sweep")->as_table());
  ASSERT_EQ(spec.axes.size(), 1u);
  EXPECT_EQ(spec.axes[0].values.at(0).toml, "9007199254740993");
  EXPECT_THROW(parse_grid_argument("run.seed=0:99999999999999999999:1"), InputError);
}

TEST(TrustSweeps, M1_AHugePlanIsRefusedBeforeItIsExpanded) {
  SweepSpec spec;
  spec.axes.push_back(parse_grid_argument("a=0:9999:1"));
  spec.axes.push_back(parse_grid_argument("b=0:999:1"));
  EXPECT_THROW(expand_combos(spec), InputError);  // 10^7 points: refused, not materialised
  SweepSpec zip;
  zip.zip = true;
  zip.seeds = 10000;
  zip.axes.push_back(parse_grid_argument("a=0:99:1"));
  EXPECT_THROW(expand_combos(zip), InputError);  // 100 × 10,000 seeds
}

TEST_F(Trust, W8_TwoGridsOfOneKeyAndAHugeThreadCountAreBadInput) {
  std::string out;
  const std::string sweep = "sweep " + q(default_scenario()) + " --set workload.limit=20 -o " + q(tmp_.path / "s.h5");
  EXPECT_EQ(cli(sweep + " --grid workload.rate_scale=1,2 --grid workload.rate_scale=4", out), 2) << out;
  EXPECT_TRUE(contains(out, "twice")) << out;
  EXPECT_EQ(cli(sweep + " --grid workload.rate_scale=1 -j 100000", out), 2) << out;
  EXPECT_FALSE(contains(out, "Resource temporarily unavailable")) << out;
}

// ---------------------------------------------------------------------------------------
// W5: resume that verifies

TEST(TrustResume, W5_PartNamesParseStrictly) {
  EXPECT_EQ(part_name(3), "p000003");
  EXPECT_EQ(parse_part_name("p000003.h5"), std::optional<std::uint64_t>(3));
  EXPECT_EQ(parse_part_name("p1234567.h5"), std::optional<std::uint64_t>(1234567));  // 7 digits: index ≥ 10^6
  for (const char* bad : {"p+00003.h5", "p00003.h5", "p0000003.h5", "p-00003.h5", "p000003.h5.tmp-12", "q000003.h5",
                          "p000003.H5", "p 00003.h5", "p0000000000000000003.h5", "manifest.txt"})
    EXPECT_FALSE(parse_part_name(bad).has_value()) << bad;
}

/// A part file: /summary with every summary metric (or `summary_text`: one text field), and
/// the two hashes when given.
void write_part(const fs::path& file, const std::string& spec, const std::string& inputs, bool text_summary = false,
                bool empty_summary = false) {
  H5::H5File f(file.string(), H5F_ACC_TRUNC);
  H5::StrType st(H5::PredType::C_S1, H5T_VARIABLE);
  if (!spec.empty()) f.createAttribute("point_spec_sha256", st, H5::DataSpace(H5S_SCALAR)).write(st, spec);
  if (!inputs.empty()) f.createAttribute("sweep_inputs_sha256", st, H5::DataSpace(H5S_SCALAR)).write(st, inputs);
  H5::Group root = f.openGroup("/");
  std::vector<TableColumn> cols;
  if (text_summary) {
    cols.push_back(TableColumn{"quality_mean", "", std::vector<std::string>{"high"}});
  } else {
    for (const auto& [name, uv] : Summary{}.columns())
      cols.push_back(TableColumn{name, uv.first, std::vector<double>(empty_summary ? 0 : 1, 0.5)});
  }
  write_table(root, "summary", cols);
}

TEST(TrustResume, W5_OnlyPartsOfThisPointAndTheseInputsAreKept) {
  TempDir dir;
  const std::vector<std::string> spec = {"s0", "s1", "s2", "s3", "s4", "s5"};
  write_part(dir.path / "p000000.h5", "s0", "in");            // kept
  write_part(dir.path / "p000001.h5", "s0", "in");            // another point's part
  write_part(dir.path / "p000002.h5", "s2", "other");         // made from other inputs
  write_part(dir.path / "p000003.h5", "s3", "in", true);      // a text /summary
  write_part(dir.path / "p000004.h5", "s4", "in", false, true);  // an empty /summary
  write_part(dir.path / "p000005.h5", "", "");                // no hashes (an older collabsim)
  write_part(dir.path / "p000009.h5", "s0", "in");            // outside the plan
  write_part(dir.path / "p+00003.h5", "s3", "in");            // a stray name
  write_file(dir.path / "p000006.h5", "truncated, not HDF5");  // unreadable
  write_file(dir.path / "manifest.txt", "m");
  const PartScan scan = scan_parts(dir.path, {"s0", "s1", "s2", "s3", "s4", "s5", "s6"}, "in");
  EXPECT_EQ(scan.done, (std::set<std::uint64_t>{0}));
  std::string all;
  for (const auto& r : scan.rerun) all += r + "\n";
  EXPECT_EQ(scan.rerun.size(), 7u) << all;
  EXPECT_TRUE(contains(all, "p000001.h5: it was made for another point specification")) << all;
  EXPECT_TRUE(contains(all, "p000002.h5: it was made from other input files")) << all;
  EXPECT_TRUE(contains(all, "p000003.h5: its /summary lacks the number")) << all;
  EXPECT_TRUE(contains(all, "p000004.h5: its /summary has 0 rows")) << all;
  EXPECT_TRUE(contains(all, "p000005.h5: it carries no point_spec_sha256")) << all;
  EXPECT_TRUE(contains(all, "p000006.h5: it cannot be read")) << all;
  EXPECT_TRUE(contains(all, "p000009.h5: point 9 is not in this sweep's plan")) << all;
  ASSERT_EQ(scan.ignored.size(), 1u);
  EXPECT_TRUE(contains(scan.ignored[0], "p+00003.h5")) << scan.ignored[0];
  // Rejected parts are gone (their points run again); the stray file is left alone.
  EXPECT_TRUE(fs::exists(dir.path / "p000000.h5"));
  EXPECT_FALSE(fs::exists(dir.path / "p000001.h5"));
  EXPECT_TRUE(fs::exists(dir.path / "p+00003.h5"));
  EXPECT_NE(point_spec_hash("m", 1, {"a=1"}), point_spec_hash("m", 2, {"a=1"}));
  EXPECT_NE(point_spec_hash("m", 1, {"a=1"}), point_spec_hash("m", 1, {"a=2"}));
}

// ---------------------------------------------------------------------------------------
// H1: an autoscaler that cannot drain rests when the pool is empty

TEST_F(Trust, H1_AutoscaleDownZeroEndsTheRun) {
  // autoscale_down = 0 (inside its range) with autoscale_up = 1 under load: replicas start,
  // none can ever drain; the run must still end (it re-armed for ever, up to max_sim_time).
  const std::vector<std::string> sets = {"mechanism.name=large_only", "workload.limit=400",
                                         "deployments.llm.autoscale=true", "deployments.llm.autoscale_up=1",
                                         "deployments.llm.autoscale_down=0", "devices.cloud.replicas=3",
                                         "run.max_events=5000000"};
  const auto o = testing::run_scenario_file(tmp_, default_scenario(), "h1", sets);
  EXPECT_EQ(o.s.n_requests, 400);
  EXPECT_EQ(o.s.n_ok, 400);
}

// ---------------------------------------------------------------------------------------
// W6: outputs never clobber an input

TEST_F(Trust, W6_AnOutputNeverReplacesItsScenarioOrAnyNonResultFile) {
  const fs::path s = tmp_.path / "s.toml";
  fs::copy_file(default_scenario(), s);
  const std::string text = testing::read_file(s);
  std::string out;
  // The copied scenario names ../models relative to itself: point models_dir back.
  const std::string sets = " --set workload.limit=50 --set run.models_dir=" +
                           q((testing::source_dir() / "models").string()) + " --data-dir " + q(testing::data_dir());
  EXPECT_EQ(cli("run " + q(s) + sets + " -o " + q(s), out), 2) << out;
  EXPECT_EQ(testing::read_file(s), text);
  EXPECT_EQ(cli("sweep " + q(s) + sets + " --grid workload.rate_scale=1,2 -o " + q(s), out), 2) << out;
  EXPECT_EQ(testing::read_file(s), text);
  const fs::path notes = tmp_.path / "notes.txt";
  write_file(notes, "my notes\n");
  EXPECT_EQ(cli("run " + q(s) + sets + " -o " + q(notes), out), 2) << out;
  EXPECT_EQ(testing::read_file(notes), "my notes\n");
  // An earlier result is replaced as before.
  EXPECT_EQ(cli("run " + q(s) + sets + " -o " + q(tmp_.path / "r.h5"), out), 0) << out;
  EXPECT_EQ(cli("run " + q(s) + sets + " -o " + q(tmp_.path / "r.h5"), out), 0) << out;
}

TEST(TrustOutputs, W6_DefaultNameIncludesAnOverriddenMechanism) {
  LoadOptions opt;
  opt.data_dir = testing::data_dir();
  EXPECT_EQ(load_scenario(default_scenario(), opt).run.output, fs::path("results") / "edge_cloud_cascade.h5");
  opt.overrides = {"mechanism.name=large_only"};
  EXPECT_EQ(load_scenario(default_scenario(), opt).run.output, fs::path("results") / "edge_cloud_cascade-large_only.h5");
}

// ---------------------------------------------------------------------------------------
// Provenance

TEST(TrustProvenance, Sha256MatchesTheStandardVectors) {
  // FIPS 180-2, appendix B.1 and the empty message.
  EXPECT_EQ(sha256_text("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_text(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // B.2 (two blocks) and B.3 (10^6 'a': the file is read in 1 MiB pieces, so two updates).
  EXPECT_EQ(sha256_text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  TempDir dir;
  write_file(dir.path / "a_million", std::string(1000000, 'a') + std::string(49576, 'b'));
  EXPECT_EQ(sha256_file(dir.path / "a_million"), sha256_text(std::string(1000000, 'a') + std::string(49576, 'b')));
  EXPECT_EQ(sha256_text(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  write_file(dir.path / "abc", "abc");
  EXPECT_EQ(sha256_file(dir.path / "abc"), sha256_text("abc"));
}

TEST_F(Trust, ProvenanceEveryInputIsRecordedWithPathAndHash) {
  const H5Reader r(run_, false);
  const auto inputs = read_inputs(r);
  std::set<std::string> roles;
  for (const auto& in : inputs) {
    roles.insert(in.role);
    EXPECT_TRUE(in.path.is_absolute()) << in.path;
    EXPECT_EQ(in.sha256, sha256_file(in.path)) << in.path;
    EXPECT_EQ(in.bytes, fs::file_size(in.path)) << in.path;
  }
  for (const char* role : {"scenario", "device_card", "model_card", "trace", "quality_table"})
    EXPECT_TRUE(roles.count(role)) << role;
  EXPECT_GE(r.attr_int("schema_version"), 5);
  std::string out;
  EXPECT_EQ(cli("inspect " + q(run_), out), 0) << out;
  EXPECT_TRUE(contains(out, sha256_file(default_scenario()))) << out;
}

TEST_F(Trust, ProvenanceCompareWarnsWhenInputsDiffer) {
  const fs::path p = copy("other_inputs.h5");
  {
    std::vector<InputRecord> inputs;
    {
      const H5Reader r(p, false);
      inputs = read_inputs(r);
    }
    ASSERT_FALSE(inputs.empty());
    inputs[0].sha256 = std::string(64, '0');
    H5::H5File f(p.string(), H5F_ACC_RDWR);
    f.unlink("inputs");
    H5::Group root = f.openGroup("/");
    write_table(root, "inputs", input_columns(inputs));
  }
  std::string out;
  EXPECT_EQ(cli("compare " + q(run_) + " " + q(p), out), 0) << out;
  EXPECT_TRUE(contains(out, "warning: inputs differ")) << out;
  EXPECT_EQ(cli("compare " + q(run_) + " " + q(run_), out), 0) << out;
  EXPECT_FALSE(contains(out, "warning")) << out;
}

TEST(TrustProvenance, ADataDirThatDoesNotExistIsBadInput) {
  std::string out;
  EXPECT_EQ(run_cli("run " + q(default_scenario()) + " --data-dir /nonexistent/collabsim-data -o /tmp/x.h5", out), 2)
      << out;
  EXPECT_TRUE(contains(out, "--data-dir")) << out;
  LoadOptions opt;
  opt.data_dir = "/nonexistent/collabsim-data";
  EXPECT_THROW(load_scenario(default_scenario(), opt), InputError);
}

}  // namespace
}  // namespace collabsim
