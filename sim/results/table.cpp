#include "sim/results/table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "sim/core/error.hpp"
#include "sim/results/metric_catalog.hpp"

namespace collabsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The value of key column `key` for row `r` of `rs` (aggregate or run), or "".
std::string key_value(const ResultSet& rs, const ResultRow* r, const std::string& key) {
  if (key == "file") return rs.file.filename().string();
  if (key == "scenario") {
    const auto it = rs.attributes.find("scenario_name");
    return it == rs.attributes.end() ? "" : it->second;
  }
  if (r)
    for (std::size_t a = 0; a < rs.axes.size(); ++a)
      if (rs.axes[a] == key || (key == "mechanism" && rs.axes[a] == "mechanism.name")) return r->params[a];
  if (key == "mechanism") {
    const auto it = rs.attributes.find("mechanism");
    return it == rs.attributes.end() ? "" : it->second;
  }
  return "";
}

bool known_key(const ResultSet& rs, const std::string& key) {
  return key == "file" || key == "scenario" || key == "mechanism" ||
         std::find(rs.axes.begin(), rs.axes.end(), key) != rs.axes.end();
}

/// Texts that are numbers sort numerically, before other texts; texts alphabetically.
bool key_less(const std::string& a, const std::string& b) {
  char *ea = nullptr, *eb = nullptr;
  const double x = std::strtod(a.c_str(), &ea), y = std::strtod(b.c_str(), &eb);
  const bool na = !a.empty() && ea && *ea == '\0', nb = !b.empty() && eb && *eb == '\0';
  if (na && nb) return x < y;
  if (na != nb) return na;
  return a < b;
}

std::string csv_text(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string latex_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '_' || c == '%' || c == '&' || c == '#' || c == '$' || c == '{' || c == '}') out += '\\';
    out += c;
  }
  return out;
}

std::string header_of(const std::string& metric, const std::string& unit) {
  return unit.empty() || unit == "1" ? metric : metric + " [" + unit + "]";
}

}  // namespace

TableFormat parse_table_format(const std::string& text) {
  if (text == "csv") return TableFormat::csv;
  if (text == "md" || text == "markdown") return TableFormat::markdown;
  if (text == "latex" || text == "tex") return TableFormat::latex;
  throw InputError(SourcePos{}, "--format", "'" + text + "': use csv, md or latex");
}

std::string mean_pm(double mean, double hw, const std::string& pm) {
  if (std::isnan(mean)) return "−";
  if (std::isnan(hw) || hw <= 0 || !std::isfinite(mean)) return fmt::format("{:.4g}", mean);
  // decimals so that hw shows 2 significant digits (none below the units for hw ≥ 10)
  const int decimals = std::max(0, 1 - static_cast<int>(std::floor(std::log10(hw))));
  return fmt::format("{:.{}f}{}{:.{}f}", mean, decimals, pm, hw, decimals);
}

ResultTable build_table(const std::vector<ResultSet>& files, const std::vector<std::string>& metrics,
                        const std::string& by) {
  if (metrics.empty()) throw InputError(SourcePos{}, "--metrics", "name at least one metric");
  ResultTable t;
  t.metrics = metrics;
  for (const auto& m : metrics) {
    const MetricInfo* info = find_metric(m);
    t.units.push_back(info ? std::string(info->unit) : "");
  }
  // key columns: `by`, the other swept keys of any file, "file" when several files
  t.keys.push_back(by);
  for (const auto& rs : files) {
    if (!known_key(rs, by))
      throw InputError(SourcePos{rs.file}, "--by",
                       "'" + by + "' is neither a swept key of this file nor mechanism, scenario or file");
    for (const auto& a : rs.axes)
      if (a != by && !(by == "mechanism" && a == "mechanism.name") &&
          std::find(t.keys.begin(), t.keys.end(), a) == t.keys.end())
        t.keys.push_back(a);
  }
  if (files.size() > 1 && by != "file") t.keys.push_back("file");
  for (const auto& rs : files) {
    std::vector<int> idx;
    for (const auto& m : metrics) {
      const int i = rs.metric_index(m);
      if (i < 0) throw InputError(SourcePos{rs.file}, "--metrics", "no metric '" + m + "'" + did_you_mean_metric(m));
      idx.push_back(i);
    }
    const bool sweep = rs.kind == ResultKind::sweep && !rs.aggregate.empty();
    const std::vector<ResultRow>& rows = sweep ? rs.aggregate : rs.points;
    for (const auto& r : rows) {
      TableRow row;
      for (const auto& k : t.keys) row.keys.push_back(key_value(rs, &r, k));
      row.n_seeds = sweep ? r.n_seeds : 1;
      for (int i : idx) {
        const auto u = static_cast<std::size_t>(i);
        row.mean.push_back(r.values[u]);
        row.halfwidth.push_back(sweep && u < r.halfwidth.size() ? r.halfwidth[u] : kNaN);
      }
      t.rows.push_back(std::move(row));
    }
  }
  std::stable_sort(t.rows.begin(), t.rows.end(),
                   [](const TableRow& a, const TableRow& b) { return key_less(a.keys[0], b.keys[0]); });
  return t;
}

std::string render_table(const ResultTable& t, TableFormat format) {
  std::string out;
  const bool seeds = std::any_of(t.rows.begin(), t.rows.end(), [](const TableRow& r) { return r.n_seeds > 1; });
  const std::string note = seeds ? "mean ± half-width of the 95% Student-t interval over seeds (n_seeds per row); a percentile "
                                   "(p50/p95/p99) is each seed's percentile over its requests, its interval is over "
                                   "the seeds (not a bootstrap over requests)"
                                 : "single runs: means without an interval";
  if (format == TableFormat::csv) {
    std::vector<std::string> head(t.keys);
    head.push_back("n_seeds");
    for (const auto& m : t.metrics) head.push_back(m + "_mean"), head.push_back(m + "_ci95_hw");
    for (std::size_t i = 0; i < head.size(); ++i) out += (i ? "," : "") + csv_text(head[i]);
    out += "\n";
    for (const auto& r : t.rows) {
      std::string line;
      for (const auto& k : r.keys) line += csv_text(k) + ",";
      line += std::to_string(r.n_seeds);
      for (std::size_t m = 0; m < t.metrics.size(); ++m)
        for (double v : {r.mean[m], r.halfwidth[m]}) line += "," + (std::isnan(v) ? "" : fmt::format("{:.10g}", v));
      out += line + "\n";
    }
    return out;
  }
  const bool md = format == TableFormat::markdown;
  std::vector<std::string> head;
  for (const auto& k : t.keys) head.push_back(md ? k : latex_text(k));
  if (seeds) head.push_back(md ? "seeds" : "seeds");
  for (std::size_t m = 0; m < t.metrics.size(); ++m)
    head.push_back(md ? header_of(t.metrics[m], t.units[m]) : latex_text(header_of(t.metrics[m], t.units[m])));
  std::vector<std::vector<std::string>> body;
  for (const auto& r : t.rows) {
    std::vector<std::string> c;
    for (const auto& k : r.keys) c.push_back(md ? k : latex_text(k));
    if (seeds) c.push_back(std::to_string(r.n_seeds));
    for (std::size_t m = 0; m < t.metrics.size(); ++m)
      c.push_back(md ? mean_pm(r.mean[m], r.halfwidth[m]) : "$" + mean_pm(r.mean[m], r.halfwidth[m], " \\pm ") + "$");
    body.push_back(std::move(c));
  }
  const std::size_t nkeys = t.keys.size();
  if (md) {
    auto line = [](const std::vector<std::string>& cells) {
      std::string s = "|";
      for (const auto& c : cells) s += " " + c + " |";
      return s + "\n";
    };
    out += line(head);
    std::string rule = "|";
    for (std::size_t i = 0; i < head.size(); ++i) rule += i < nkeys ? " --- |" : " ---: |";
    out += rule + "\n";
    for (const auto& c : body) out += line(c);
    out += "\n" + note + "\n";
    return out;
  }
  out += "\\begin{tabular}{" + std::string(nkeys, 'l') + std::string(head.size() - nkeys, 'r') + "}\n\\toprule\n";
  auto row = [](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t i = 0; i < cells.size(); ++i) s += (i ? " & " : "") + cells[i];
    return s + " \\\\\n";
  };
  out += row(head) + "\\midrule\n";
  for (const auto& c : body) out += row(c);
  out += "\\bottomrule\n\\end{tabular}\n% " + note + "\n";
  return out;
}

}  // namespace collabsim
