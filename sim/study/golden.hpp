#pragma once
/// \file golden.hpp
/// Golden files for `collabsim check`: recorded metric values of scenarios (with
/// overrides) and their tolerances, run in parallel and held against the new results.
///
///   # Values written by `collabsim check tests/golden/x.toml --update`.
///   [[case]]
///   name = "cascade"                                  # unique in the file
///   scenario = "../../scenarios/edge_cloud_cascade.toml"  # relative to this file
///   set = ["workload.limit=2000"]                     # optional --set overrides
///   [case.metrics]
///   quality_mean = { value = 0.5797, tol = 0.005 }    # absolute, in the metric's unit
///   latency_p99_s = { value = 12.5, tol = "3%" }      # relative to the recorded value
///
/// A metric is a regression when the new value is worse than the recorded one beyond the
/// tolerance, in the metric's direction (metric_catalog.hpp), or when it is NaN or infinite
/// (MISSING: the gate fails closed; recorded values are always finite); better beyond it is reported
/// so the golden can be updated, and does not fail. `tol` may be left out (0: exact to
/// 1e-12 relative); `value` may be left out before the first `--update`.
///
/// A [[pair]] is a paired gate "new policy ≥ old policy" with no recorded values: the
/// scenario runs `seeds` times with each side's overrides, seed k on both sides (run.seed
/// + k: common random numbers, as `sweep --seeds`), and each metric's seed-paired
/// difference new − old and its 95% interval decide (paired_gate in results/paired.hpp):
///
///   [[pair]]
///   name = "router-vs-cascade"                      # unique among cases and pairs
///   scenario = "../../scenarios/edge_cloud_cascade.toml"
///   set = ["workload.limit=2000"]                   # optional, both sides
///   old = ["mechanism.name=cascade"]                # the baseline's overrides (may be empty)
///   new = ["mechanism.name=router"]                 # the candidate's (required)
///   seeds = 5                                       # seed pairs, 2 ≤ seeds ≤ 1000
///   [pair.metrics]
///   quality_mean = { margin = 0.005 }               # new may be at most 0.005 below old
///   latency_p99_s = { margin = "2%" }               # … at most 2% of old's mean above it
///   energy_per_request_j = {}                       # margin 0: new ≤ old outright
///
/// A pair fails (exit 1) when a metric's interval reaches beyond its margin on the worse
/// side, and fails closed (MISSING) on a NaN or infinite value of any seed on either side
/// or a metric the run does not write. `--update` and `--init` leave pairs alone.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <ostream>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/results/compare.hpp"
#include "sim/results/paired.hpp"

namespace collabsim {

/// One metric a case holds.
struct GoldenMetric {
  std::string name;             ///< a /summary metric (metric_catalog)
  std::optional<double> value;  ///< the recorded value; absent until the first --update
  Tolerance tol;
  SourcePos pos;                ///< the metric's entry in the golden file
  // Where --update writes (1-based line, code-point columns as toml++ counts them):
  std::size_t value_line = 0, value_begin = 0, value_end = 0;  ///< the value's text [begin, end)
  std::size_t table_line = 0, table_column = 0;                ///< the entry's table ('{' if inline)
  bool inline_table = true;
};

/// One [[case]] of a golden file.
struct GoldenCase {
  std::string name;
  std::filesystem::path scenario;  ///< resolved against the golden file's folder
  std::vector<std::string> sets;   ///< "key=value" overrides, as `run --set`
  std::vector<GoldenMetric> metrics;
  SourcePos pos;                   ///< the case's `name`
};

/// One metric of a [[pair]]: how far new may fall behind old.
struct GoldenPairMetric {
  std::string name;  ///< a /summary metric (metric_catalog)
  Tolerance margin;  ///< absolute in the metric's unit, or relative to |mean old| ("2%"); 0 by default
  SourcePos pos;     ///< the metric's entry in the golden file
};

/// One [[pair]] of a golden file: the paired gate "new ≥ old" (see the file comment).
struct GoldenPair {
  std::string name;
  std::filesystem::path scenario;      ///< resolved against the golden file's folder
  std::vector<std::string> sets;       ///< overrides of both sides, as `run --set`
  std::vector<std::string> old_sets;   ///< the baseline's overrides, after `sets`
  std::vector<std::string> new_sets;   ///< the candidate's overrides, after `sets` (not empty)
  int seeds = 0;                       ///< seed pairs (≥ 2)
  std::vector<GoldenPairMetric> metrics;
  SourcePos pos;                       ///< the pair's `name`
};

struct GoldenFile {
  std::filesystem::path path;
  std::vector<GoldenCase> cases;
  std::vector<GoldenPair> pairs;
};

/// Reads and validates a golden file. Throws InputError (file, line, column, key): TOML
/// syntax, an unknown key (with did-you-mean), an unknown metric, a bad tolerance or
/// margin, a duplicate case or pair name, a missing scenario file, a recorded value that is
/// NaN or infinite, a pair without `new` overrides, with `seeds` outside [2, 1000] or with
/// `old` equal to `new`, a file with neither [[case]] nor [[pair]], and — when
/// `require_values` — a case metric without a recorded value (run `check --update` first).
GoldenFile read_golden(const std::filesystem::path& file, bool require_values = true);

/// How run_golden runs the cases.
struct GoldenOptions {
  int threads = 1;                                ///< worker threads (≥ 1)
  std::optional<std::filesystem::path> data_dir;  ///< --data-dir for every case
  std::vector<std::string> sets;                  ///< overrides applied to every case after its own
  std::set<std::string, std::less<>> allow_missing;  ///< metrics whose NaN is "n/a", not MISSING (--allow-missing)
  std::function<void(std::size_t done, std::size_t total)> progress;  ///< after each case (may be null)
};

/// What one case produced.
struct GoldenCaseResult {
  bool ok = false;
  bool bad_input = false;  ///< the case's scenario or overrides are bad input (else an internal error)
  std::string error;       ///< "GOLDEN:LINE:COL: case 'NAME': ..." when not ok
  std::vector<MetricComparison> metrics;  ///< parallel to GoldenCase::metrics (base = recorded value)
  std::vector<double> got;                ///< the new value of each metric
  double wall_s = 0;                      ///< host seconds
};

/// Runs every case (in parallel on `options.threads`, one InputCache shared, so each trace
/// and quality table is read once) and compares each metric with its recorded value.
/// Results are in case order whatever the thread count. Never throws for a case that
/// fails: its result says why.
std::vector<GoldenCaseResult> run_golden(const GoldenFile& golden, const GoldenOptions& options);

/// What one [[pair]] produced.
struct GoldenPairResult {
  bool ok = false;          ///< every run of both sides ran
  bool bad_input = false;   ///< a failed run failed on bad input
  std::string error;        ///< "GOLDEN:LINE:COL: pair 'NAME' (new, seed 2026): ..." when not ok
  std::vector<PairGate> metrics;  ///< parallel to GoldenPair::metrics
  std::vector<std::uint64_t> seeds;  ///< run.seed of each pair of runs
  double wall_s = 0;        ///< host seconds over all its runs
};

/// Runs every pair's 2 × seeds points (in parallel on `options.threads`, one InputCache
/// shared; `options.sets` after each side's own overrides) and applies the gate to each
/// metric. A metric /summary lacks counts as NaN (MISSING); with `options.allow_missing`
/// a metric NaN in every run of both sides is n/a. Results are in pair order whatever the
/// thread count; `options.progress` counts runs. Never throws for a pair that fails.
std::vector<GoldenPairResult> run_golden_pairs(const GoldenFile& golden, const GoldenOptions& options);

/// Prints the pairs' table (pair, metric, unit, mean old, mean new, new − old, paired 95%
/// interval, unpaired (Welch) 95% interval, margin, pairs, verdict with its reason).
void print_pair_report(std::ostream& os, const GoldenFile& golden, const std::vector<GoldenPairResult>& results);

/// Prints the table (case, metric, unit, golden, got, delta, delta%, tol, verdict) of the
/// cases that ran; "better" reads "better: update the golden".
void print_golden_report(std::ostream& os, const GoldenFile& golden, const std::vector<GoldenCaseResult>& results);

/// `original` (the golden file's text) with every recorded value replaced by the new one
/// (inserted where missing); names, sets, tolerances, comments and order are kept. A
/// header comment saying the values are written by `check --update` is added when the
/// text has none. A metric given with dotted keys (`quality_mean.tol = 0.005`) gets a
/// dotted `quality_mean.value = X`. Throws InputError (nothing written) when a new value is
/// NaN or infinite, std::runtime_error if a case did not run or the edited text does not
/// read back with the new values.
std::string updated_golden_text(const std::string& original, const GoldenFile& golden,
                                const std::vector<GoldenCaseResult>& results);

/// Rewrites the golden file with updated_golden_text (temporary file, then rename).
/// Returns the number of values written. Throws as updated_golden_text, or
/// std::runtime_error if the file cannot be written.
std::size_t update_golden(const GoldenFile& golden, const std::vector<GoldenCaseResult>& results);

/// Reads a golden file from `text` as if it were the file `file` (paths in it resolve
/// against `file`'s folder). Throws as read_golden.
GoldenFile parse_golden_text(const std::string& text, const std::filesystem::path& file, bool require_values);

/// The metrics `check --init` records by default: quality_mean, latency_p99_s, ttft_p50_s,
/// cost_per_1k_usd, energy_per_request_j, large_share.
std::vector<std::string> default_golden_metrics();

/// The text of a new golden file at `golden` without values (`check --init`): one [[case]]
/// per scenario, named by the scenario's file stem ("-2", "-3" for repeats), its path
/// relative to the golden file's folder, `sets` as every case's `set`, and each of
/// `metrics` with tolerance `tol` (as --tol: "0.5%" relative or "0.002" absolute). Throws
/// InputError (key --metrics / --tol) for an unknown metric or a malformed tolerance.
std::string init_golden_text(const std::filesystem::path& golden, const std::vector<std::filesystem::path>& scenarios,
                             const std::vector<std::string>& sets, const std::vector<std::string>& metrics,
                             const std::string& tol);

/// Writes `text` to `file` through a temporary file and a rename; when `must_be_new`, an
/// existing `file` is an InputError (nothing is overwritten). Throws std::runtime_error
/// when the file cannot be written.
void write_golden_text(const std::filesystem::path& file, const std::string& text, bool must_be_new);

/// A value as golden-file TOML: shortest text that reads back to the same double
/// ("0.5797", "19366", "nan", "inf").
std::string golden_value_text(double v);

}  // namespace collabsim
