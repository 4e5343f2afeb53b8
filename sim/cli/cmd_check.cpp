/// \file cmd_check.cpp
/// `collabsim check GOLDEN.toml [--update] [-j N] [--data-dir DIR] [--set k=v ...]`: runs
/// the cases of a golden file in parallel and holds their metrics against the recorded
/// values; exit 1 on a regression, `--update` rewrites the values. The golden files
/// themselves are sim/study/golden.hpp.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/cli/progress.hpp"
#include "sim/core/error.hpp"
#include "sim/study/golden.hpp"

namespace collabsim::cli {
namespace {

struct CheckArgs {
  std::string golden, data_dir;
  std::vector<std::string> sets, allow_missing, init, metrics;
  std::string tol = "1%";
  bool update = false;
  int threads = 0;
};

/// What the cases of a golden run found: metrics held, better, worse (named), changed
/// without direction, and the cases that failed to run (their errors).
struct CheckTally {
  std::size_t metrics = 0, better = 0, worse = 0, changed = 0, failed = 0;
  bool bad_input = false;  ///< a failed case failed on bad input
  std::string regressed;   ///< "case/metric, ..." of the worse ones
  std::vector<std::string> errors;
};

CheckTally tally(const GoldenFile& golden, const std::vector<GoldenCaseResult>& results) {
  CheckTally t;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok) {
      ++t.failed;
      t.bad_input = t.bad_input || results[i].bad_input;
      t.errors.push_back(results[i].error);
      continue;
    }
    for (const auto& m : results[i].metrics) {
      ++t.metrics;
      t.better += m.verdict == Verdict::better;
      t.changed += m.verdict == Verdict::changed;
      if (fails(m.verdict)) {  // WORSE or MISSING
        ++t.worse;
        t.regressed += (t.regressed.empty() ? "" : ", ") + golden.cases[i].name + "/" + m.metric;
      }
    }
  }
  return t;
}

/// `collabsim check`: runs the golden file's cases, prints the report, updates the file
/// (--update) or writes a new one (--init) and returns the exit status.
int run_check(const CheckArgs& args) {
  const bool init = !args.init.empty();
  std::string init_text;
  if (init) {
    if (args.update) throw InputError(SourcePos{}, "--init", "--init writes a new golden file: leave out --update");
    if (std::filesystem::exists(args.golden))
      throw InputError(SourcePos{args.golden}, "--init",
                       "the golden file exists and is left as it was: choose a new name, or re-record its values "
                       "with --update");
    std::vector<std::filesystem::path> scenarios(args.init.begin(), args.init.end());
    init_text = init_golden_text(args.golden, scenarios, args.sets,
                                 args.metrics.empty() ? default_golden_metrics() : args.metrics, args.tol);
  } else if (!args.metrics.empty()) {
    throw InputError(SourcePos{}, "--metrics", "--metrics chooses the metrics of a new golden file: use it with --init");
  }
  const GoldenFile golden =
      init ? parse_golden_text(init_text, args.golden, false) : read_golden(args.golden, !args.update);
  GoldenOptions opt;
  opt.threads =
      args.threads > 0 ? args.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (!args.data_dir.empty()) opt.data_dir = args.data_dir;
  if (!init) opt.sets = args.sets;  // --init records them in every case's `set`
  for (const auto& m : args.allow_missing) {
    if (!find_metric(m))
      throw InputError(SourcePos{}, "--allow-missing", "unknown metric '" + m + "'" + did_you_mean_metric(m));
    opt.allow_missing.insert(m);
  }
  ProgressLine line("check");
  if (stderr_is_terminal())
    opt.progress = [&line](std::size_t done, std::size_t total) {
      line.show(fmt::format("{}/{} cases", done, total), done == total);
    };
  const auto t0 = std::chrono::steady_clock::now();
  const auto results = run_golden(golden, opt);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  line.clear();

  fmt::print("check {} ({} case{}, -j {})\n", args.golden, golden.cases.size(),
             golden.cases.size() == 1 ? "" : "s", opt.threads);
  std::cout.flush();
  print_golden_report(std::cout, golden, results);
  std::cout.flush();

  const CheckTally t = tally(golden, results);
  fmt::print("{} metrics in {} cases: {} WORSE or MISSING, {} better, {} changed without direction; {:.1f} s wall\n",
             t.metrics, results.size() - t.failed, t.worse, t.better, t.changed, wall);
  if (t.failed) {
    std::fflush(stdout);
    for (const auto& e : t.errors) fmt::print(stderr, "error: {}\n", e);
    fmt::print(stderr, "{} case{} failed{}\n", t.failed, t.failed == 1 ? "" : "s",
               args.update ? ": the golden file is left as it was" : init ? ": no golden file written" : "");
    return t.bad_input ? kExitBadInput : 1;
  }
  if (init) {
    write_golden_text(args.golden, updated_golden_text(init_text, golden, results), true);
    fmt::print("wrote {}: {} case{}, {} values (check it with: collabsim check {})\n", args.golden,
               golden.cases.size(), golden.cases.size() == 1 ? "" : "s", t.metrics, args.golden);
    return kExitOk;
  }
  if (args.update) {
    const std::size_t n = update_golden(golden, results);
    fmt::print("updated {}: {} values\n", args.golden, n);
    return kExitOk;
  }
  if (t.worse) {
    fmt::print("REGRESSION: {}\n", t.regressed);
    fmt::print("if the change is intended: collabsim check {} --update\n", args.golden);
    return kExitRegression;
  }
  fmt::print("all cases hold{}\n", t.better + t.changed
                                      ? fmt::format(" ({} values to update: collabsim check {} --update)",
                                                    t.better + t.changed, args.golden)
                                      : "");
  return kExitOk;
}

}  // namespace

Command add_check_command(CLI::App& app) {
  auto args = std::make_shared<CheckArgs>();
  auto* cmd = app.add_subcommand("check", "run the cases of a golden file and hold their metrics; exit 1 on a regression");
  cmd->add_option("golden", args->golden, "golden TOML file ([[case]] tables, see below)")->required();
  cmd->add_flag("--update", args->update, "rewrite the recorded values with the new results (keeps names, sets, "
                                          "tolerances, comments and order) and exit 0");
  cmd->add_option("-j,--jobs", args->threads, "cases run at once (default: the number of cores)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--data-dir", args->data_dir, "folder of the shared data (default $COLLABSIM_DATA or ../shared/data)");
  cmd->add_option("--set", args->sets, "override a scenario key in every case, after the case's own `set` (repeatable)");
  cmd->add_option("--allow-missing", args->allow_missing,
                  "accept a NaN value of METRIC (n/a instead of MISSING; repeatable)");
  cmd->add_option("--init", args->init,
                  "write a new golden file GOLDEN from these scenarios' current results: one case per scenario "
                  "(--set goes into each case's `set`); an existing GOLDEN is left as it was")
      ->expected(1, -1);
  cmd->add_option("--metrics", args->metrics,
                  "with --init: the metrics to record (default quality_mean, latency_p99_s, ttft_p50_s, "
                  "cost_per_1k_usd, energy_per_request_j, large_share)")
      ->delimiter(',');
  cmd->add_option("--tol", args->tol,
                  "with --init: every metric's tolerance, X% (relative) or X (absolute, the metric's unit); default 1%");
  cmd->footer(
      "\nStart one from current results: collabsim check new.toml --init scenarios/a.toml scenarios/b.toml\n"
      "  [--set workload.limit=2000] [--metrics quality_mean,latency_p99_s] [--tol 1%]\n\nGolden file:\n"
      "  [[case]]\n"
      "  name = \"cascade\"\n"
      "  scenario = \"../../scenarios/edge_cloud_cascade.toml\"   # relative to the golden file\n"
      "  set = [\"mechanism.name=cascade\"]                        # optional overrides\n"
      "  [case.metrics]\n"
      "  quality_mean = { value = 0.5797, tol = 0.005 }   # absolute tolerance, metric's unit\n"
      "  latency_p99_s = { value = 12.5, tol = \"3%\" }     # relative to the recorded value\n\n"
      "A metric worse than its recorded value beyond the tolerance (in its direction, see\n"
      "`collabsim compare --help`) is a regression; better beyond it is reported as \"better:\n"
      "update the golden\" and does not fail; a metric without direction (large_share) that moved\n"
      "is \"changed\" and does not fail. `value` may be left out before the first --update.\n"
      "A metric that comes out NaN or infinite is MISSING and fails (--allow-missing METRIC to\n"
      "accept it); a recorded value is always finite (NaN in a golden file is refused, and\n"
      "--update refuses to write one).\n\n"
      "Exit status: 0 all cases hold (or --update wrote the file), 1 a regression or a MISSING value, 2 bad input\n"
      "(an unknown key or metric in the golden file, a case whose scenario or overrides fail).");
  return {cmd, [args] { return run_check(*args); }};
}

}  // namespace collabsim::cli
