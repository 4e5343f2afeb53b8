/// \file cmd_check.cpp
/// `collabsim check GOLDEN.toml [--update] [-j N] [--data-dir DIR] [--set k=v ...]`: runs
/// the cases of a golden file in parallel and holds their metrics against the recorded
/// values, and runs its pairs (paired gates "new >= old" by seed); exit 1 on a regression or
/// a failed pair, `--update` rewrites the values. The golden files themselves are
/// sim/study/golden.hpp.

#include <algorithm>
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

/// What the cases and pairs of a golden run found: metrics held, better, worse (named),
/// changed without direction, pair metrics that failed their gate, and the cases or pairs
/// that failed to run (their errors).
struct CheckTally {
  std::size_t metrics = 0, better = 0, worse = 0, changed = 0, failed = 0;
  std::size_t pair_metrics = 0, pair_fails = 0, pairs_ran = 0;
  bool bad_input = false;  ///< a failed case or pair failed on bad input
  std::string regressed;   ///< "case/metric, ..." of the worse ones and the failed gates
  std::vector<std::string> errors;

  void name(const std::string& who, const std::string& metric) {
    regressed += (regressed.empty() ? "" : ", ") + who + "/" + metric;
  }
  void failure(bool bad, const std::string& error) {
    ++failed;
    bad_input = bad_input || bad;
    errors.push_back(error);
  }
};

CheckTally tally(const GoldenFile& golden, const std::vector<GoldenCaseResult>& results,
                 const std::vector<GoldenPairResult>& pairs) {
  CheckTally t;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok) {
      t.failure(results[i].bad_input, results[i].error);
      continue;
    }
    for (const auto& m : results[i].metrics) {
      ++t.metrics;
      t.better += m.verdict == Verdict::better;
      t.changed += m.verdict == Verdict::changed;
      if (fails(m.verdict)) ++t.worse, t.name(golden.cases[i].name, m.metric);  // WORSE or MISSING
    }
  }
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (!pairs[i].ok) {
      t.failure(pairs[i].bad_input, pairs[i].error);
      continue;
    }
    ++t.pairs_ran;
    for (std::size_t j = 0; j < pairs[i].metrics.size(); ++j) {
      ++t.pair_metrics;
      if (fails(pairs[i].metrics[j].verdict)) ++t.pair_fails, t.name(golden.pairs[i].name, golden.pairs[i].metrics[j].name);
    }
  }
  return t;
}

/// The golden file `check` runs: read from disk, or (--init) a new one from the scenarios
/// with its text in `init_text`.
GoldenFile golden_to_check(const CheckArgs& args, std::string& init_text) {
  const bool init = !args.init.empty();
  if (init) {
    if (args.update) throw InputError(SourcePos{}, "--init", "--init writes a new golden file: leave out --update");
    if (std::filesystem::exists(args.golden))
      throw InputError(SourcePos{args.golden}, "--init",
                       "the golden file exists and is left as it was: choose a new name, or re-record its values "
                       "with --update");
    std::vector<std::filesystem::path> scenarios(args.init.begin(), args.init.end());
    init_text = init_golden_text(args.golden, scenarios, args.sets,
                                 args.metrics.empty() ? default_golden_metrics() : args.metrics, args.tol);
    return parse_golden_text(init_text, args.golden, false);
  }
  if (!args.metrics.empty())
    throw InputError(SourcePos{}, "--metrics", "--metrics chooses the metrics of a new golden file: use it with --init");
  return read_golden(args.golden, !args.update);
}

/// Prints the cases' and pairs' tables and the tally line.
void report(const CheckArgs& args, const GoldenFile& golden, const std::vector<GoldenCaseResult>& results,
            const std::vector<GoldenPairResult>& pairs, const CheckTally& t, int threads, double wall) {
  const std::size_t np = golden.pairs.size();
  fmt::print("check {} ({} case{}{}, -j {})\n", args.golden, golden.cases.size(), golden.cases.size() == 1 ? "" : "s",
             np ? fmt::format(", {} pair{}", np, np == 1 ? "" : "s") : "", threads);
  std::cout.flush();
  if (!golden.cases.empty()) print_golden_report(std::cout, golden, results);
  std::cout.flush();
  if (!pairs.empty()) {
    fmt::print("{}paired gates: each seed runs both sides; the 95% interval of new − old over the seeds must stay "
               "within the margin on the worse side\n",
               golden.cases.empty() ? "" : "\n");
    std::cout.flush();
    print_pair_report(std::cout, golden, pairs);
    std::cout.flush();
  } else if (np) {
    fmt::print("{} pair{} not run: a [[pair]] records no values ({} leaves it alone)\n", np, np == 1 ? "" : "s",
               args.update ? "--update" : "--init");
  }
  std::string line;
  if (!golden.cases.empty())
    line = fmt::format("{} metrics in {} cases: {} WORSE or MISSING, {} better, {} changed without direction",
                       t.metrics, std::count_if(results.begin(), results.end(), [](const auto& r) { return r.ok; }),
                       t.worse, t.better, t.changed);
  if (!pairs.empty())
    line += fmt::format("{}{} paired metrics in {} pairs: {} FAIL or MISSING", line.empty() ? "" : "; ", t.pair_metrics,
                        t.pairs_ran, t.pair_fails);
  fmt::print("{}; {:.1f} s wall\n", line.empty() ? "nothing run" : line, wall);
}

/// `collabsim check`: runs the golden file's cases and pairs, prints the report, updates
/// the file (--update) or writes a new one (--init) and returns the exit status.
int run_check(const CheckArgs& args) {
  const bool init = !args.init.empty();
  std::string init_text;
  const GoldenFile golden = golden_to_check(args, init_text);
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
  std::string unit = "cases";
  if (stderr_is_terminal())
    opt.progress = [&line, &unit](std::size_t done, std::size_t total) {
      line.show(fmt::format("{}/{} {}", done, total, unit), done == total);
    };
  const auto t0 = std::chrono::steady_clock::now();
  const auto results = run_golden(golden, opt);
  unit = "pair runs";  // pairs hold no recorded values: --update and --init leave them alone
  const auto pairs = golden.pairs.empty() || args.update || init ? std::vector<GoldenPairResult>{}
                                                                  : run_golden_pairs(golden, opt);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  line.clear();

  const CheckTally t = tally(golden, results, pairs);
  report(args, golden, results, pairs, t, opt.threads, wall);
  if (t.failed) {
    std::fflush(stdout);
    for (const auto& e : t.errors) fmt::print(stderr, "error: {}\n", e);
    fmt::print(stderr, "{} case{} or pair{} failed{}\n", t.failed, t.failed == 1 ? "" : "s", t.failed == 1 ? "" : "s",
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
    if (golden.cases.empty()) {
      fmt::print("nothing to update: {} holds no [[case]]; the file is left as it was\n", args.golden);
      return kExitOk;
    }
    const std::size_t n = update_golden(golden, results);
    fmt::print("updated {}: {} values\n", args.golden, n);
    return kExitOk;
  }
  if (t.worse + t.pair_fails) {
    fmt::print("REGRESSION: {}\n", t.regressed);
    if (t.worse) fmt::print("if the change is intended: collabsim check {} --update\n", args.golden);
    if (t.pair_fails)
      fmt::print("a failed pair is not re-recorded: the new policy did not show it is at worst the margin behind the "
                 "old (more seeds narrow the interval)\n");
    return kExitRegression;
  }
  fmt::print("all {} hold{}\n",
             pairs.empty() ? "cases" : golden.cases.empty() ? "pairs" : "cases and pairs",
             t.better + t.changed
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
      "A [[pair]] is a paired gate \"new policy >= old policy\" (no recorded values):\n"
      "  [[pair]]\n"
      "  name = \"router-vs-cascade\"\n"
      "  scenario = \"../../scenarios/edge_cloud_cascade.toml\"\n"
      "  set = [\"workload.limit=2000\"]          # both sides (optional)\n"
      "  old = [\"mechanism.name=cascade\"]       # the baseline's overrides (may be empty)\n"
      "  new = [\"mechanism.name=router\"]        # the candidate's\n"
      "  seeds = 5                              # seed pairs: run.seed + 0..4 on both sides\n"
      "  [pair.metrics]\n"
      "  quality_mean = { margin = 0.005 }      # new at most 0.005 below old\n"
      "  latency_p99_s = { margin = \"2%\" }      # new at most 2% of old's mean above old\n"
      "  energy_per_request_j = {}              # margin 0: new <= old outright\n"
      "It holds when the paired 95% interval of new − old over the seeds stays within the margin on\n"
      "the worse side (for a metric without direction, inside ±margin); a NaN of any seed, a metric\n"
      "the run does not write or a failed run fails it. --update and --init leave pairs alone.\n"
      "\n"
      "Exit status: 0 all cases and pairs hold (or --update wrote the file), 1 a regression, a failed pair or a\n"
      "MISSING value, 2 bad input\n"
      "(an unknown key or metric in the golden file, a case whose scenario or overrides fail).");
  return {cmd, [args] { return run_check(*args); }};
}

}  // namespace collabsim::cli
