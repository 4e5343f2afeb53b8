// collabsim sweep: axes and grids, determinism across threads and MPI ranks, resume after
// an interrupt, errors for keys a point never reads, the sweep file layout.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "sim/core/error.hpp"
#include "sim/results/stats.hpp"
#include "sim/study/calibrate.hpp"
#include "sim/study/point_runner.hpp"
#include "sim/io/output_path.hpp"
#include "sim/study/sweep_parts.hpp"
#include "sim/study/sweep_spec.hpp"
#include "sim/study/sweep_transport.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

std::string scenario() { return (source_dir() / "scenarios" / "edge_cloud_cascade.toml").string(); }
std::string data_arg() { return " --data-dir " + data_dir().string(); }

/// A 2 × 2 grid with 2 seeds on the first 1,500 requests.
std::string small_sweep(const fs::path& out, const std::string& extra = "") {
  return "sweep " + scenario() + " -o " + out.string() + data_arg() +
         " --set workload.limit=1500 --grid mechanism.cascade.thresholds=0.3,0.6 --grid workload.rate_scale=1,2 "
         "--seeds 2 -q " + extra;
}

std::vector<std::string> split_axis(const Axis& a) {
  std::vector<std::string> v;
  for (const auto& x : a.values) v.push_back(x.toml);
  return v;
}

}  // namespace

TEST(SweepSpec, RangeValuesAreRoundedToTheStep) {
  const Axis a = parse_grid_argument("mechanism.cascade.thresholds=0:1:0.1");
  ASSERT_EQ(a.values.size(), 11u);
  EXPECT_EQ(a.values[3].toml, "0.3");
  EXPECT_EQ(a.values[3].number, 0.3);
  EXPECT_EQ(a.values[10].toml, "1");
  EXPECT_EQ(a.column_kind(), AxisValue::Kind::Real);
  const Axis i = parse_grid_argument("workload.limit=100:400:100");
  EXPECT_EQ(split_axis(i), (std::vector<std::string>{"100", "200", "300", "400"}));
  EXPECT_EQ(i.column_kind(), AxisValue::Kind::Integer);
}

TEST(SweepSpec, ListsOfNumbersWordsAndArrays) {
  EXPECT_EQ(split_axis(parse_grid_argument("workload.rate_scale=1,2.5,4")),
            (std::vector<std::string>{"1", "2.5", "4"}));
  const Axis names = parse_grid_argument("mechanism.name=cascade,large_only");
  EXPECT_EQ(names.column_kind(), AxisValue::Kind::Text);
  EXPECT_EQ(names.values[1].text, "large_only");
  EXPECT_EQ(names.values[1].toml, "\"large_only\"");
  const Axis arrays = parse_grid_argument("mechanism.cascade.thresholds=[0.3],[0.5]");
  ASSERT_EQ(arrays.values.size(), 2u);
  EXPECT_EQ(arrays.values[0].kind, AxisValue::Kind::Other);
  EXPECT_THROW(parse_grid_argument("workload.rate_scale"), InputError);
  EXPECT_THROW(parse_grid_argument("workload.rate_scale=1:0:0.5"), InputError);
  EXPECT_THROW(parse_grid_argument("workload.rate_scale=0:1:0"), InputError);
}

TEST(SweepSpec, GridIsCartesianFirstAxisOutermostAndSkipRulesApply) {
  SweepSpec s;
  s.axes = {parse_grid_argument("a.x=1,2"), parse_grid_argument("b.y=10,20,30")};
  auto c = expand_combos(s);
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[1].values[0].toml, "1");
  EXPECT_EQ(c[1].values[1].toml, "20");
  EXPECT_EQ(c[3].values[0].toml, "2");
  s.skip = {{{"a.x", parse_axis_value("2")}, {"b.y", parse_axis_value("20.0")}}};  // 20 == 20.0
  c = expand_combos(s);
  ASSERT_EQ(c.size(), 5u);
  for (const auto& k : c) EXPECT_FALSE(k.values[0].toml == "2" && k.values[1].toml == "20");
  s.zip = true;
  EXPECT_THROW(expand_combos(s), InputError);  // 2 and 3 values cannot be zipped
  s.axes[1] = parse_grid_argument("b.y=10,20");
  s.skip.clear();
  EXPECT_EQ(expand_combos(s).size(), 2u);
}

TEST(SweepSpec, SweepTableWithRangesNestedKeysAndSkip) {
  const toml::table t = toml::parse(R"(
    mode = "grid"
    seeds = 3
    "mechanism.cascade.thresholds" = { from = 0.0, to = 0.5, step = 0.25 }
    workload.rate_scale = [1, 2]
    skip = [{ "workload.rate_scale" = 2, "mechanism.cascade.thresholds" = 0.0 }]
  )");
  const SweepSpec s = sweep_from_table(&t);
  EXPECT_EQ(s.seeds, 3);
  ASSERT_EQ(s.axes.size(), 2u);
  EXPECT_EQ(expand_combos(s).size(), 5u);
  const toml::table bad = toml::parse("seeds = 0");
  EXPECT_THROW(sweep_from_table(&bad), InputError);
  const toml::table flat = toml::parse("threshold = [1, 2]");
  EXPECT_THROW(sweep_from_table(&flat), InputError);
}

TEST(SweepSpec, StudentTInterval) {
  const MeanCi r = mean_ci95({1.0, 2.0, 3.0, 4.0});
  EXPECT_DOUBLE_EQ(r.mean, 2.5);
  EXPECT_NEAR(r.sd, 1.2909944487, 1e-9);
  // t(0.975, 3) = 3.182446305
  EXPECT_NEAR(r.hi - r.mean, 3.182446305 * 1.2909944487 / 2.0, 1e-6);
  const MeanCi one = mean_ci95({5.0});
  EXPECT_EQ(one.n, 1);
  EXPECT_TRUE(std::isnan(one.sd));
}

TEST(Sweep, ThreadAndRankCountsGiveIdenticalTables) {
  TempDir d;
  std::string out;
  ASSERT_EQ(run_cli(small_sweep(d.path / "j1.h5", "-j 1"), out), 0) << out;
  ASSERT_EQ(run_cli(small_sweep(d.path / "j2.h5", "-j 2"), out), 0) << out;
  for (const char* ds : {"sweep/points", "sweep/aggregate"})
    EXPECT_EQ(read_raw(d.path / "j1.h5", ds), read_raw(d.path / "j2.h5", ds)) << ds;
  const auto q = read_column<double>(d.path / "j1.h5", "sweep/points", "quality_mean");
  ASSERT_EQ(q.size(), 8u);
  EXPECT_NE(q[0], q[1]);  // seeds differ
  const auto n = read_column<std::int64_t>(d.path / "j1.h5", "sweep/aggregate", "n_seeds");
  EXPECT_EQ(n, (std::vector<std::int64_t>{2, 2, 2, 2}));
  const auto lo = read_column<double>(d.path / "j1.h5", "sweep/aggregate", "quality_mean_ci95_lo");
  const auto mean = read_column<double>(d.path / "j1.h5", "sweep/aggregate", "quality_mean_mean");
  EXPECT_DOUBLE_EQ(mean[0], (q[0] + q[1]) / 2);
  EXPECT_LT(lo[0], mean[0]);
  if (!mpi_available()) GTEST_SKIP() << "built without MPI";
  // 2 ranks × 1 thread: worker 1 starts with a deal of 2 points; 3 ranks × 2 threads: the deal
  // of 4 is cut to 8 points / 3 ranks = 2 so rank 0 has points too. Workers write their own
  // part files (one node); rank 0 removes the parts folder once the sweep file is whole.
  for (const auto& [ranks, threads] : {std::pair{2, 1}, std::pair{3, 2}}) {
    const fs::path out = d.path / fmt::format("mpi{}x{}.h5", ranks, threads);
    const std::string cmd = fmt::format("mpirun --allow-run-as-root --oversubscribe -np {} {} {} > {} 2>&1", ranks,
                                        collabsim::testing::collabsim_binary_path(),
                                        small_sweep(out, fmt::format("-j {}", threads)), (d.path / "mpi.log").string());
    ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(d.path / "mpi.log");
    for (const char* ds : {"sweep/points", "sweep/aggregate"})
      EXPECT_EQ(read_raw(d.path / "j1.h5", ds), read_raw(out, ds)) << ds << " on " << ranks << " ranks";
    EXPECT_FALSE(fs::exists(out.string() + ".parts")) << ranks << " ranks";
  }
}

TEST(Sweep, PointValuesEqualSingleRuns) {
  TempDir d;
  std::string out;
  ASSERT_EQ(run_cli("sweep " + scenario() + " -o " + (d.path / "s.h5").string() + data_arg() +
                        " --set workload.limit=1000 --grid mechanism.cascade.thresholds=0.4 -q",
                    out),
            0)
      << out;
  const auto single = run_scenario_file(d, scenario(), "one", {"workload.limit=1000", "mechanism.cascade.thresholds=0.4"});
  EXPECT_EQ(read_column<double>(d.path / "s.h5", "sweep/points", "quality_mean")[0], single.s.quality_mean);
  EXPECT_EQ(read_column<double>(d.path / "s.h5", "sweep/points", "latency_p99_s")[0], single.s.latency_p99_s);
  EXPECT_EQ(read_column<double>(d.path / "s.h5", "sweep/points", "mechanism.cascade.thresholds")[0], 0.4);
}

TEST(Sweep, InterruptedSweepResumesToTheSameData) {
  TempDir d;
  std::string out;
  const std::string args = "sweep " + scenario() + " -o " + (d.path / "r.h5").string() + data_arg() +
                           " --set workload.limit=6000 --grid mechanism.cascade.thresholds=0:1:0.1 -j 1 -q";
  ASSERT_EQ(run_cli(args.substr(0, args.find(" -o ")) + " -o " + (d.path / "ref.h5").string() +
                        args.substr(args.find(" --data-dir")),
                    out),
            0)
      << out;
  // Start the same sweep, interrupt it (SIGINT) once two points are done.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string cmd = std::string(collabsim::testing::collabsim_binary_path()) + " " + args + " > /dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const fs::path parts = d.path / "r.h5.parts";
  auto count_parts = [&] {
    int n = 0;
    std::error_code ec;
    for (fs::directory_iterator it(parts, ec), end; !ec && it != end; it.increment(ec))
      n += it->path().extension() == ".h5" ? 1 : 0;
    return n;
  };
  const auto t0 = std::chrono::steady_clock::now();
  while (count_parts() < 2 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the sweep finished before it could be interrupted";
  EXPECT_EQ(WTERMSIG(status), SIGINT);
  EXPECT_FALSE(fs::exists(d.path / "r.h5"));
  const int kept = count_parts();
  EXPECT_GE(kept, 2);
  EXPECT_LT(kept, 11);
  for (const auto& e : fs::directory_iterator(parts))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  // A different grid may not reuse these points.
  std::string other = args;
  other.replace(other.find("0:1:0.1"), 7, "0:1:0.2");
  EXPECT_EQ(run_cli(other, out), 2);
  EXPECT_NE(out.find("was: axis mechanism.cascade.thresholds"), std::string::npos) << out;
  EXPECT_NE(out.find("--restart"), std::string::npos) << out;
  // The same command finishes the rest, and the data equal the uninterrupted sweep's.
  ASSERT_EQ(run_cli(args.substr(0, args.size() - 3), out), 0) << out;
  EXPECT_NE(out.find(std::to_string(kept) + " kept from before"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(parts));
  for (const char* ds : {"sweep/points", "sweep/aggregate"})
    EXPECT_EQ(read_raw(d.path / "r.h5", ds), read_raw(d.path / "ref.h5", ds)) << ds;
  // Run again: nothing to do.
  ASSERT_EQ(run_cli(args.substr(0, args.size() - 3), out), 0) << out;
  EXPECT_NE(out.find("up to date"), std::string::npos) << out;
}

// Issue 26 item 5: rank 0 merges the sweep file from the rows the points hand over in
// memory; a part file is read back only for a point kept from an interrupted run. Both
// must give the same bits, for a plain point (no calibrated value: NaN) and a calibrated
// one (the value through its attribute's text), n_ counts included.
TEST(Sweep, InMemoryRowEqualsThePartFilesRow) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  InputCache inputs;
  auto same_bits = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  for (const char* extra : {"mechanism.cascade.thresholds=0.4", "mechanism.cascade.target_large_share=0.3"}) {
    LoadOptions lo;
    lo.data_dir = data_dir();
    lo.overrides = {"workload.limit=400", extra};
    const PointOutcome o = run_point(scenario(), lo, inputs, false);
    ASSERT_TRUE(o.ok) << o.error;
    const fs::path part = d.path / (part_name(0) + ".h5");
    write_file_atomically(part, o.image);
    const PointRow mem = point_row(o), disk = read_point_row(part);
    ASSERT_EQ(mem.metrics.size(), Summary{}.columns().size());
    ASSERT_EQ(mem.metrics.size(), disk.metrics.size());
    for (std::size_t m = 0; m < mem.metrics.size(); ++m)
      EXPECT_TRUE(same_bits(mem.metrics[m], disk.metrics[m]))
          << Summary{}.columns()[m].first << ": " << mem.metrics[m] << " vs " << disk.metrics[m];
    EXPECT_TRUE(same_bits(mem.calibrated, disk.calibrated)) << mem.calibrated << " vs " << disk.calibrated;
    EXPECT_EQ(std::isnan(mem.calibrated), std::string(extra).find("target") == std::string::npos) << extra;
  }
}

TEST(Sweep, KeyTheRunNeverReadsIsAnError) {
  TempDir d;
  std::string out;
  EXPECT_EQ(run_cli("sweep " + scenario() + " -o " + (d.path / "x.h5").string() + data_arg() +
                        " --set workload.limit=100 --grid mechanism.router.threshold=0.2,0.4",
                    out),
            2);
  EXPECT_NE(out.find("mechanism.router.threshold"), std::string::npos) << out;
  EXPECT_NE(out.find("runs mechanism 'cascade'"), std::string::npos) << out;
  EXPECT_EQ(run_cli("sweep " + scenario() + " -o " + (d.path / "x.h5").string() + data_arg() +
                        " --grid devices.laptop.replicas=1,2",
                    out),
            2);
  EXPECT_NE(out.find("no devices entry 'laptop'"), std::string::npos) << out;
  EXPECT_EQ(run_cli("sweep " + scenario() + " -o " + (d.path / "x.h5").string() + data_arg() +
                        " --grid run.output=a,b",
                    out),
            2);
  EXPECT_FALSE(fs::exists(d.path / "x.h5"));
  EXPECT_FALSE(fs::exists(d.path / "x.h5.parts"));
}

TEST(Sweep, InvalidPointStopsOrIsRecordedWithKeepGoing) {
  TempDir d;
  std::string out;
  const std::string base = "sweep " + scenario() + " -o " + (d.path / "k.h5").string() + data_arg() +
                           " --set workload.limit=300 --grid mechanism.cascade.thresholds=0.5,1.5 -q";
  EXPECT_EQ(run_cli(base, out), 2);
  EXPECT_NE(out.find("mechanism.cascade.thresholds=1.5"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(d.path / "k.h5"));
  EXPECT_EQ(run_cli(base + " --keep-going", out), 2);
  const auto status = read_column<std::int64_t>(d.path / "k.h5", "sweep/points", "status");
  EXPECT_EQ(status, (std::vector<std::int64_t>{0, 1}));
  const auto q = read_column<double>(d.path / "k.h5", "sweep/points", "quality_mean");
  EXPECT_GT(q[0], 0.0);
  EXPECT_TRUE(std::isnan(q[1]));
  if (!mpi_available()) GTEST_SKIP() << "built without MPI";
  // On 2 ranks rank 1 validates point 1: its verdict reaches rank 0, which stops every rank
  // with the same message, or records the point with --keep-going.
  const fs::path m = d.path / "m.h5";
  const std::string mpi = fmt::format("mpirun --allow-run-as-root --oversubscribe -np 2 {} sweep {} -o {}{} "
                                      "--set workload.limit=300 --grid mechanism.cascade.thresholds=0.5,1.5 -q -j 1",
                                      collabsim::testing::collabsim_binary_path(), scenario(), m.string(), data_arg());
  const fs::path log = d.path / "m.log";
  EXPECT_NE(std::system((mpi + " > " + log.string() + " 2>&1").c_str()), 0);
  EXPECT_NE(read_file(log).find("point 1 (mechanism.cascade.thresholds=1.5) is invalid"), std::string::npos) << read_file(log);
  EXPECT_FALSE(fs::exists(m));
  EXPECT_NE(std::system((mpi + " --keep-going > " + log.string() + " 2>&1").c_str()), 0);
  EXPECT_EQ(read_column<std::int64_t>(m, "sweep/points", "status"), (std::vector<std::int64_t>{0, 1})) << read_file(log);
  EXPECT_EQ(read_column<double>(m, "sweep/points", "quality_mean")[0], q[0]);
}

TEST(Sweep, KeepRequestsAndH5pyReadsEveryDataset) {
  TempDir d;
  std::string out;
  const fs::path f = d.path / "kr.h5";
  ASSERT_EQ(run_cli("sweep " + scenario() + " -o " + f.string() + data_arg() +
                        " --set workload.limit=400 --grid mechanism.name=cascade,large_only --keep-requests -q",
                    out),
            0)
      << out;
  EXPECT_EQ(read_column<double>(f, "sweep/runs/p000001/requests", "latency_s").size(), 400u);
  const auto names = read_column<double>(f, "sweep/points", "large_share");
  EXPECT_EQ(names[1], 1.0);
  const std::string py =
      "/usr/bin/python3 -c \"import h5py,sys\n"
      "n=[0]\n"
      "def v(name,obj):\n"
      "    if isinstance(obj,h5py.Dataset):\n"
      "        obj[()]; n[0]+=1\n"
      "f=h5py.File(sys.argv[1],'r'); f.visititems(v)\n"
      "p=f['sweep/points']; assert p['mechanism.name'][1]==b'large_only', p['mechanism.name']\n"
      "print(n[0])\" " + f.string() + " > " + (d.path / "py.log").string() + " 2>&1";
  ASSERT_EQ(std::system(py.c_str()), 0) << read_file(d.path / "py.log");
  EXPECT_GE(std::stoi(read_file(d.path / "py.log")), 6);
}

TEST(Run, SharedDeviceThatNeverDrainsIsReported) {
  TempDir d;
  std::string out;
  // Every request of the trace on ONE phone: the queue grows without bound.
  EXPECT_EQ(run_cli("run " + scenario() + " -o " + (d.path / "sat.h5").string() + data_arg() +
                        " --set workload.limit=400 --set devices.phone.per_user=false --set mechanism.name=small_only",
                    out),
            0)
      << out;
  EXPECT_NE(out.find("phone shared (1 replica"), std::string::npos) << out;
  EXPECT_NE(out.find("warning: the requests' origin device 'phone', modelled as ONE shared instance (1 replica(s)), "
                     "stayed saturated"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("set devices.phone.per_user = true"), std::string::npos) << out;  // the fix for an origin device
  EXPECT_EQ(read_column<std::int64_t>(d.path / "sat.h5", "summary", "n_saturated_devices")[0], 1);
  ASSERT_EQ(run_cli("run " + scenario() + " -o " + (d.path / "ok.h5").string() + data_arg() +
                        " --set workload.limit=400",
                    out),
            0);
  EXPECT_EQ(out.find("saturated"), std::string::npos) << out;
  EXPECT_EQ(read_column<std::int64_t>(d.path / "ok.h5", "summary", "n_saturated_devices")[0], 0);
}

TEST(Run, RepeatReplaysTheTraceBackToBack) {
  TempDir d;
  const auto one = run_scenario_file(d, scenario(), "one", {"workload.limit=0", "mechanism.name=large_only",
                                                             "workload.trace=\"traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv\""});
  const auto two = run_scenario_file(d, scenario(), "two", {"mechanism.name=large_only", "workload.repeat=2"});
  EXPECT_EQ(two.s.n_requests, 2 * one.s.n_requests);
  const auto a1 = read_column<double>(one.file, "requests", "arrival_s");
  const auto a2 = read_column<double>(two.file, "requests", "arrival_s");
  const std::size_t n = a1.size();
  const double gap = a1.back() / static_cast<double>(n - 1);
  EXPECT_NEAR(a2[n] - a2[n - 1], gap, 1e-6);  // one mean gap between the copies
  EXPECT_NEAR(a2[n + 5] - a2[n], a1[5] - a1[0], 1e-6);
}

TEST(Run, UnknownSubcommandAndNonHdf5InspectExitTwo) {
  TempDir d;
  std::string out;
  EXPECT_EQ(run_cli("frobnicate", out), 2);
  EXPECT_NE(out.find("subcommands: run, sweep, compare, check"), std::string::npos) << out;
  write_file(d.path / "x.h5", "not hdf5\n");
  EXPECT_EQ(run_cli("inspect " + (d.path / "x.h5").string(), out), 2) << out;
  EXPECT_EQ(out.find("not hdf5"), std::string::npos) << out;  // never echoes the content
}

TEST(TargetShare, CalibrationFindsTheThreshold) {
  TempDir d;
  std::string out;
  const fs::path f = d.path / "c.h5";
  ASSERT_EQ(run_cli("sweep " + scenario() + " -o " + f.string() + data_arg() +
                        " --set workload.limit=3000 --grid mechanism.cascade.target_large_share=0.2,0.5 -q",
                    out),
            0)
      << out;
  const auto share = read_column<double>(f, "sweep/points", "large_share");
  const auto value = read_column<double>(f, "sweep/points", "calibrated_value");
  ASSERT_EQ(share.size(), 2u);
  EXPECT_NEAR(share[0], 0.2, 1.0 / 3000);
  EXPECT_NEAR(share[1], 0.5, 1.0 / 3000);
  EXPECT_LT(value[0], value[1]);  // more escalation needs a higher threshold
  // The calibrated threshold as a plain run gives the same share.
  const auto again = run_scenario_file(
      d, scenario(), "again", {"workload.limit=3000", "mechanism.cascade.thresholds=" + std::to_string(value[1])});
  EXPECT_NEAR(again.s.large_share, share[1], 1.0 / 3000);
  // The random router calibrates p; a three-stage cascade cannot be calibrated.
  ASSERT_EQ(run_cli("run " + scenario() + " -o " + (d.path / "r.h5").string() + data_arg() +
                        " --set workload.limit=2000 --set mechanism.name=random --set mechanism.random.target_large_share=0.25",
                    out),
            0)
      << out;
  EXPECT_NE(out.find("calibrated mechanism.random.p"), std::string::npos) << out;
  EXPECT_NEAR(read_column<double>(d.path / "r.h5", "summary", "large_share")[0], 0.25, 1.0 / 2000 + 1e-12);
  EXPECT_EQ(run_cli("run " + scenario() + " -o " + (d.path / "x.h5").string() + data_arg() +
                        " --set workload.limit=200 --set mechanism.cascade.thresholds=[0.3,0.5]"
                        " --set 'mechanism.cascade.stages=[\"slm\",\"llm\",\"llm\"]'"
                        " --set mechanism.cascade.target_large_share=0.3",
                    out),
            2);
}

// Calibration drives the runner it is given and nothing else: every run it asks for carries
// target_large_share = -1 and the value tried, the bisection follows the runner's shares,
// and the in-memory runner only loads and runs (a target still to calibrate is refused, not
// calibrated again from inside the runner).
TEST(TargetShare, CalibrationDrivesTheRunnerItIsGiven) {
  COLLABSIM_NEED_DATA(data_dir());
  LoadOptions load;
  load.data_dir = data_dir();
  load.overrides = {"workload.limit=100", "mechanism.cascade.target_large_share=0.3"};
  std::vector<double> tried;
  const ShareRunner fake = [&](const LoadOptions& at) {
    EXPECT_EQ(at.overrides.size(), load.overrides.size() + 2);
    EXPECT_EQ(at.overrides[at.overrides.size() - 2], "mechanism.cascade.target_large_share=-1");
    const std::string& v = at.overrides.back();
    EXPECT_EQ(v.rfind("mechanism.cascade.thresholds=[", 0), 0u) << v;
    const double x = std::stod(v.substr(v.find('[') + 1));
    tried.push_back(x);
    Summary s;
    s.n_requests = 100;
    s.large_share = 0.5 * x;  // monotone in the threshold: the share 0.3 lies at 0.6
    return s;
  };
  const Calibration c = calibrate_target_share(scenario(), load, fake);
  ASSERT_TRUE(c.active);
  EXPECT_EQ(c.runs, static_cast<int>(tried.size()));
  ASSERT_GE(tried.size(), 2u);
  EXPECT_EQ(tried[0], 0.5);
  EXPECT_EQ(tried[1], 0.75);  // share 0.25 < 0.3 at 0.5: the upper half next
  EXPECT_NEAR(c.value, 0.6, 2 * 0.5 / 100);  // share within half a request: value within 2x that
  EXPECT_NEAR(c.achieved, 0.3, 0.5 / 100);

  InputCache inputs;
  const ShareRunner real = in_memory_runner(scenario(), inputs);
  EXPECT_THROW(real(load), InputError);  // the runner does not calibrate
  LoadOptions fixed = load;
  fixed.overrides.push_back("mechanism.cascade.target_large_share=-1");
  fixed.overrides.push_back("mechanism.cascade.thresholds=[0.6]");
  EXPECT_EQ(real(fixed).n_requests, 100);
}
