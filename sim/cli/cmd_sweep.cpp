/// \file cmd_sweep.cpp
/// `collabsim sweep SCENARIO.toml`: a parameter study in one command (sim/study/sweep.hpp).


#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/cli/progress.hpp"
#include "sim/io/inspect.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/study/sweep.hpp"

namespace collabsim::cli {
namespace {

struct SweepArgs {
  std::string scenario, output, data_dir;
  std::vector<std::string> sets, unsets, grid;
  bool zip = false, keep_requests = false, keep_going = false, restart = false, quiet = false;
  int seeds = 0, threads = 0;
};

/// Threads per process by default: the cores, shared among the MPI ranks on this node.
int default_threads() {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int local = 1;
  if (const char* s = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE")) local = std::max(1, std::atoi(s));
  return std::max(1, cores / local);
}

}  // namespace

Command add_sweep_command(CLI::App& app) {
  auto a = std::make_shared<SweepArgs>();
  auto* s = app.add_subcommand(
      "sweep",
      "run a parameter study: grid or zip of scenario keys × seeds, on threads and MPI ranks, into one HDF5 file "
      "(/sweep/points, /sweep/aggregate); resumes where a stopped sweep left off");
  s->add_option("scenario", a->scenario, "scenario TOML file (its [sweep] table, if any, gives axes and seeds)")->required();
  s->add_option("-o,--output", a->output, "sweep file (default results/<name>-sweep.h5)");
  s->add_option("-j,--threads", a->threads, "worker threads per process (default: cores / MPI ranks on this node)")
      ->check(CLI::Range(1, 4096));
  s->add_option("--set", a->sets, "override a scenario key for every point: section.key=value (repeatable)");
  s->add_option("--unset", a->unsets,
                "remove a scenario key or table for every point, before --set and the axes apply (repeatable)");
  s->add_option("--grid", a->grid,
                "sweep a key: key=v1,v2,... (TOML values or bare words) or key=from:to:step (repeatable; "
                "replaces a [sweep] axis of the same key)");
  s->add_flag("--zip", a->zip, "combine the axes element-wise instead of as a grid");
  s->add_option("--seeds", a->seeds, "repetitions per combination with seeds run.seed, run.seed+1, ...");
  s->add_flag("--keep-requests", a->keep_requests, "store every point's /requests under /sweep/runs/p<N>");
  s->add_flag("--keep-going", a->keep_going, "record invalid or failing points (status 1) and run the rest");
  s->add_flag("--restart", a->restart, "discard the finished points of an earlier, different sweep at -o");
  s->add_option("--data-dir", a->data_dir, "folder of the shared data (default $COLLABSIM_DATA or ../shared/data)");
  s->add_flag("-q,--quiet", a->quiet, "print nothing but errors");
  return {s, [a] {
            auto transport = world_transport();
            const bool root = transport->rank() == 0;
            SweepOptions o;
            o.scenario = a->scenario;
            o.load.overrides = a->sets;
            o.load.unsets = a->unsets;
            if (!a->data_dir.empty()) o.load.data_dir = a->data_dir;
            for (const auto& g : a->grid) o.grid.push_back(parse_grid_argument(g));
            if (a->zip) o.zip = true;
            if (a->seeds != 0) o.seeds = a->seeds;
            o.threads = a->threads > 0 ? a->threads : default_threads();
            o.input_store = input_store_dir();
            o.keep_requests = a->keep_requests;
            o.keep_going = a->keep_going;
            o.restart = a->restart;
            o.transport = transport.get();
            if (a->output.empty()) {
              const Scenario sc = load_sweep_base(o);
              // results/<name>[-<mechanism>]-sweep.h5: the mechanism when --set mechanism.name overrides it (W6)
              const std::string stem =
                  sc.run.output.parent_path() == "results" ? sc.run.output.stem().string() : sc.run.name;
              o.output = std::filesystem::path("results") / (stem + "-sweep.h5");
            } else {
              o.output = a->output;
            }
            ProgressLine line("sweep");
            if (root && stderr_is_terminal())
              o.progress = [&line](const SweepProgress& p) {
                const double rate = p.elapsed_s > 0 ? p.ran / p.elapsed_s : 0;
                const double eta = rate > 0 ? (p.total - p.done) / rate : 0;
                line.show(fmt::format("{}/{} points · {:.1f} points/s · ETA {:.0f} s · {} failed", p.done, p.total,
                                      rate, eta, p.failed),
                          p.done == p.total);
              };
            const SweepReport r = run_sweep(o);
            line.clear();
            if (!root) return r.failed ? kExitBadInput : kExitOk;
            if (!a->quiet) {
              print_sweep_table(o.output, std::cout, /*isolate=*/r.up_to_date);
              if (r.up_to_date)
                fmt::print("{} is up to date ({} points); nothing to run\n", o.output.string(), r.points);
              else
                fmt::print("wrote {}: {} points ({} run now, {} kept from before, {} failed) in {:.2f} s on {} "
                           "thread(s) × {} rank(s)\n",
                           o.output.string(), r.points, r.ran, r.reused, r.failed, r.wall_s, o.threads,
                           transport->size());
            }
            for (const auto& n : r.resume_notes) fmt::print(stderr, "resume: {}\n", n);
            for (const auto& f : r.failures) fmt::print(stderr, "failed: {}\n", f);
            return r.failed ? kExitBadInput : kExitOk;
          }};
}

}  // namespace collabsim::cli
