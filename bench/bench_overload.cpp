// CPU time per request at nominal load and under overload (issue 13): the default
// scenario (Azure 2023 conversation trace, 19,366 requests, HDF5 output included) with
// mechanism.name = large_only and workload.rate_scale = 1, 4, 8. At 4× and 8× the cloud
// queue grows over the whole trace (10^3–10^4 requests in flight), which used to cost
// more CPU per request through cache misses (cold coroutine frames, a std::map reorder
// buffer, a hash set of drivers).
//
// Traces and quality tables come from an InputCache filled by an untimed warm-up run, so
// the figure is the simulation and its HDF5 output, not the CSV parsing.
// Prints, per load: requests, events per request, mean and peak requests in flight (from
// /requests: arrival_s and latency_s), the least thread CPU time over the repetitions and
// CPU ns per request, and the ratio to 1×.
//   ./build/bench_overload [repetitions, default 3] [load ..., default 1 4 8]
// (ratios are to the first load given; one load alone is for profiling it, e.g. under perf).
// Environment: COLLABSIM_DATA (data folder; default ../shared/data beside the source).
#include <H5Cpp.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "sim/io/h5_table.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/input_cache.hpp"
#include "sim/study/run_scenario.hpp"

using namespace collabsim;
namespace fs = std::filesystem;

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Mean (Little: Σ latency / makespan) and peak number of requests in flight.
std::pair<double, double> in_flight(const fs::path& file) {
  const H5::H5File f(file.string(), H5F_ACC_RDONLY);
  const auto arrival = read_numeric_field(f, "/requests", "arrival_s");
  const auto latency = read_numeric_field(f, "/requests", "latency_s");
  if (!arrival || !latency || arrival->empty()) return {0, 0};
  std::vector<std::pair<double, int>> steps;  // (time, +1 arrival / −1 end); ends sort first
  double busy = 0, first = (*arrival)[0], last = 0;
  for (std::size_t i = 0; i < arrival->size(); ++i) {
    const double a = (*arrival)[i], e = a + (*latency)[i];
    steps.emplace_back(a, +1);
    steps.emplace_back(e, -1);
    busy += (*latency)[i];
    first = std::min(first, a);
    last = std::max(last, e);
  }
  std::sort(steps.begin(), steps.end());
  int n = 0, peak = 0;
  for (const auto& s : steps) peak = std::max(peak, n += s.second);
  return {last > first ? busy / (last - first) : 0, static_cast<double>(peak)};
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  std::vector<double> loads;
  for (int i = 2; i < argc; ++i) {
    const double x = std::atof(argv[i]);
    if (!(x > 0)) {
      std::fprintf(stderr, "bench_overload: load '%s' is not a positive number\n", argv[i]);
      return 2;
    }
    loads.push_back(x);
  }
  if (loads.empty()) loads = {1.0, 4.0, 8.0};
  LoadOptions opt;
  if (const char* d = std::getenv("COLLABSIM_DATA")) opt.data_dir = d;
  else opt.data_dir = fs::path(COLLABSIM_SOURCE_DIR) / ".." / "shared" / "data";
  const fs::path out = fs::temp_directory_path() / ("collabsim_bench_overload_" + std::to_string(getpid()) + ".h5");
  opt.output = out;
  InputCache inputs;  // the trace and quality tables are read once, outside the timing
  RunOptions run;
  run.warn = false;
  run.inputs = &inputs;

  std::printf("%-6s %9s %8s %10s %10s %9s %12s %7s\n", "load", "requests", "ev/req", "in-flight", "peak", "CPU ms",
              "CPU ns/req", "ratio");
  double base = 0;
  for (const double scale : loads) {
    opt.overrides = {"mechanism.name=large_only", "workload.rate_scale=" + std::to_string(scale)};
    const Scenario sc = load_scenario(fs::path(COLLABSIM_SOURCE_DIR) / "scenarios" / "edge_cloud_cascade.toml", opt);
    if (base == 0) (void)run_scenario(sc, run);  // warm-up: fills the input cache
    double best = 1e300, requests = 0, events = 0;
    for (int r = 0; r < reps; ++r) {
      const double t0 = thread_cpu_seconds();
      const RunResult res = run_scenario(sc, run);
      best = std::min(best, thread_cpu_seconds() - t0);
      requests = static_cast<double>(res.summary.n_requests);
      events = static_cast<double>(res.events);
    }
    const auto [mean, peak] = in_flight(out);
    const double ns = 1e9 * best / requests;
    if (base == 0) base = ns;
    std::printf("%-5.0fx %9.0f %8.1f %10.0f %10.0f %9.1f %12.0f %7.2f\n", scale, requests, events / requests, mean,
                peak, 1e3 * best, ns, ns / base);
  }
  fs::remove(out);
  return 0;
}
