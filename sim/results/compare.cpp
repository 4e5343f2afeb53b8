#include "sim/config/toml_params.hpp"
#include "sim/results/compare.hpp"


#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "sim/core/error.hpp"
#include "sim/io/h5_reader.hpp"
#include "sim/io/result_file.hpp"

namespace collabsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool strip_prefix(std::string_view& s, std::string_view p) {
  if (s.substr(0, p.size()) != p) return false;
  s.remove_prefix(p.size());
  return true;
}

/// Code points of a UTF-8 string (bytes that do not continue a sequence).
std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Tolerances

double Tolerance::allowance(double base) const { return relative ? value * std::fabs(base) : value; }

std::string Tolerance::str() const {
  if (value == 0) return "0";
  if (relative) return fmt::format("±{:g}%", value * 100);
  return fmt::format("±{:g}", value);
}

Tolerance parse_tolerance(std::string_view text, const std::string& key, const SourcePos& pos) {
  std::string_view s = trim(text);
  const std::string original(s);
  auto bad = [&](const std::string& why) {
    return InputError(pos, key,
                      fmt::format("tolerance '{}' {}: write ±X (absolute, in the metric's unit) or ±X% "
                                  "(relative to the base value), e.g. 0.005 or 3%",
                                  original, why));
  };
  if (!strip_prefix(s, "±") && !strip_prefix(s, "+/-") && !strip_prefix(s, "+-")) strip_prefix(s, "+");
  s = trim(s);
  Tolerance t;
  if (!s.empty() && s.back() == '%') {
    t.relative = true;
    s.remove_suffix(1);
    s = trim(s);
  }
  if (s.empty()) throw bad("has no number");
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) throw bad("is not a number");
  if (!std::isfinite(v)) throw bad("is not finite");
  if (v < 0) throw bad("is negative (a tolerance applies both ways)");
  t.value = t.relative ? v / 100 : v;
  return t;
}

const Tolerance& Tolerances::of(std::string_view metric) const {
  const auto it = per_metric.find(metric);
  return it == per_metric.end() ? fallback : it->second;
}

void Tolerances::add(std::string_view spec) {
  const auto eq = spec.find('=');
  if (eq == std::string_view::npos) {
    const Tolerance t = parse_tolerance(spec, "--tol");
    if (!t.relative && t.value != 0)
      throw InputError(SourcePos{}, "--tol",
                       fmt::format("a tolerance for every metric must be relative ('{}%'): the metrics have "
                                   "different units; write METRIC={} for an absolute one",
                                   trim(spec), trim(spec)));
    fallback = t;
    return;
  }
  const std::string metric(trim(spec.substr(0, eq)));
  if (metric.empty())
    throw InputError(SourcePos{}, "--tol", fmt::format("'{}' names no metric: write METRIC=±X or METRIC=±X%", spec));
  if (!find_metric(metric))
    throw InputError(SourcePos{}, "--tol",
                     fmt::format("unknown metric '{}'{}; the metrics are listed by `collabsim compare --help`",
                                 metric, did_you_mean_metric(metric)));
  per_metric[metric] = parse_tolerance(spec.substr(eq + 1), "--tol " + metric);
}

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::ok: return "ok";
    case Verdict::better: return "better";
    case Verdict::worse: return "WORSE";
    case Verdict::changed: return "changed";
    case Verdict::missing: return "MISSING";
    case Verdict::na: break;
  }
  return "n/a";
}

MetricComparison compare_metric(std::string_view metric, std::string_view unit, Better better, double base,
                                double now, const Tolerance& tol, bool seeds, double hw_base, double hw_new) {
  MetricComparison m;
  m.metric = metric;
  m.unit = unit;
  m.better = better;
  m.base = base;
  m.now = now;
  m.tol = tol;
  m.seeds = seeds;
  const bool nan_base = std::isnan(base), nan_new = std::isnan(now);
  if (nan_base || nan_new) {
    // NaN == NaN (undefined on both sides, e.g. slo_attainment without targets); NaN in NEW
    // only: the value is gone, a failure; NaN in BASE only: shown, not a failure.
    m.verdict = nan_base && nan_new ? Verdict::ok : nan_new ? Verdict::missing : Verdict::na;
    return m;
  }
  if (base == now) {  // also +inf == +inf
    m.delta = 0;
    if (base != 0 && std::isfinite(base)) m.delta_rel = 0;
    m.verdict = Verdict::ok;
    return m;
  }
  m.delta = now - base;
  if (base != 0 && std::isfinite(base)) m.delta_rel = m.delta / std::fabs(base);
  const double size = std::fabs(m.delta);
  bool beyond;
  if (!std::isfinite(base) || !std::isfinite(now)) {
    beyond = true;  // an infinity on one side only: no tolerance covers it
  } else {
    const double eps = kRelativeEpsilon * std::max(std::fabs(base), std::fabs(now));
    beyond = size > tol.allowance(base) && size > eps;
    if (seeds) {
      // The seed rule: a difference inside the combined 95% half-width is seed noise.
      const double hb = std::isnan(hw_base) ? 0 : hw_base, hn = std::isnan(hw_new) ? 0 : hw_new;
      m.ci_halfwidth = std::sqrt(hb * hb + hn * hn);
      beyond = beyond && size > m.ci_halfwidth;
    }
  }
  if (!beyond) {
    m.verdict = Verdict::ok;
  } else if (better == Better::none) {
    m.verdict = Verdict::changed;
  } else {
    const bool worse = better == Better::higher ? m.delta < 0 : m.delta > 0;
    m.verdict = worse ? Verdict::worse : Verdict::better;
  }
  return m;
}

MetricComparison compare_metric(std::string_view metric, double base, double now, const Tolerance& tol) {
  const MetricInfo* info = find_metric(metric);
  return compare_metric(metric, info ? info->unit : "", info ? info->better : Better::none, base, now, tol);
}

// ---------------------------------------------------------------------------------------
// Reading result files

namespace {

/// The swept values of every row of `t` as display text and matching keys.
void read_params(const H5Reader& f, const H5TableInfo& t, const std::vector<std::string>& axes,
                 std::vector<ResultRow>& rows) {
  for (const auto& axis : axes) {
    const H5Field* field = t.field(axis);
    if (!field) f.fail(t.path, "has no field for the swept key '" + axis + "' (named by @sweep_axes)");
    if (field->numeric()) {
      const auto v = f.numbers(t, axis);
      for (std::size_t r = 0; r < rows.size(); ++r) {
        rows[r].params.push_back(fmt::format("{}", v[r]));
        rows[r].keys.push_back(fmt::format("{:.12g}", v[r]));
      }
    } else if (field->cls == H5T_STRING) {
      const auto v = f.strings(t, axis);
      for (std::size_t r = 0; r < rows.size(); ++r) {
        rows[r].params.push_back(v[r]);
        rows[r].keys.push_back(v[r]);
      }
    } else {
      f.fail(t.path, "field '" + axis + "' (a swept key) is neither a number nor text");
    }
  }
}

const std::set<std::string>& bookkeeping_fields() {
  static const std::set<std::string> s{"point", "combo", "seed_index", "seed", "status", "error", "n_seeds"};
  return s;
}

/// Units of `t`'s fields by name (the file's, else empty).
std::map<std::string, std::string> units_by_name(const H5Reader& f, const H5TableInfo& t) {
  std::map<std::string, std::string> out;
  const auto u = f.units(t);
  for (std::size_t i = 0; i < u.size() && i < t.fields.size(); ++i) out[t.fields[i].name] = u[i];
  return out;
}

std::string unit_of(const std::map<std::string, std::string>& units, const std::string& m) {
  const auto it = units.find(m);
  if (it != units.end() && !it->second.empty()) return it->second;
  const MetricInfo* info = find_metric(m);
  return info ? std::string(info->unit) : "";
}

void read_run(const H5Reader& f, ResultSet& rs) {
  const H5TableInfo t = f.table("summary");
  if (t.rows != 1) f.fail("summary", fmt::format("has {} rows, a run has one", t.rows));
  const auto units = units_by_name(f, t);
  ResultRow row;
  for (const auto& field : t.fields) {
    if (!field.numeric()) continue;
    rs.metrics.push_back(field.name);
    row.values.push_back(f.numbers(t, field.name)[0]);
    rs.units.push_back(unit_of(units, field.name));
  }
  rs.points.push_back(std::move(row));
}

void read_sweep(const H5Reader& f, ResultSet& rs) {
  if (!f.exists("sweep/points")) f.fail("sweep/points", "is missing (a sweep file has it)");
  const H5TableInfo pt = f.table("sweep/points");
  if (f.has_attr("sweep_axes")) {
    const std::string joined = f.attr_string("sweep_axes");
    std::size_t start = 0;
    while (start <= joined.size()) {
      const auto nl = joined.find('\n', start);
      const std::string axis(trim(std::string_view(joined).substr(start, nl == std::string::npos ? nl : nl - start)));
      if (!axis.empty()) rs.axes.push_back(axis);
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    for (const auto& axis : rs.axes)
      if (find_metric(axis) || bookkeeping_fields().count(axis))
        f.fail("@sweep_axes", "names '" + axis + "', a metric or bookkeeping field, not a swept key");
  } else {  // older files: text fields and numeric fields that are not metrics are axes
    for (const auto& field : pt.fields)
      if (!bookkeeping_fields().count(field.name) && (!field.numeric() || !find_metric(field.name)))
        rs.axes.push_back(field.name);
  }
  const std::set<std::string> axis_set(rs.axes.begin(), rs.axes.end());
  const auto units = units_by_name(f, pt);
  for (const auto& field : pt.fields)
    if (field.numeric() && !bookkeeping_fields().count(field.name) && !axis_set.count(field.name)) {
      rs.metrics.push_back(field.name);
      rs.units.push_back(unit_of(units, field.name));
    }

  rs.points.resize(pt.rows);
  read_params(f, pt, rs.axes, rs.points);
  if (pt.field("seed_index")) {
    const auto v = f.numbers(pt, "seed_index");
    for (std::size_t r = 0; r < pt.rows; ++r)
      rs.points[r].seed_index = std::isfinite(v[r]) && std::fabs(v[r]) < 9e15 ? static_cast<std::int64_t>(v[r]) : -1;
  }
  if (pt.field("status")) {
    const auto v = f.numbers(pt, "status");
    for (std::size_t r = 0; r < pt.rows; ++r) rs.points[r].ok = v[r] == 0;
  }
  for (const auto& m : rs.metrics) {
    const auto v = f.numbers(pt, m);
    for (std::size_t r = 0; r < pt.rows; ++r) rs.points[r].values.push_back(v[r]);
  }

  if (!f.exists("sweep/aggregate")) return;
  const H5TableInfo at = f.table("sweep/aggregate");
  rs.aggregate.resize(at.rows);
  read_params(f, at, rs.axes, rs.aggregate);
  if (at.field("n_seeds")) {
    const auto v = f.numbers(at, "n_seeds");
    for (std::size_t r = 0; r < at.rows; ++r)
      rs.aggregate[r].n_seeds = std::isfinite(v[r]) && std::fabs(v[r]) < 9e15 ? static_cast<std::int64_t>(v[r]) : 0;
  }
  auto numeric_field = [&](const std::string& name) {
    const H5Field* fl = at.field(name);
    return fl && fl->numeric();
  };
  for (const auto& m : rs.metrics) {
    const std::vector<double> nan(at.rows, kNaN);
    const auto mean = numeric_field(m + "_mean") ? f.numbers(at, m + "_mean") : nan;
    const bool ci = numeric_field(m + "_ci95_lo") && numeric_field(m + "_ci95_hi");
    const auto lo = ci ? f.numbers(at, m + "_ci95_lo") : nan;
    const auto hi = ci ? f.numbers(at, m + "_ci95_hi") : nan;
    for (std::size_t r = 0; r < at.rows; ++r) {
      rs.aggregate[r].values.push_back(mean[r]);
      rs.aggregate[r].halfwidth.push_back((hi[r] - lo[r]) / 2);
    }
  }
}

}  // namespace

int ResultSet::metric_index(std::string_view metric) const {
  const auto it = std::find(metrics.begin(), metrics.end(), metric);
  return it == metrics.end() ? -1 : static_cast<int>(it - metrics.begin());
}

bool ResultSet::has_seeds() const {
  return std::any_of(aggregate.begin(), aggregate.end(), [](const ResultRow& r) { return r.n_seeds > 1; });
}

ResultSet read_result_set(const std::filesystem::path& file, bool isolate) {
  const SourcePos pos{file};
  const H5Reader f(file, isolate);
  ResultSet rs;
  rs.file = file;
  std::string kind;
  if (f.has_attr("file_kind")) {
    kind = f.attr_string("file_kind");
  } else if (f.exists("sweep")) {
    kind = "sweep";
  } else if (f.exists("summary")) {
    kind = "run";
  } else {
    throw InputError(pos, "", "not a collabsim result file (neither /summary nor /sweep)");
  }
  if (f.has_attr("schema_version")) {
    rs.schema_version = f.attr_int("schema_version");
    if (rs.schema_version > kResultSchemaVersion)
      f.fail("@schema_version",
             fmt::format("is {}, newer than this collabsim reads ({}): use the collabsim that wrote it",
                         rs.schema_version, kResultSchemaVersion));
  }
  rs.description = kind;
  for (const auto& [attr, label] : std::vector<std::pair<std::string, std::string>>{
           {"scenario_name", ""}, {"mechanism", "mechanism "}, {"seed", "seed "}, {"git_commit", "commit "}})
    if (const auto v = f.attr_text(attr); v && !v->empty() && v->find('\n') == std::string::npos) {
      rs.description += " · " + label + *v;
      rs.attributes[attr] = *v;
    }
  if (kind == "run") {
    rs.kind = ResultKind::run;
    if (!f.exists("summary")) throw InputError(pos, "", "a run file without /summary");
    read_run(f, rs);
  } else if (kind == "sweep") {
    rs.kind = ResultKind::sweep;
    read_sweep(f, rs);
  } else {
    throw InputError(pos, "file_kind", "is '" + kind + "', expected 'run' or 'sweep'");
  }
  rs.inputs = read_inputs(f);
  return rs;
}

// ---------------------------------------------------------------------------------------
// Comparing results

bool ComparisonReport::regression() const {
  return std::any_of(rows.begin(), rows.end(), [](const ComparisonRow& r) { return fails(r.m.verdict); });
}

std::vector<std::pair<std::string, std::size_t>> ComparisonReport::regressed() const {
  std::vector<std::pair<std::string, std::size_t>> out;
  for (const auto& r : rows) {
    if (!fails(r.m.verdict)) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == r.m.metric; });
    if (it == out.end())
      out.emplace_back(r.m.metric, 1);
    else
      ++it->second;
  }
  return out;
}

namespace {

std::string kind_name(ResultKind k) { return k == ResultKind::run ? "run" : "sweep"; }

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

/// "a=1, b=x" (+ ", seed 0") for a row, axes in `order` (indices into the row's params).
std::string row_label(const std::vector<std::string>& axes, const ResultRow& r, const std::vector<std::size_t>& order,
                      bool with_seed) {
  std::string out;
  for (std::size_t i : order) out += (out.empty() ? "" : ", ") + axes[i] + "=" + r.params[i];
  if (with_seed) out += (out.empty() ? "" : ", ") + fmt::format("seed {}", r.seed_index);
  return out;
}

std::string row_key(const ResultRow& r, const std::vector<std::size_t>& order, bool with_seed) {
  std::string out;
  for (std::size_t i : order) out += r.keys[i] + '\x1f';
  if (with_seed) out += std::to_string(r.seed_index);
  return out;
}

/// Where each of BASE's axes is among NOW's (index into now.axes, in BASE's order).
/// Throws InputError when the two sweeps do not sweep the same keys.
std::vector<std::size_t> axes_in_base_order(const ResultSet& base, const ResultSet& now) {
  std::vector<std::string> axes_b = base.axes, axes_n = now.axes;
  std::sort(axes_b.begin(), axes_b.end());
  std::sort(axes_n.begin(), axes_n.end());
  if (axes_b != axes_n)
    throw InputError(SourcePos{now.file}, "",
                     fmt::format("the sweeps have different axes: {} sweeps [{}], {} sweeps [{}]", base.file.string(),
                                 join(base.axes, ", "), now.file.string(), join(now.axes, ", ")));
  std::vector<std::size_t> order;
  for (const auto& a : base.axes)
    order.push_back(static_cast<std::size_t>(std::find(now.axes.begin(), now.axes.end(), a) - now.axes.begin()));
  return order;
}

/// A metric BASE has and NEW lacks altogether (schema mismatch) is named in a note; its
/// rows come out MISSING (NaN in NEW) unless allowed.
void note_missing_metrics(const ResultSet& base, const ResultSet& now, const Tolerances& tol, ComparisonReport& rep) {
  for (const auto& m : base.metrics)
    if (now.metric_index(m) < 0 && !tol.allow_missing.count(m))
      rep.notes.push_back("metric '" + m + "' is in " + base.file.string() + " but not in " + now.file.string() +
                          " (MISSING; --allow-missing " + m + " to accept)");
}

/// A point (or combination) of BASE that NEW lacks: a note, and a MISSING row unless
/// `--allow-missing points`.
void add_missing_point(const ResultSet& base, const std::string& label, const Tolerances& tol, ComparisonReport& rep) {
  rep.notes.push_back("only in " + base.file.string() + ": " + label);
  if (tol.allow_missing.count("points")) return;
  MetricComparison c;
  c.metric = "point";
  c.verdict = Verdict::missing;
  rep.rows.push_back({label, std::move(c)});
}

/// A point that failed (status) in either file, or fewer ok seeds of a combination.
void add_status_rows(const ResultSet& base, const ResultSet& now, const std::string& label, const ResultRow& b,
                     const ResultRow& n, bool seeds, ComparisonReport& rep) {
  if (!seeds && (!b.ok || !n.ok)) {
    rep.rows.push_back({label, compare_metric("status", "", Better::lower, b.ok ? 0 : 1, n.ok ? 0 : 1, Tolerance{})});
    rep.notes.push_back(fmt::format("point failed in {}: {}",
                                    !b.ok && !n.ok ? std::string("both files")
                                    : !b.ok        ? base.file.string()
                                                   : now.file.string(),
                                    label));
  }
  if (seeds && b.n_seeds != n.n_seeds)
    rep.rows.push_back({label, compare_metric("n_seeds", "seeds", Better::higher, static_cast<double>(b.n_seeds),
                                              static_cast<double>(n.n_seeds), Tolerance{})});
}

/// Indexes `rows` of `set` by point key (axis values in `order`, and the seed when
/// `with_seed`) into `index`. A key names one row: a file that repeats one is damaged, and
/// matching would pair rows arbitrarily (fuzz finding of 2026-12-07: a sweep file
/// "regressed" against itself). Throws InputError naming the file and the repeated point.
void index_points(const ResultSet& set, const std::vector<ResultRow>& rows, const std::vector<std::size_t>& order,
                  bool with_seed, std::unordered_map<std::string, std::size_t>& index) {
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (!index.emplace(row_key(rows[i], order, with_seed), i).second)
      throw InputError(SourcePos{set.file}, with_seed ? "/sweep/points" : "/sweep/aggregate",
                       fmt::format("{} lists the point {} twice", set.file.string(),
                                   row_label(set.axes, rows[i], order, with_seed)));
}

}  // namespace

ComparisonReport compare_results(const ResultSet& base, const ResultSet& now, const Tolerances& tol) {
  if (base.kind != now.kind)
    throw InputError(SourcePos{now.file}, "",
                     fmt::format("cannot compare a {} ({}) with a {} ({}): compare two runs or two sweeps",
                                 kind_name(base.kind), base.file.string(), kind_name(now.kind), now.file.string()));
  ComparisonReport rep;

  // Metrics: BASE's in its order, then those only NEW has.
  std::vector<std::string> metrics = base.metrics;
  for (const auto& m : now.metrics)
    if (base.metric_index(m) < 0) metrics.push_back(m);
  auto unit_of = [&](const std::string& m) {
    if (const int i = base.metric_index(m); i >= 0) return base.units[static_cast<std::size_t>(i)];
    return now.units[static_cast<std::size_t>(now.metric_index(m))];
  };
  auto better_of = [](const std::string& m) {
    const MetricInfo* info = find_metric(m);
    return info ? info->better : Better::none;
  };
  auto compare_rows = [&](const std::string& label, const ResultRow& b, const ResultRow& n, bool seeds) {
    for (const auto& m : metrics) {
      const int ib = base.metric_index(m), in = now.metric_index(m);
      const double vb = ib < 0 ? kNaN : b.values[static_cast<std::size_t>(ib)];
      const double vn = in < 0 ? kNaN : n.values[static_cast<std::size_t>(in)];
      const double hb = seeds && ib >= 0 ? b.halfwidth[static_cast<std::size_t>(ib)] : 0;
      const double hn = seeds && in >= 0 ? n.halfwidth[static_cast<std::size_t>(in)] : 0;
      MetricComparison c = compare_metric(m, unit_of(m), better_of(m), vb, vn, tol.of(m), seeds, hb, hn);
      if (c.verdict == Verdict::missing && tol.allow_missing.count(m)) c.verdict = Verdict::na;
      rep.rows.push_back({label, std::move(c)});
    }
  };
  note_missing_metrics(base, now, tol, rep);

  if (base.kind == ResultKind::run) {
    rep.mode = "runs";
    rep.points = 1;
    compare_rows("", base.points.at(0), now.points.at(0), false);
    return rep;
  }

  // Both rows are keyed in BASE's axis order.
  std::vector<std::size_t> order_b(base.axes.size());
  for (std::size_t i = 0; i < base.axes.size(); ++i) order_b[i] = i;
  const std::vector<std::size_t> order_n = axes_in_base_order(base, now);

  const bool seeds = base.has_seeds() && now.has_seeds();
  rep.mode = seeds ? "sweep aggregates over seeds" : "sweep points";
  const auto& rows_b = seeds ? base.aggregate : base.points;
  const auto& rows_n = seeds ? now.aggregate : now.points;
  std::unordered_map<std::string, std::size_t> index_b, index_n;
  index_points(base, rows_b, order_b, !seeds, index_b);
  index_points(now, rows_n, order_n, !seeds, index_n);
  std::vector<bool> used(rows_n.size(), false);
  for (const auto& b : rows_b) {
    const std::string label = row_label(base.axes, b, order_b, !seeds);
    const auto it = index_n.find(row_key(b, order_b, !seeds));
    if (it == index_n.end()) {
      add_missing_point(base, label, tol, rep);
      continue;
    }
    const ResultRow& n = rows_n[it->second];
    used[it->second] = true;
    ++rep.points;
    add_status_rows(base, now, label, b, n, seeds, rep);
    compare_rows(label, b, n, seeds);
  }
  for (std::size_t i = 0; i < rows_n.size(); ++i)
    if (!used[i]) rep.notes.push_back("only in " + now.file.string() + ": " + row_label(now.axes, rows_n[i], order_n, !seeds));
  if (rep.points == 0)
    throw InputError(SourcePos{now.file}, "",
                     fmt::format("no point of {} matches a point of {} (same axes [{}], different values)",
                                 now.file.string(), base.file.string(), join(base.axes, ", ")));
  return rep;
}

// ---------------------------------------------------------------------------------------
// Printing

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == std::round(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{:.6g}", v);
}

std::string format_delta(double v) {
  if (std::isnan(v)) return "nan";
  if (v == 0) return "0";
  if (std::isinf(v)) return v > 0 ? "+inf" : "-inf";
  return fmt::format("{:+.4g}", v);
}

std::string format_percent(double fraction) {
  if (!std::isfinite(fraction)) return "-";
  return fmt::format("{:+.2f}%", fraction * 100);
}

void print_table(std::ostream& os, const std::vector<std::string>& columns,
                 const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right) {
  std::vector<std::size_t> width(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) width[c] = display_width(columns[c]);
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], display_width(r[c]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::string& cell = c < cells.size() ? cells[c] : std::string();
      const std::string pad(width[c] - display_width(cell), ' ');
      if (c) out += "  ";
      const bool r = c < right.size() && right[c];
      out += r ? pad + cell : (c + 1 == columns.size() ? cell : cell + pad);
    }
    os << out << '\n';
  };
  line(columns);
  for (const auto& r : rows) line(r);
}

void print_report(std::ostream& os, const ComparisonReport& report, bool changes_only) {
  const bool points = std::any_of(report.rows.begin(), report.rows.end(), [](const auto& r) { return !r.point.empty(); });
  const bool seeds = std::any_of(report.rows.begin(), report.rows.end(), [](const auto& r) { return r.m.seeds; });
  std::vector<std::string> cols;
  std::vector<bool> right;
  if (points) cols.push_back("point"), right.push_back(false);
  for (const char* c : {"metric", "unit"}) cols.push_back(c), right.push_back(false);
  for (const char* c : {"base", "new", "delta", "delta%", "tol"}) cols.push_back(c), right.push_back(true);
  if (seeds) cols.push_back("±CI"), right.push_back(true);
  cols.push_back("verdict"), right.push_back(false);
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : report.rows) {
    if (changes_only && r.m.verdict == Verdict::ok) continue;
    std::vector<std::string> cells;
    if (points) cells.push_back(r.point);
    cells.push_back(r.m.metric);
    cells.push_back(r.m.unit);
    cells.push_back(format_number(r.m.base));
    cells.push_back(format_number(r.m.now));
    cells.push_back(format_delta(r.m.delta));
    cells.push_back(format_percent(r.m.delta_rel));
    cells.push_back(r.m.tol.str());
    if (seeds) cells.push_back(r.m.seeds ? fmt::format("{:.4g}", r.m.ci_halfwidth) : "");
    cells.emplace_back(to_string(r.m.verdict));
    rows.push_back(std::move(cells));
  }
  print_table(os, cols, rows, right);
  for (const auto& n : report.notes) os << "note: " << n << '\n';
}

}  // namespace collabsim
