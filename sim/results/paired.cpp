#include "sim/results/paired.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>

#include "sim/core/error.hpp"

namespace collabsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double t975(double df) { return boost::math::quantile(boost::math::students_t(df), 0.975); }

/// Mean and sample variance of the numbers in `v` (NaN left out); n = how many.
struct Moments {
  int n = 0;
  double mean = kNaN, var = kNaN;
};
Moments moments(const std::vector<double>& v) {
  Moments m;
  double sum = 0;
  for (double x : v)
    if (!std::isnan(x)) sum += x, ++m.n;
  if (m.n == 0) return m;
  m.mean = sum / m.n;
  if (m.n < 2) return m;
  double ss = 0;
  for (double x : v)
    if (!std::isnan(x)) ss += (x - m.mean) * (x - m.mean);
  m.var = ss / (m.n - 1);
  return m;
}

/// A swept value's text for matching: spaces dropped, every number (alone or in a TOML
/// array, "[ 0.55000000000000004 ]") to 12 significant digits, so "[0.55]" matches it.
std::string normalized(const std::string& text) {
  std::string out, item;
  auto flush = [&] {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    out += !item.empty() && end && *end == '\0' ? fmt::format("{:.12g}", v) : item;
    item.clear();
  };
  for (char c : text) {
    if (c == ' ' || c == '\t') continue;
    if (c == '[' || c == ']' || c == ',') {
      flush();
      out += c;
    } else {
      item += c;
    }
  }
  flush();
  return out;
}

/// The swept value `value` as the file's key text for axis column `col` of `rs`, or "".
std::string key_of(const ResultSet& rs, std::size_t col, const std::string& value) {
  for (const auto& p : rs.points)
    if (p.params[col] == value || p.keys[col] == value) return p.keys[col];
  const std::string want = normalized(value);
  for (const auto& p : rs.points)
    if (normalized(p.params[col]) == want || normalized(p.keys[col]) == want) return p.keys[col];
  return "";
}

}  // namespace

DiffInterval paired_interval(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("paired_interval: a and b differ in size");
  std::vector<double> d;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!std::isnan(a[i]) && !std::isnan(b[i])) d.push_back(b[i] - a[i]);
  const Moments m = moments(d);
  DiffInterval r{m.n, m.mean, kNaN, kNaN};
  if (m.n >= 2) {
    const double half = t975(m.n - 1) * std::sqrt(m.var / m.n);
    r.lo = m.mean - half;
    r.hi = m.mean + half;
  }
  return r;
}

DiffInterval welch_interval(const std::vector<double>& a, const std::vector<double>& b) {
  const Moments ma = moments(a), mb = moments(b);
  DiffInterval r{ma.n + mb.n, mb.mean - ma.mean, kNaN, kNaN};
  if (ma.n < 2 || mb.n < 2) return r;
  const double va = ma.var / ma.n, vb = mb.var / mb.n, se2 = va + vb;
  if (se2 == 0) {
    r.lo = r.hi = r.mean;
    return r;
  }
  const double df = se2 * se2 / (va * va / (ma.n - 1) + vb * vb / (mb.n - 1));
  const double half = t975(df) * std::sqrt(se2);
  r.lo = r.mean - half;
  r.hi = r.mean + half;
  return r;
}

Verdict paired_verdict(const DiffInterval& d, Better better) {
  if (std::isnan(d.lo) || std::isnan(d.hi)) return Verdict::missing;
  if (d.lo <= 0 && d.hi >= 0) return Verdict::ok;
  if (better == Better::none) return Verdict::changed;
  const bool up = d.lo > 0;
  return (up == (better == Better::higher)) ? Verdict::better : Verdict::worse;
}

PairGate paired_gate(const std::vector<double>& old_v, const std::vector<double>& new_v, Better better,
                     const Tolerance& margin) {
  PairGate g;
  g.mean_old = moments(old_v).mean;
  g.mean_new = moments(new_v).mean;
  if (old_v.size() != new_v.size()) {
    g.reason = fmt::format("{} old values against {} new ones", old_v.size(), new_v.size());
    return g;
  }
  for (std::size_t i = 0; i < old_v.size(); ++i)
    for (const auto& [side, v] : {std::pair{"old", old_v[i]}, std::pair{"new", new_v[i]}})
      if (!std::isfinite(v)) {
        g.reason = fmt::format("{} in {} (seed pair {})", std::isnan(v) ? "NaN" : "infinite value", side, i);
        return g;
      }
  g.paired = paired_interval(old_v, new_v);
  g.welch = welch_interval(old_v, new_v);
  if (g.paired.n < 2) {
    g.reason = fmt::format("{} seed pair(s): an interval needs 2", g.paired.n);
    return g;
  }
  g.margin = margin.allowance(g.mean_old);
  const double lo = g.paired.lo, hi = g.paired.hi, m = g.margin;
  // A value equal to the bound within rounding noise holds (identical runs give lo = hi = 0).
  const double eps = kRelativeEpsilon * std::max({std::fabs(g.mean_old), std::fabs(g.mean_new), 1e-300});
  const bool low_ok = lo >= -m - eps, high_ok = hi <= m + eps;
  const auto num = [](double v) { return format_delta(v); };
  if (better == Better::higher) {
    g.verdict = low_ok ? Verdict::ok : Verdict::worse;
    g.reason = fmt::format("low end {} {} {}", num(lo), low_ok ? "≥" : "<", num(-m));
  } else if (better == Better::lower) {
    g.verdict = high_ok ? Verdict::ok : Verdict::worse;
    g.reason = fmt::format("high end {} {} {}", num(hi), high_ok ? "≤" : ">", num(m));
  } else {
    g.verdict = low_ok && high_ok ? Verdict::ok : Verdict::worse;
    g.reason = fmt::format("[{}, {}] {} ±{}", num(lo), num(hi), low_ok && high_ok ? "within" : "not within",
                           format_number(m));
  }
  return g;
}

std::vector<PairedRow> paired_comparison(const ResultSet& rs, const std::string& key, const std::string& a,
                                         const std::string& b, const std::vector<std::string>& metrics) {
  const SourcePos pos{rs.file};
  if (rs.kind != ResultKind::sweep)
    throw InputError(pos, "--pair", "a paired comparison needs a sweep file (collabsim sweep ... --seeds N)");
  const auto it = std::find(rs.axes.begin(), rs.axes.end(), key);
  if (it == rs.axes.end()) {
    std::string list;
    for (const auto& x : rs.axes) list += (list.empty() ? "" : ", ") + x;
    throw InputError(pos, "--pair", "'" + key + "' is not a swept key of this sweep (swept: " + list + ")");
  }
  const std::size_t col = static_cast<std::size_t>(it - rs.axes.begin());
  const std::string ka = key_of(rs, col, a), kb = key_of(rs, col, b);
  for (const auto& [given, found] : {std::pair{a, ka}, std::pair{b, kb}})
    if (found.empty()) throw InputError(pos, "--pair", "no point of the sweep has " + key + " = " + given);
  std::vector<int> idx;
  const std::vector<std::string> names = metrics.empty() ? rs.metrics : metrics;
  for (const auto& m : names) {
    const int i = rs.metric_index(m);
    if (i < 0) throw InputError(pos, "--metrics", "no metric '" + m + "' in the file" + did_you_mean_metric(m));
    idx.push_back(i);
  }
  // group (the other axes' keys) → seed_index → (row of A, row of B)
  std::map<std::vector<std::string>, std::map<std::int64_t, std::pair<int, int>>> groups;
  std::map<std::vector<std::string>, std::string> labels;
  std::vector<std::vector<std::string>> order;
  for (std::size_t r = 0; r < rs.points.size(); ++r) {
    const ResultRow& p = rs.points[r];
    if (!p.ok || (p.keys[col] != ka && p.keys[col] != kb)) continue;
    std::vector<std::string> g;
    std::string label;
    for (std::size_t c = 0; c < rs.axes.size(); ++c)
      if (c != col) {
        g.push_back(p.keys[c]);
        label += (label.empty() ? "" : ", ") + rs.axes[c] + "=" + p.params[c];
      }
    if (!groups.count(g)) order.push_back(g), labels[g] = label;
    auto& slot = groups[g].try_emplace(p.seed_index, -1, -1).first->second;
    (p.keys[col] == ka ? slot.first : slot.second) = static_cast<int>(r);
  }
  std::vector<PairedRow> out;
  for (const auto& g : order) {
    std::vector<std::pair<int, int>> pairs;
    for (const auto& [seed, ab] : groups[g])
      if (ab.first >= 0 && ab.second >= 0) pairs.push_back(ab);
    if (pairs.empty()) continue;
    for (std::size_t k = 0; k < idx.size(); ++k) {
      const auto mi = static_cast<std::size_t>(idx[k]);
      std::vector<double> va, vb;
      for (const auto& [ra, rb] : pairs) {
        va.push_back(rs.points[static_cast<std::size_t>(ra)].values[mi]);
        vb.push_back(rs.points[static_cast<std::size_t>(rb)].values[mi]);
      }
      PairedRow row;
      row.group = labels[g];
      row.metric = rs.metrics[mi];
      row.unit = rs.units[mi];
      const MetricInfo* info = find_metric(row.metric);
      row.better = info ? info->better : Better::none;
      row.paired = paired_interval(va, vb);
      row.welch = welch_interval(va, vb);
      row.mean_a = moments(va).mean;
      row.mean_b = moments(vb).mean;
      row.verdict = paired_verdict(row.paired, row.better);
      out.push_back(std::move(row));
    }
  }
  if (out.empty())
    throw InputError(pos, "--pair",
                     fmt::format("no seed has both {}={} and {}={} ok with the other swept values equal", key, a, key, b));
  return out;
}

void print_paired(std::ostream& os, const std::vector<PairedRow>& rows, const std::string& a, const std::string& b) {
  auto interval = [](const DiffInterval& d) {
    return std::isnan(d.lo) ? std::string("n/a") : fmt::format("[{}, {}]", format_number(d.lo), format_number(d.hi));
  };
  std::vector<std::vector<std::string>> cells;
  const bool groups = std::any_of(rows.begin(), rows.end(), [](const PairedRow& r) { return !r.group.empty(); });
  for (const auto& r : rows) {
    std::vector<std::string> c;
    if (groups) c.push_back(r.group);
    const std::string verdict = r.verdict == Verdict::ok        ? "no difference"
                                : r.verdict == Verdict::missing ? "n/a (< 2 pairs)"
                                                                : std::string(to_string(r.verdict));
    c.insert(c.end(), {r.metric, r.unit, format_number(r.mean_a), format_number(r.mean_b),
                       format_delta(r.paired.mean), interval(r.paired), interval(r.welch),
                       std::to_string(r.paired.n), verdict});
    cells.push_back(std::move(c));
  }
  std::vector<std::string> head;
  if (groups) head.push_back("group");
  head.insert(head.end(), {"metric", "unit", a, b, b + " − " + a, "paired 95% CI", "unpaired 95% CI (Welch)", "pairs",
                           "verdict (" + b + " vs " + a + ")"});
  std::vector<bool> right(head.size(), true);
  right[0] = true;
  for (std::size_t i = 0; i < head.size(); ++i) right[i] = !(head[i] == "group" || head[i] == "metric" ||
                                                               head[i] == "unit" || i + 1 == head.size());
  print_table(os, head, cells, right);
}

}  // namespace collabsim
