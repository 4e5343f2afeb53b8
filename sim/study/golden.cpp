#include "sim/study/golden.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "sim/core/input_file.hpp"
#include "sim/core/strings.hpp"
#include "sim/study/input_cache.hpp"
#include "sim/study/parallel.hpp"
#include "sim/study/point_runner.hpp"

namespace collabsim {
namespace {

SourcePos at(const std::filesystem::path& file, const toml::source_region& r) {
  return SourcePos{file, static_cast<std::size_t>(r.begin.line), static_cast<std::size_t>(r.begin.column)};
}

/// Throws for a key of `table` not in `known`, with the closest known key.
void check_keys(const std::filesystem::path& file, const toml::table& table, const std::vector<std::string>& known,
                const std::string& prefix, const std::string& where) {
  for (const auto& [key, node] : table) {
    const std::string k(key.str());
    if (std::find(known.begin(), known.end(), k) != known.end()) continue;
    std::string best;
    std::size_t best_d = k.size() / 2 + 1;
    for (const auto& c : known)
      if (const auto d = edit_distance(k, c); d < best_d) best_d = d, best = c;
    if (best.empty())  // a longer or shorter spelling: "tolerance" → tol
      for (const auto& c : known)
        if (k.rfind(c, 0) == 0 || c.rfind(k, 0) == 0) best = c;
    std::string list;
    for (const auto& c : known) list += (list.empty() ? "" : ", ") + c;
    throw InputError(at(file, key.source()), prefix + k,
                     fmt::format("unknown key in {}{}; the keys are {}", where,
                                 best.empty() ? "" : "; did you mean '" + best + "'?", list));
  }
}

/// One entry of [case.metrics]: `name = { value = X, tol = T }` (a known metric; the value
/// required unless --update records it; tol absolute or "3%"), with the positions --update
/// rewrites.
GoldenMetric parse_metric(const std::filesystem::path& file, const toml::key& key, const toml::node& node,
                          const std::string& prefix, bool require_values) {
  GoldenMetric m;
  m.name = key.str();
  m.pos = at(file, key.source());
  const std::string mkey = "case.metrics." + m.name;
  if (!find_metric(m.name))
    throw InputError(m.pos, mkey,
                     fmt::format("{}unknown metric '{}'{}; the metrics are listed by `collabsim compare --help`",
                                 prefix, m.name, did_you_mean_metric(m.name)));
  const toml::table* mt = node.as_table();
  if (!mt)
    throw InputError(m.pos, mkey, fmt::format("write {} = {{ value = X, tol = \"3%\" }}", m.name));
  check_keys(file, *mt, {"value", "tol"}, mkey + ".", "a metric entry");
  m.table_line = mt->source().begin.line;
  m.table_column = mt->source().begin.column;
  m.inline_table = mt->is_inline();
  if (const auto* v = mt->get("value")) {
    if (const auto* f = v->as_floating_point()) {
      if (!std::isfinite(**f))
        throw InputError(at(file, v->source()), mkey + ".value",
                         "is not a finite number: a golden records values a run must reproduce (a NaN or "
                         "infinite metric is a failure, never a recorded value)");
      m.value = **f;
    } else if (const auto* i = v->as_integer()) {
      m.value = static_cast<double>(**i);
    } else {
      throw InputError(at(file, v->source()), mkey + ".value", "must be a number");
    }
    m.value_line = v->source().begin.line;
    m.value_begin = v->source().begin.column;
    m.value_end = v->source().end.column;
    if (v->source().end.line != v->source().begin.line) m.value_line = 0;  // never for numbers
  } else if (require_values) {
    throw InputError(m.pos, mkey,
                     fmt::format("{}has no recorded value: run `collabsim check {} --update`", prefix,
                                 file.string()));
  }
  if (const auto* t = mt->get("tol")) {
    const SourcePos tp = at(file, t->source());
    if (const auto* s = t->as_string()) {
      m.tol = parse_tolerance(**s, mkey + ".tol", tp);
    } else if (t->is_number()) {
      const double v = t->is_integer() ? static_cast<double>(**t->as_integer()) : **t->as_floating_point();
      m.tol = parse_tolerance(fmt::format("{}", v), mkey + ".tol", tp);
    } else {
      throw InputError(tp, mkey + ".tol", "must be a number (absolute) or a string such as \"3%\"");
    }
  }
  return m;
}

GoldenFile parse_golden(const toml::table& root, const std::filesystem::path& file, bool require_values) {
  GoldenFile g;
  g.path = file;
  check_keys(file, root, {"case"}, "", "a golden file (it holds [[case]] tables)");
  const toml::node* cases_node = root.get("case");
  if (!cases_node) throw InputError(SourcePos{file}, "case", "the golden file has no [[case]] table");
  const toml::array* cases = cases_node->as_array();
  if (!cases || !cases->is_array_of_tables())
    throw InputError(at(file, cases_node->source()), "case", "must be [[case]] tables");
  std::set<std::string> names;
  for (const auto& cn : *cases) {
    const toml::table& ct = *cn.as_table();
    GoldenCase c;
    c.pos = at(file, ct.source());
    check_keys(file, ct, {"name", "scenario", "set", "metrics"}, "case.", "a [[case]]");
    const auto* name = ct.get("name");
    if (!name || !name->is_string()) throw InputError(c.pos, "case.name", "every [[case]] needs name = \"...\"");
    c.name = **name->as_string();
    c.pos = at(file, name->source());
    if (c.name.empty()) throw InputError(c.pos, "case.name", "is empty");
    if (!names.insert(c.name).second) throw InputError(c.pos, "case.name", "'" + c.name + "' names two cases");
    const std::string prefix = "case '" + c.name + "' ";
    const auto* sc = ct.get("scenario");
    if (!sc || !sc->is_string())
      throw InputError(c.pos, "case.scenario", prefix + "needs scenario = \"path relative to the golden file\"");
    const std::filesystem::path rel = **sc->as_string();
    c.scenario = rel.is_absolute() ? rel : file.parent_path() / rel;
    if (!input_exists(c.scenario))
      throw InputError(at(file, sc->source()), "case.scenario",
                       fmt::format("{}: no such scenario file {} (paths are relative to the golden file)", prefix,
                                   c.scenario.string()));
    if (const auto* set = ct.get("set")) {
      const toml::array* arr = set->as_array();
      if (!arr) throw InputError(at(file, set->source()), "case.set", prefix + "set must be a list of \"key=value\"");
      for (const auto& s : *arr) {
        if (!s.is_string() || (**s.as_string()).find('=') == std::string::npos)
          throw InputError(at(file, s.source()), "case.set", prefix + "each entry must be \"key=value\"");
        c.sets.push_back(**s.as_string());
      }
    }
    const auto* metrics = ct.get("metrics");
    if (!metrics || !metrics->is_table() || metrics->as_table()->empty())
      throw InputError(c.pos, "case.metrics",
                       prefix + "needs a [case.metrics] table, e.g. quality_mean = { value = 0.58, tol = 0.005 }");
    for (const auto& [key, node] : *metrics->as_table())
      c.metrics.push_back(parse_metric(file, key, node, prefix, require_values));
    // toml++ tables iterate in key order: keep the file's order instead.
    std::sort(c.metrics.begin(), c.metrics.end(), [](const GoldenMetric& a, const GoldenMetric& b) {
      return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
    });
    g.cases.push_back(std::move(c));
  }
  return g;
}

GoldenFile parse_text(const std::string& text, const std::filesystem::path& file, bool require_values) {
  try {
    const toml::table root = toml::parse(text, file.string());
    return parse_golden(root, file, require_values);
  } catch (const toml::parse_error& e) {
    throw InputError(at(file, e.source()), "", std::string(e.description()));
  }
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(SourcePos{file}, "", input_exists(file) ? "cannot be read" : "no such file");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

/// Byte offset of 1-based code-point column `column` in `line`.
std::size_t byte_offset(const std::string& line, std::size_t column) {
  std::size_t cp = 1, i = 0;
  while (i < line.size() && cp < column) {
    ++i;
    while (i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) ++i;
    ++cp;
  }
  return i;
}

}  // namespace

GoldenFile read_golden(const std::filesystem::path& file, bool require_values) {
  if (!input_exists(file)) throw InputError(SourcePos{file}, "", "no such golden file");
  return parse_text(read_text(file), file, require_values);
}

std::vector<GoldenCaseResult> run_golden(const GoldenFile& golden, const GoldenOptions& options) {
  const std::size_t n = golden.cases.size();
  std::vector<GoldenCaseResult> out(n);
  InputCache cache;
  std::size_t done = 0;
  const int threads = std::max(1, std::min(options.threads, static_cast<int>(std::max<std::size_t>(n, 1))));
  parallel_for(
      n, threads,
      [&](std::size_t i) {
        const GoldenCase& c = golden.cases[i];
        LoadOptions load;
        load.overrides = c.sets;
        load.overrides.insert(load.overrides.end(), options.sets.begin(), options.sets.end());
        load.data_dir = options.data_dir;
        const PointOutcome po = run_point(c.scenario, load, cache, false);
        GoldenCaseResult& r = out[i];
        r.wall_s = po.wall_s;
        if (!po.ok) {
          r.bad_input = po.bad_input;
          r.error = InputError(c.pos, "", "case '" + c.name + "': " + po.error).what();
          return;
        }
        r.ok = true;
        const auto cols = po.summary.columns();
        for (const auto& m : c.metrics) {
          const auto it = std::find_if(cols.begin(), cols.end(), [&](const auto& col) { return col.first == m.name; });
          const double got = it == cols.end() ? std::nan("") : it->second.second;
          r.got.push_back(got);
          const MetricInfo* info = find_metric(m.name);
          MetricComparison mc = compare_metric(m.name, it == cols.end() ? std::string(info->unit) : it->second.first,
                                               info->better, m.value.value_or(std::nan("")), got, m.tol);
          // A recorded value met by NaN (or an infinity) fails closed: compare_metric says MISSING for NaN.
          if (m.value && !std::isnan(got) && !std::isfinite(got)) mc.verdict = Verdict::missing;
          if (mc.verdict == Verdict::missing && options.allow_missing.count(m.name)) mc.verdict = Verdict::na;
          r.metrics.push_back(std::move(mc));
        }
      },
      [&](std::size_t) {
        ++done;
        if (options.progress) options.progress(done, n);
      });
  return out;
}

void print_golden_report(std::ostream& os, const GoldenFile& golden, const std::vector<GoldenCaseResult>& results) {
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < golden.cases.size() && i < results.size(); ++i) {
    const GoldenCase& c = golden.cases[i];
    const GoldenCaseResult& r = results[i];
    if (!r.ok) {
      rows.push_back({c.name, "-", "", "", "", "", "", "", r.bad_input ? "ERROR: bad input (below)" : "ERROR (below)"});
      continue;
    }
    for (std::size_t j = 0; j < c.metrics.size(); ++j) {
      const MetricComparison& m = r.metrics[j];
      std::string verdict(to_string(m.verdict));
      if (!c.metrics[j].value) verdict = "no value yet";
      else if (m.verdict == Verdict::better || m.verdict == Verdict::changed) verdict += ": update the golden";
      const bool recorded = c.metrics[j].value.has_value();
      rows.push_back({c.name, m.metric, m.unit, recorded ? format_number(m.base) : "-", format_number(m.now),
                      recorded ? format_delta(m.delta) : "-", format_percent(m.delta_rel), m.tol.str(), verdict});
    }
  }
  print_table(os, {"case", "metric", "unit", "golden", "got", "delta", "delta%", "tol", "verdict"}, rows,
              {false, false, false, true, true, true, true, true, false});
}

std::string golden_value_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

namespace {
/// True when `line` is a table header ("[case.metrics.x]" or "[[case]]"), not a key = value.
bool table_header_line(const std::string& line) {
  const auto first = line.find_first_not_of(" \t");
  return first != std::string::npos && line[first] == '[';
}
}  // namespace

std::string updated_golden_text(const std::string& original, const GoldenFile& golden,
                                const std::vector<GoldenCaseResult>& results) {
  std::vector<std::string> lines;
  {
    std::size_t start = 0;
    while (true) {
      const auto nl = original.find('\n', start);
      lines.push_back(original.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  struct Edit {
    std::size_t line, begin, end;  ///< 0-based line, byte range
    std::string text;
  };
  std::vector<Edit> edits;
  std::vector<std::pair<std::size_t, std::string>> new_lines;  ///< (insert after 0-based line, text)
  for (std::size_t i = 0; i < golden.cases.size(); ++i) {
    const GoldenCase& c = golden.cases[i];
    if (i >= results.size() || !results[i].ok)
      throw std::runtime_error("case '" + c.name + "' did not run: the golden file is left as it was");
    for (std::size_t j = 0; j < c.metrics.size(); ++j) {
      const GoldenMetric& m = c.metrics[j];
      if (!std::isfinite(results[i].got[j]))
        throw InputError(m.pos, "case.metrics." + m.name,
                         fmt::format("case '{}': the new value is {}; a golden cannot record it (the golden file is "
                                     "left as it was): fix the case or leave the metric out",
                                     c.name, golden_value_text(results[i].got[j])));
      const std::string text = golden_value_text(results[i].got[j]);
      if (m.value_line > 0) {
        const std::string& l = lines.at(m.value_line - 1);
        edits.push_back({m.value_line - 1, byte_offset(l, m.value_begin), byte_offset(l, m.value_end), text});
      } else if (m.inline_table) {
        const std::string& l = lines.at(m.table_line - 1);
        const std::size_t brace = byte_offset(l, m.table_column);
        const auto close = l.find('}', brace);
        const bool empty = close != std::string::npos &&
                           l.find_first_not_of(" \t", brace + 1) == close;
        edits.push_back({m.table_line - 1, brace + 1, brace + 1, " value = " + text + (empty ? " " : ",")});
      } else if (table_header_line(lines.at(m.table_line - 1))) {  // [case.metrics.NAME]
        new_lines.emplace_back(m.table_line - 1, "value = " + text);
      } else {  // dotted keys (NAME.tol = ...): the value is a dotted key too
        new_lines.emplace_back(m.table_line - 1, m.name + ".value = " + text);
      }
    }
  }
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) {
    return a.line != b.line ? a.line > b.line : a.begin > b.begin;
  });
  for (const auto& e : edits) lines[e.line].replace(e.begin, e.end - e.begin, e.text);
  std::stable_sort(new_lines.begin(), new_lines.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [after, text] : new_lines)
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(after) + 1, text);

  std::string out;
  if (original.find("--update") == std::string::npos)
    out += fmt::format("# Values written by `collabsim check {} --update`; names, sets and tolerances are kept.\n",
                       golden.path.string());
  for (std::size_t i = 0; i < lines.size(); ++i) out += lines[i] + (i + 1 < lines.size() ? "\n" : "");

  // Read the edited text back: every value must be the new one.
  const GoldenFile back = parse_text(out, golden.path, true);
  for (std::size_t i = 0; i < golden.cases.size(); ++i)
    for (std::size_t j = 0; j < golden.cases[i].metrics.size(); ++j) {
      const double want = results[i].got[j];
      const double have = back.cases.at(i).metrics.at(j).value.value_or(std::nan(""));
      if (!(want == have || (std::isnan(want) && std::isnan(have))))
        throw std::runtime_error(fmt::format("updating {} failed for case '{}' metric '{}' (a bug): file left as it was",
                                             golden.path.string(), golden.cases[i].name,
                                             golden.cases[i].metrics[j].name));
    }
  return out;
}

GoldenFile parse_golden_text(const std::string& text, const std::filesystem::path& file, bool require_values) {
  return parse_text(text, file, require_values);
}

std::vector<std::string> default_golden_metrics() {
  return {"quality_mean", "latency_p99_s", "ttft_p50_s", "cost_per_1k_usd", "energy_per_request_j", "large_share"};
}

namespace {
/// `text` as a TOML basic string.
std::string toml_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (u < 0x20 || u == 0x7f) out += fmt::format("\\u{:04x}", u);
    else out += c;
  }
  return out + "\"";
}
}  // namespace

std::string init_golden_text(const std::filesystem::path& golden, const std::vector<std::filesystem::path>& scenarios,
                             const std::vector<std::string>& sets, const std::vector<std::string>& metrics,
                             const std::string& tol) {
  namespace fs = std::filesystem;
  for (const auto& m : metrics)
    if (!find_metric(m)) throw InputError(SourcePos{}, "--metrics", "unknown metric '" + m + "'" + did_you_mean_metric(m));
  if (metrics.empty()) throw InputError(SourcePos{}, "--metrics", "name at least one metric");
  const Tolerance t = parse_tolerance(tol, "--tol");
  // A bare number stays a TOML number (absolute, in the metric's unit); anything else a string.
  const std::string tol_text = !t.relative && tol.find_first_not_of("0123456789.eE+-") == std::string::npos
                                   ? golden_value_text(t.value)
                                   : toml_string(t.relative ? golden_value_text(t.value * 100) + "%" : tol);
  const fs::path folder = fs::weakly_canonical(fs::absolute(golden)).parent_path();
  std::string out = fmt::format(
      "# Written by `collabsim check {} --init`; re-record the values with `collabsim check {} --update`.\n",
      golden.string(), golden.string());
  std::map<std::string, int> seen;
  for (const auto& sc : scenarios) {
    const std::string stem = sc.stem().string();
    const int k = ++seen[stem];
    const std::string name = k == 1 ? stem : fmt::format("{}-{}", stem, k);
    const fs::path rel = fs::weakly_canonical(fs::absolute(sc)).lexically_relative(folder);
    out += "\n[[case]]\nname = " + toml_string(name) + "\nscenario = " + toml_string(rel.generic_string()) + "\n";
    if (!sets.empty()) {
      out += "set = [";
      for (std::size_t i = 0; i < sets.size(); ++i) out += (i ? ", " : "") + toml_string(sets[i]);
      out += "]\n";
    }
    out += "[case.metrics]\n";
    for (const auto& m : metrics) out += m + " = { tol = " + tol_text + " }\n";
  }
  return out;
}

void write_golden_text(const std::filesystem::path& file, const std::string& text, bool must_be_new) {
  if (must_be_new && std::filesystem::exists(file))
    throw InputError(SourcePos{file}, "--init",
                     "the golden file exists and is left as it was: choose a new name, or re-record its values "
                     "with --update");
  const std::filesystem::path tmp = file.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, file);
}

std::size_t update_golden(const GoldenFile& golden, const std::vector<GoldenCaseResult>& results) {
  const std::string text = updated_golden_text(read_text(golden.path), golden, results);
  write_golden_text(golden.path, text, false);
  std::size_t n = 0;
  for (const auto& c : golden.cases) n += c.metrics.size();
  return n;
}

}  // namespace collabsim
