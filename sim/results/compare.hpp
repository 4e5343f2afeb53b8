#pragma once
/// \file compare.hpp
/// The comparison behind `collabsim compare` and `collabsim check`: metric values held
/// against a base with tolerances and each metric's better direction, and result files
/// (runs and sweeps) read by field name and matched point by point. No CLI here.
///
/// Verdict of one metric (compare_metric); the gate fails closed:
///  - NaN in NEW where BASE has a number is "MISSING", a failure like "WORSE" (a metric that
///    stopped being computed is not a pass); NaN on both sides is equal (ok: the metric is
///    undefined in both, e.g. slo_attainment without SLO targets); NaN in BASE only is "n/a"
///    (shown, not a failure).
///  - In compare_results, a metric BASE has and NEW lacks, and a point (or combination) of
///    BASE that NEW lacks, are MISSING too, unless named by Tolerances::allow_missing
///    (`--allow-missing METRIC`, `--allow-missing points`).
///  - |new − base| within the tolerance (absolute X in the metric's unit, or X% of |base|),
///    or within 1e-12 relative of the larger magnitude, is "ok".
///  - With seeds (sweep aggregates over n_seeds > 1), a change must also exceed the
///    combined 95% half-width: |mean_new − mean_base| > sqrt(hw_base² + hw_new²), where hw
///    is the half-width of each side's Student-t interval over seeds. Inside it the
///    difference is indistinguishable from seed noise, so it is "ok".
///  - Beyond both: "WORSE" or "better" by the metric's direction (metric_catalog.hpp);
///    "changed" for a metric without direction (shown, never a regression).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/io/provenance.hpp"
#include "sim/results/metric_catalog.hpp"

namespace collabsim {

/// Relative change below which two values are the same number (rounding in sums).
inline constexpr double kRelativeEpsilon = 1e-12;

/// How far a value may move before it counts as a change.
struct Tolerance {
  double value = 0;       ///< absolute (the metric's unit), or a fraction of |base| when `relative`
  bool relative = false;  ///< X% given: value = X / 100

  /// The allowed |new − base| for `base`: value, or value·|base| when relative (≥ 0).
  double allowance(double base) const;
  /// "±0.002", "±0.5%", or "0" for no tolerance.
  std::string str() const;
};

/// Parses a tolerance: "±X", "+-X", "+/-X" or "X" (absolute, in the metric's unit), each
/// with an optional trailing '%' (relative to |base|). X is a finite number ≥ 0. Throws
/// InputError (key `key`, position `pos`) for anything else.
Tolerance parse_tolerance(std::string_view text, const std::string& key = "--tol", const SourcePos& pos = {});

/// Per-metric tolerances and the default for the other metrics.
struct Tolerances {
  /// For metrics without their own: 0 by default, i.e. any change in the worse direction
  /// beyond kRelativeEpsilon is a regression.
  Tolerance fallback;
  std::map<std::string, Tolerance, std::less<>> per_metric;
  /// Metrics whose NaN or absence in NEW is accepted ("n/a" instead of MISSING); the name
  /// "points" accepts points of BASE that NEW lacks (`--allow-missing`).
  std::set<std::string, std::less<>> allow_missing;

  /// The tolerance of `metric`.
  const Tolerance& of(std::string_view metric) const;
  /// Adds one --tol value: "METRIC=±X", "METRIC=±X%" or a bare "±X%" / "X%" (the default
  /// for every metric). Throws InputError: an unknown metric (with did-you-mean), a
  /// malformed tolerance, or a bare absolute default (metrics have different units).
  void add(std::string_view spec);
};

/// Outcome for one metric.
enum class Verdict { ok, better, worse, changed, na, missing };

/// "ok", "better", "WORSE", "changed", "n/a", "MISSING".
std::string_view to_string(Verdict v);

/// True for the verdicts that fail a gate: WORSE and MISSING.
inline bool fails(Verdict v) { return v == Verdict::worse || v == Verdict::missing; }

/// One metric held against its base.
struct MetricComparison {
  std::string metric;
  std::string unit;
  Better better = Better::none;
  double base = std::numeric_limits<double>::quiet_NaN();
  double now = std::numeric_limits<double>::quiet_NaN();
  double delta = std::numeric_limits<double>::quiet_NaN();      ///< now − base (NaN if either is)
  double delta_rel = std::numeric_limits<double>::quiet_NaN();  ///< delta / |base| (NaN if base is 0)
  Tolerance tol;
  double ci_halfwidth = 0;  ///< sqrt(hw_base² + hw_new²) when the seed rule applied, else 0
  bool seeds = false;       ///< the seed (confidence-interval) rule applied
  Verdict verdict = Verdict::na;
};

/// Compares `now` with `base` for a metric that improves in direction `better`, with
/// tolerance `tol` (the rules at the top of this file). `hw_base`/`hw_new`: half-widths of
/// the 95% intervals over seeds, in the metric's unit; pass `seeds` true to apply the
/// confidence-interval rule (NaN half-widths count as 0). Never throws.
MetricComparison compare_metric(std::string_view metric, std::string_view unit, Better better, double base,
                                double now, const Tolerance& tol, bool seeds = false, double hw_base = 0,
                                double hw_new = 0);

/// As above with direction and unit from the catalog (unknown metrics: no direction).
MetricComparison compare_metric(std::string_view metric, double base, double now, const Tolerance& tol);

// ---------------------------------------------------------------------------------------
// Result files

/// What a result file holds.
enum class ResultKind { run, sweep };

/// One row of a result: a run's summary, a sweep point, or a sweep combination.
struct ResultRow {
  std::vector<std::string> params;  ///< swept values as text, parallel to ResultSet::axes
  std::vector<std::string> keys;    ///< the same for matching (numbers to 12 significant digits)
  std::int64_t seed_index = 0;      ///< sweep points
  std::int64_t n_seeds = 1;         ///< sweep aggregate: seeds that ran ok
  bool ok = true;                   ///< sweep points: status 0
  std::vector<double> values;       ///< parallel to ResultSet::metrics (aggregate: the mean)
  std::vector<double> halfwidth;    ///< aggregate: half-width of each metric's 95% interval
};

/// A run or sweep file read by field names.
struct ResultSet {
  std::filesystem::path file;
  ResultKind kind = ResultKind::run;
  std::vector<std::string> axes;     ///< swept key paths in file order (sweeps)
  std::vector<std::string> metrics;  ///< metric fields in file order
  std::vector<std::string> units;    ///< parallel to metrics (from the file, else the catalog)
  std::vector<ResultRow> points;     ///< run: one row; sweep: /sweep/points in file order
  std::vector<ResultRow> aggregate;  ///< sweep: /sweep/aggregate rows (empty if absent)
  /// "run · edge_cloud_cascade · mechanism cascade · seed 2026 · commit abc123" from the
  /// root attributes that are present (for the header of a comparison).
  std::string description;
  /// The root attributes scenario_name, mechanism, seed, git_commit that are present.
  std::map<std::string, std::string, std::less<>> attributes;
  std::int64_t schema_version = 0;   ///< root attribute schema_version (0 when absent)
  std::vector<InputRecord> inputs;   ///< /inputs (schema ≥ 5; empty before)

  /// Index of `metric` in `metrics`, or -1.
  int metric_index(std::string_view metric) const;
  /// True when /sweep/aggregate exists and some combination has n_seeds > 1.
  bool has_seeds() const;
};

/// Reads a `collabsim run` or `collabsim sweep` file. The root attribute `file_kind` says
/// which ("run" or "sweep"); files without it are runs when they have /summary and no
/// /sweep. Every read is checked (h5_reader.hpp; `isolate`: probe in a child process
/// first). Throws InputError naming the file and object for a missing file, a file that is
/// not HDF5, a damaged one, a table or attribute of another shape or type, a schema_version
/// newer than this build's, or one that is not a collabsim result.
ResultSet read_result_set(const std::filesystem::path& file, bool isolate = true);

/// One line of a comparison table.
struct ComparisonRow {
  std::string point;  ///< "key=value, …, seed 0" for sweeps, "" for runs
  MetricComparison m;
};

/// All the comparisons between two results.
struct ComparisonReport {
  std::string mode;                  ///< "runs", "sweep points" or "sweep aggregates over seeds"
  std::vector<ComparisonRow> rows;   ///< in BASE's point order, metrics in file order
  std::vector<std::string> notes;    ///< points only in one file, failed points
  std::size_t points = 0;            ///< points (or combinations) matched

  /// True when some row fails (WORSE or MISSING).
  bool regression() const;
  /// The failing metrics in first-seen order, each with the number of points where it was.
  std::vector<std::pair<std::string, std::size_t>> regressed() const;
};

/// Compares NEW against BASE: two runs metric by metric, or two sweeps point by point,
/// rows matched by their swept values and seed_index. When both sweeps have seeds
/// (ResultSet::has_seeds), the /sweep/aggregate means are compared per combination with
/// the confidence-interval rule. A point that ran ok in BASE and failed in NEW is a WORSE
/// `status` row; with seeds, fewer ok seeds is a WORSE `n_seeds` row. Throws InputError:
/// a run compared with a sweep, sweeps with different axes, or no point in common.
ComparisonReport compare_results(const ResultSet& base, const ResultSet& now, const Tolerances& tol);

/// A number for tables: "nan", "inf", integers without decimals, else 6 significant digits.
std::string format_number(double v);
/// A signed difference for tables ("+0.0123", "-4", "nan").
std::string format_delta(double v);
/// A signed percentage ("+1.23%"), "-" when undefined.
std::string format_percent(double fraction);

/// Prints `rows` as an aligned text table: the header `columns`, then each row; columns
/// whose `right[i]` is true are right-aligned (numbers). Widths count UTF-8 code points.
void print_table(std::ostream& os, const std::vector<std::string>& columns,
                 const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right = {});

/// Prints the report as a table (point, metric, unit, base, new, delta, delta%, tol,
/// [±CI,] verdict) and its notes; `changes_only` leaves out the "ok" rows.
void print_report(std::ostream& os, const ComparisonReport& report, bool changes_only = false);

}  // namespace collabsim
