/// \file cmd_compare.cpp
/// `collabsim compare BASE.h5 NEW.h5 [--tol ...]`: every /summary metric of two runs (or
/// two sweeps, point by point) side by side, with a verdict per metric; exit 1 on a
/// regression. The comparison itself is sim/results/compare.hpp.

#include <cmath>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/core/error.hpp"
#include "sim/io/provenance.hpp"
#include "sim/results/compare.hpp"
#include "sim/results/metric_catalog.hpp"
#include "sim/results/paired.hpp"

namespace collabsim::cli {
namespace {

struct CompareArgs {
  std::string base, now, pair;
  std::vector<std::string> tols, allow_missing, metrics;
  bool only_changes = false;
};

/// `compare SWEEP.h5 --pair KEY=A,B`: B against A paired by seed; exit 1 when B is worse
/// than A beyond the paired interval on a metric with a direction.
int run_paired(const CompareArgs& args) {
  const auto eq = args.pair.find('=');
  const auto comma = args.pair.find(',', eq == std::string::npos ? 0 : eq);
  if (eq == std::string::npos || eq == 0 || comma == std::string::npos || comma == eq + 1 ||
      comma + 1 == args.pair.size() || args.pair.find(',', comma + 1) != std::string::npos)
    throw InputError(SourcePos{}, "--pair", "expected KEY=A,B (e.g. mechanism.name=cascade,router), got '" + args.pair + "'");
  if (!args.now.empty())
    throw InputError(SourcePos{}, "--pair", "a paired comparison reads one sweep file: give only " + args.base);
  const std::string key = args.pair.substr(0, eq), a = args.pair.substr(eq + 1, comma - eq - 1),
                    b = args.pair.substr(comma + 1);
  const ResultSet rs = read_result_set(args.base);
  const auto rows = paired_comparison(rs, key, a, b, args.metrics);
  fmt::print("{}  ({})\npaired by seed (common random numbers): {} = {} (B) against {} (A); B − A with 95% intervals\n"
             "(paired: Student t over the per-seed differences; unpaired: Welch, ignoring the pairing; a percentile\n"
             "metric is each seed's percentile over its requests, so its intervals are over the seeds)\n",
             args.base, rs.description, key, b, a);
  std::cout.flush();
  print_paired(std::cout, rows, a, b);
  std::size_t better = 0, worse = 0, same = 0, narrower = 0, both = 0;
  std::string worse_list;
  for (const auto& r : rows) {
    better += r.verdict == Verdict::better;
    same += r.verdict == Verdict::ok;
    if (r.verdict == Verdict::worse) {
      ++worse;
      worse_list += (worse_list.empty() ? "" : ", ") + r.metric + (r.group.empty() ? "" : " (" + r.group + ")");
    }
    if (std::isfinite(r.paired.halfwidth()) && std::isfinite(r.welch.halfwidth()) && r.welch.halfwidth() > 0) {
      ++both;
      narrower += r.paired.halfwidth() < r.welch.halfwidth();
    }
  }
  fmt::print("{} rows: {} better, {} WORSE, {} no difference; the paired interval is narrower than the unpaired one "
             "in {} of {}\n",
             rows.size(), better, worse, same, narrower, both);
  if (worse == 0) {
    fmt::print("{} is not worse than {} on any metric with a direction (95% paired intervals)\n", b, a);
    return kExitOk;
  }
  fmt::print("REGRESSION: {} is worse than {}: {}\n", b, a, worse_list);
  return kExitRegression;
}

std::string metric_list() {
  std::string out = "Metrics (better direction):\n";
  std::string line = " ";
  for (const auto& m : metric_catalog()) {
    const std::string item = fmt::format(" {} ({}{}{}),", m.name, to_string(m.better), m.unit.empty() ? "" : ", ",
                                         m.unit);
    if (line.size() + item.size() > 92) out += line + "\n", line = " ";
    line += item;
  }
  line.pop_back();
  return out + line + "\n";
}

/// The --help footer: verdicts, tolerances, seeds, pairing, exit status, the metrics.
std::string compare_footer() {
  return
      "\nVerdicts: ok (within tolerance), better, WORSE (a regression), changed (a metric without a\n"
      "direction moved: shown, never a regression), MISSING (NaN or absent in NEW where BASE has a\n"
      "number, or a point of BASE that NEW lacks: a failure like WORSE, unless --allow-missing\n"
      "names it), n/a (NaN in BASE only; NaN on both sides is equal).\n"
      "The default tolerance is 0: any change in the worse direction beyond 1e-12 relative is a\n"
      "regression. ± may be written +- or left out.\n\n"
      "Two sweeps are compared point by point, rows matched by their swept values and seed_index.\n"
      "When both sweeps have seeds (/sweep/aggregate with n_seeds > 1), the per-combination means\n"
      "are compared instead, and a change is a regression only when it is worse beyond the\n"
      "tolerance AND beyond the confidence intervals: |mean_new - mean_base| > sqrt(hw_base^2 +\n"
      "hw_new^2), hw the half-width of each side's 95% Student-t interval over seeds.\n"
      "A point that ran in BASE and failed in NEW is a regression (metric `status`).\n\n"
      "Both files' recorded inputs (/inputs: path and SHA-256) are held against each other: a\n"
      "warning names each input whose content differs.\n\n"
      "Paired by seed (one sweep, --pair KEY=A,B): points that differ only in KEY share their arrivals\n"
      "and questions seed by seed, so the per-seed differences B - A have less noise than the two means\n"
      "apart. Printed: mean A, mean B, B - A, its paired 95% interval (Student t over seeds) beside the\n"
      "unpaired (Welch) one, and a verdict: better / WORSE when the paired interval excludes 0, else\n"
      "\"no difference\". Exit 1 when B is WORSE on a metric with a direction: a gate \"B >= A\".\n\n"
      "Exit status: 0 no regression, 1 a regression or a MISSING value, 2 bad input (missing,\n"
      "damaged or non-HDF5 file, a run compared with a sweep, sweeps with different axes, a bad --tol).\n\n" +
      metric_list();
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  auto* cmd = app.add_subcommand("compare", "compare two result files (runs or sweeps) metric by metric; exit 1 on a regression");
  cmd->add_option("base", args->base, "the reference result file (collabsim run or sweep)")->required();
  cmd->add_option("new", args->now, "the result file to hold against it (not with --pair)");
  cmd->add_option("--pair", args->pair,
                  "KEY=A,B: within ONE sweep file, B against A paired by seed (common random numbers), e.g. "
                  "--pair mechanism.name=cascade,router; per combination of the other swept keys");
  cmd->add_option("--metrics", args->metrics, "with --pair: the metrics to show (default: all)")->delimiter(',');
  cmd->add_option("--tol", args->tols,
                  "tolerance: METRIC=±X (absolute, in the metric's unit), METRIC=±X% (relative to BASE), or ±X% "
                  "(the default for every metric; repeatable)");
  cmd->add_option("--allow-missing", args->allow_missing,
                  "accept NaN or absence of METRIC in NEW (n/a instead of MISSING); `points` accepts points of "
                  "BASE that NEW lacks (repeatable)");
  cmd->add_flag("--only-changes", args->only_changes, "print only the rows whose verdict is not ok");
  cmd->footer(compare_footer());
  return {cmd, [args] {
            if (!args->pair.empty()) return run_paired(*args);
            if (args->now.empty())
              throw InputError(SourcePos{}, "new", "compare needs BASE.h5 NEW.h5 (or one sweep file with --pair)");
            Tolerances tol;
            for (const auto& t : args->tols) tol.add(t);
            for (const auto& m : args->allow_missing) {
              if (m != "points" && !find_metric(m))
                throw InputError(SourcePos{}, "--allow-missing",
                                 fmt::format("unknown metric '{}'{}", m, did_you_mean_metric(m)));
              tol.allow_missing.insert(m);
            }
            const ResultSet base = read_result_set(args->base);
            const ResultSet now = read_result_set(args->now);
            const ComparisonReport rep = compare_results(base, now, tol);
            const char* unit = rep.mode == "runs" ? "" : rep.mode == "sweep points" ? " point" : " combination";
            fmt::print("base  {}  ({})\nnew   {}  ({})\ncomparing {}{}\n", args->base, base.description, args->now,
                       now.description, rep.mode,
                       *unit ? fmt::format(", {}{}{} matched", rep.points, unit, rep.points == 1 ? "" : "s") : "");
            std::cout.flush();
            for (const auto& d : input_differences(base.inputs, now.inputs))
              fmt::print(stderr, "warning: inputs differ: {}\n", d);
            print_report(std::cout, rep, args->only_changes);
            std::size_t better = 0, worse = 0, changed = 0, na = 0, missing = 0;
            for (const auto& r : rep.rows) {
              better += r.m.verdict == Verdict::better;
              worse += r.m.verdict == Verdict::worse;
              missing += r.m.verdict == Verdict::missing;
              changed += r.m.verdict == Verdict::changed;
              na += r.m.verdict == Verdict::na;
            }
            fmt::print("{} comparisons: {} better, {} WORSE, {} MISSING, {} changed without direction, {} n/a\n",
                       rep.rows.size(), better, worse, missing, changed, na);
            if (!rep.regression()) {
              fmt::print("no regression\n");
              return kExitOk;
            }
            std::string list;
            for (const auto& [metric, count] : rep.regressed())
              list += (list.empty() ? "" : ", ") +
                      (*unit ? fmt::format("{} ({} of {}{}s)", metric, count, rep.points, unit) : metric);
            fmt::print("REGRESSION: {}\n", list);
            return kExitRegression;
          }};
}

}  // namespace collabsim::cli
