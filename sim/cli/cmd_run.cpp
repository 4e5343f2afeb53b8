/// \file cmd_run.cpp
/// `collabsim run SCENARIO.toml`: one run, its summary row and the result file.

#include <memory>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/cli/progress.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/calibrate.hpp"
#include "sim/study/input_cache.hpp"
#include "sim/study/point_runner.hpp"
#include "sim/study/run_scenario.hpp"

namespace collabsim::cli {
namespace {

struct RunArgs {
  std::string scenario, output, data_dir;
  std::vector<std::string> sets, unsets;
  bool quiet = false;
  bool no_requests = false;  ///< summary-only: no /requests table
};

/// "phone per-user (one instance per user, 1 generation at a time), cloud shared (2 replicas × 4
/// accelerators)". A per-user device is one instance per user id when it is bound to users
/// (devices.<d>.binding = "user") and the requests carry user ids ([workload.users], or
/// [workload.attributes] users > 0), else one per request (hardware/user_devices.hpp).
std::string describe_devices(const Scenario& sc) {
  std::string out;
  const bool user_ids =
      sc.workload.users.given || (sc.workload.attributes.given && sc.workload.attributes.users > 0);
  for (const auto& d : sc.devices) {
    if (!out.empty()) out += ", ";
    const std::string instance = d.bind_user && user_ids
                                     ? fmt::format("one instance per user, {} generation{} at a time", d.user_concurrency,
                                                   d.user_concurrency == 1 ? "" : "s")
                                     : std::string("one instance per request");
    out += d.per_user ? fmt::format("{} per-user ({})", d.name, instance)
                      : fmt::format("{} shared ({} replica{} × {} accelerator{})", d.name, d.replicas,
                                    d.replicas == 1 ? "" : "s", d.accelerators, d.accelerators == 1 ? "" : "s");
  }
  return out;
}

}  // namespace

void print_summary_header() {
  fmt::print("{:<14} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9} {:>11} {:>10} {:>8}\n", "mechanism", "n", "quality",
             "p50 [s]", "p95 [s]", "p99 [s]", "TTFT50[s]", "USD/1k req", "J/req", "large");
}

void print_summary_row(const std::string& label, const Summary& s) {
  fmt::print("{:<14} {:>7} {:>8.4f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>11.4f} {:>10.1f} {:>8.3f}\n", label,
             s.n_requests, s.quality_mean, s.latency_p50_s, s.latency_p95_s, s.latency_p99_s, s.ttft_p50_s,
             s.cost_per_1k_usd, s.energy_per_request_j, s.large_share);
}

Command add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto* run = app.add_subcommand("run", "run a scenario and write an HDF5 result file");
  run->add_option("scenario", args->scenario, "scenario TOML file")->required();
  run->add_option("-o,--output", args->output,
                  "result file (default results/<name>.h5, results/<name>-<mechanism>.h5 with --set "
                  "mechanism.name=...); an existing file is replaced only if it is an HDF5 result, never an input");
  run->add_option("--set", args->sets,
                  "override a scenario key: section.key=value, e.g. workload.rate_scale=2 or "
                  "mechanism.cascade.thresholds=0.3 (repeatable)");
  run->add_option("--unset", args->unsets,
                  "remove a scenario key or table before the --set overrides apply, e.g. --unset workload.trace "
                  "for a generated workload (repeatable; a key the scenario lacks is an error)");
  run->add_option("--data-dir", args->data_dir, "folder of the shared data (default $COLLABSIM_DATA or ../shared/data)");
  run->add_flag("-q,--quiet", args->quiet, "print only the summary row");
  run->add_flag("--no-requests", args->no_requests,
                "summary only: leave out the per-request /requests table (every other dataset is written; "
                "/summary is the same)");
  return {run, [args] {
            LoadOptions opt;
            opt.overrides = args->sets;
            opt.unsets = args->unsets;
            if (!args->data_dir.empty()) opt.data_dir = args->data_dir;
            if (!args->output.empty()) opt.output = args->output;
            InputCache inputs(input_store_dir());  // parsed inputs kept across runs
            const CalibratedScenario loaded = load_calibrated(args->scenario, opt, in_memory_runner(args->scenario, inputs));
            const Scenario& sc = loaded.scenario;
            const Calibration& cal = loaded.calibration;
            if (cal.active && !args->quiet)
              fmt::print("calibrated {} = {:.6g}: large_share {:.4f} for the target {:.4f} ({} runs)\n", cal.key,
                         cal.value, cal.achieved, cal.target, cal.runs);
            if (!args->quiet) {
              fmt::print("scenario {} · mechanism {} · trace {} · seed {}\n", sc.run.name, sc.mechanism.name,
                         sc.workload.trace.filename().string(), sc.run.seed);
              fmt::print("devices: {}\n", describe_devices(sc));
            }
            RunOptions ro;
            ro.inputs = &inputs;
            ro.write_requests = !args->no_requests;
            ProgressLine line("run");
            if (stderr_is_terminal())
              ro.progress = [&line](const RunProgress& p) {
                line.show(fmt::format("simulated {:.0f} s of {:.0f} s · {}/{} requests arrived", p.sim_s, p.horizon_s,
                                      p.arrived, p.total));
              };
            const RunResult r = run_scenario(sc, ro);
            line.clear();
            print_summary_header();
            print_summary_row(sc.mechanism.name, r.summary);
            if (!args->quiet)
              fmt::print("wrote {} ({} requests{}, {} events, {:.2f} s wall)\n", r.output.string(),
                         r.summary.n_requests, args->no_requests ? ", no /requests table" : "", r.events,
                         r.wall_seconds);
            return kExitOk;
          }};
}

}  // namespace collabsim::cli
