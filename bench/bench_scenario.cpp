// End-to-end wall time of the default scenario: the whole Azure 2023 conversation trace
// (19,366 requests) through the edge–cloud cascade, HDF5 output included.
// Target (DESIGN.md): < 1 s on this 2-core machine.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "sim/mechanisms/registry.hpp"
#include "sim/study/run_scenario.hpp"
#include "sim/scenario/scenario.hpp"

using namespace collabsim;
namespace fs = std::filesystem;

namespace {

void BM_DefaultScenario(benchmark::State& state, const std::string& mechanism, bool write_requests = true) {
  LoadOptions opt;
  opt.overrides = {"mechanism.name=" + mechanism};
  if (const char* d = std::getenv("COLLABSIM_DATA")) opt.data_dir = d;
  else opt.data_dir = fs::path(COLLABSIM_SOURCE_DIR) / ".." / "shared" / "data";
  const fs::path out = fs::temp_directory_path() / "collabsim_bench_scenario.h5";
  opt.output = out;
  const Scenario sc = load_scenario(fs::path(COLLABSIM_SOURCE_DIR) / "scenarios" / "edge_cloud_cascade.toml", opt);
  double events = 0, requests = 0;
  for (auto _ : state) {
    RunOptions ro;
    ro.write_requests = write_requests;  // false: summary only (collabsim run --no-requests)
    const RunResult r = run_scenario(sc, ro);
    events = static_cast<double>(r.events);
    requests = static_cast<double>(r.summary.n_requests);
  }
  state.counters["requests"] = requests;
  state.counters["events"] = events;
  state.counters["requests_per_s"] = benchmark::Counter(requests, benchmark::Counter::kIsIterationInvariantRate);
  fs::remove(out);
}

}  // namespace

BENCHMARK_CAPTURE(BM_DefaultScenario, cascade, std::string("cascade"))->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_CAPTURE(BM_DefaultScenario, large_only, std::string("large_only"))->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_CAPTURE(BM_DefaultScenario, cascade_summary_only, std::string("cascade"), false)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

BENCHMARK_MAIN();
