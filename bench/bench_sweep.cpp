// Sweep throughput and scale, end to end through the collabsim binary (process start,
// trace and quality table loaded once per sweep, HDF5 written):
//   - points per second at -j1, -j2 and 2 MPI ranks × 1 thread on the default scenario's
//     full trace (targets, DESIGN.md: speed-up ≥ 1.8 on 2 cores; ≥ 8 full-trace points
//     per second per core);
//   - a 10^6-request run (the Azure conversation trace replayed 52 times back to back,
//     workload.repeat) with its wall time and the child's peak RSS (targets < 20 s, < 1 GiB).
// Each figure is reported as a counter; the child processes' CPU is not in the bench's own
// CPU time, so read the counters (wall based).
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace fs = std::filesystem;

namespace {

std::string data_dir() {
  if (const char* d = std::getenv("COLLABSIM_DATA")) return d;
  return (fs::path(COLLABSIM_SOURCE_DIR) / ".." / "shared" / "data").string();
}

struct ChildRun {
  double wall_s = 0;
  double peak_rss_mib = 0;
  int status = -1;
};

/// Runs `cmd` with /bin/sh, returns its wall time and peak RSS (wait4's rusage).
ChildRun run_child(const std::string& cmd) {
  ChildRun r;
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.peak_rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const fs::path kOut = fs::temp_directory_path() / "collabsim_bench_sweep.h5";

/// 11 cascade thresholds × 2 rate scales = 22 full-trace points.
std::string sweep_cmd(const std::string& launcher, int threads) {
  return launcher + std::string(COLLABSIM_BINARY) + " sweep " + COLLABSIM_SOURCE_DIR +
         "/scenarios/edge_cloud_cascade.toml --data-dir " + data_dir() + " -o " + kOut.string() +
         " --restart -q -j " + std::to_string(threads) +
         " --grid mechanism.cascade.thresholds=0:1:0.1 --grid workload.rate_scale=1,2 > /dev/null";
}

void BM_Sweep(benchmark::State& state, const std::string& launcher, int threads) {
  constexpr double kPoints = 22;
  ChildRun last;
  for (auto _ : state) {
    last = run_child(sweep_cmd(launcher, threads));
    if (last.status != 0) state.SkipWithError("collabsim sweep failed");
    state.SetIterationTime(last.wall_s);
  }
  state.counters["points"] = kPoints;
  state.counters["points_per_s"] = kPoints / last.wall_s;
  state.counters["peak_rss_MiB"] = last.peak_rss_mib;
  fs::remove(kOut);
}

void BM_MillionRequests(benchmark::State& state) {
  ChildRun last;
  const fs::path out = fs::temp_directory_path() / "collabsim_bench_1m.h5";
  for (auto _ : state) {
    last = run_child(std::string(COLLABSIM_BINARY) + " run " + COLLABSIM_SOURCE_DIR +
                     "/scenarios/edge_cloud_cascade.toml --data-dir " + data_dir() + " -o " + out.string() +
                     " --set workload.repeat=52 -q > /dev/null");
    if (last.status != 0) state.SkipWithError("collabsim run failed");
    state.SetIterationTime(last.wall_s);
  }
  state.counters["requests"] = 19366.0 * 52;
  state.counters["wall_s"] = last.wall_s;
  state.counters["peak_rss_MiB"] = last.peak_rss_mib;
  state.counters["file_MiB"] = fs::exists(out) ? static_cast<double>(fs::file_size(out)) / (1 << 20) : 0;
  fs::remove(out);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Sweep, j1, std::string(""), 1)->UseManualTime()->Unit(benchmark::kSecond)->Iterations(2);
BENCHMARK_CAPTURE(BM_Sweep, j2, std::string(""), 2)->UseManualTime()->Unit(benchmark::kSecond)->Iterations(2);
BENCHMARK_CAPTURE(BM_Sweep, mpi2x1, std::string("mpirun --allow-run-as-root --oversubscribe -np 2 "), 1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond)
    ->Iterations(2);
BENCHMARK(BM_MillionRequests)->UseManualTime()->Unit(benchmark::kSecond)->Iterations(1);

BENCHMARK_MAIN();
