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
#include "sim/mechanisms/registry.hpp"
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

/// The scenario path of a [[case]] or [[pair]] (`kind`), resolved against the golden file's
/// folder; a missing file is an InputError at its value.
std::filesystem::path scenario_of(const std::filesystem::path& file, const toml::table& t, const std::string& kind,
                                  const SourcePos& pos, const std::string& prefix) {
  const auto* sc = t.get("scenario");
  if (!sc || !sc->is_string())
    throw InputError(pos, kind + ".scenario", prefix + "needs scenario = \"path relative to the golden file\"");
  const std::filesystem::path rel = **sc->as_string();
  std::filesystem::path out = rel.is_absolute() ? rel : file.parent_path() / rel;
  if (!input_exists(out))
    throw InputError(at(file, sc->source()), kind + ".scenario",
                     fmt::format("{}: no such scenario file {} (paths are relative to the golden file)", prefix,
                                 out.string()));
  return out;
}

/// A list of "key=value" overrides at `t[key]` (absent: empty).
std::vector<std::string> overrides_of(const std::filesystem::path& file, const toml::table& t, const std::string& key,
                                      const std::string& full_key, const std::string& prefix) {
  std::vector<std::string> out;
  const auto* set = t.get(key);
  if (!set) return out;
  const toml::array* arr = set->as_array();
  if (!arr) throw InputError(at(file, set->source()), full_key, prefix + key + " must be a list of \"key=value\"");
  for (const auto& s : *arr) {
    if (!s.is_string() || (**s.as_string()).find('=') == std::string::npos)
      throw InputError(at(file, s.source()), full_key, prefix + "each entry must be \"key=value\"");
    out.push_back(**s.as_string());
  }
  return out;
}

/// One [[pair]] (golden.hpp): name, scenario, set, old, new, seeds and its metrics' margins.
/// The `name` of a [[case]] or [[pair]] table (`kind` "case" or "pair"): a non-empty string
/// not used by an earlier entry. Sets `pos` to the name's position. Throws InputError naming
/// `<kind>.name`; a repeated name is reported with `repeated` after the quoted name.
std::string entry_name(const std::filesystem::path& file, const toml::table& t, const std::string& kind,
                       std::set<std::string>& names, SourcePos& pos, const std::string& repeated) {
  const auto* name = t.get("name");
  if (!name || !name->is_string())
    throw InputError(pos, kind + ".name", "every [[" + kind + "]] needs name = \"...\"");
  std::string n = **name->as_string();
  pos = at(file, name->source());
  if (n.empty()) throw InputError(pos, kind + ".name", "is empty");
  if (!names.insert(n).second) throw InputError(pos, kind + ".name", "'" + n + "' " + repeated);
  return n;
}

GoldenPair parse_pair(const std::filesystem::path& file, const toml::table& pt, std::set<std::string>& names) {
  GoldenPair p;
  p.pos = at(file, pt.source());
  check_keys(file, pt, {"name", "scenario", "set", "old", "new", "seeds", "metrics"}, "pair.", "a [[pair]]");
  p.name = entry_name(file, pt, "pair", names, p.pos, "names two cases or pairs");
  const std::string prefix = "pair '" + p.name + "' ";
  p.scenario = scenario_of(file, pt, "pair", p.pos, prefix);
  p.sets = overrides_of(file, pt, "set", "pair.set", prefix);
  p.old_sets = overrides_of(file, pt, "old", "pair.old", prefix);
  p.new_sets = overrides_of(file, pt, "new", "pair.new", prefix);
  if (p.new_sets.empty())
    throw InputError(p.pos, "pair.new",
                     prefix + "needs new = [\"key=value\", ...]: the candidate policy's overrides (old = [...] the "
                              "baseline's, empty for the scenario as it is)");
  if (p.new_sets == p.old_sets)
    throw InputError(p.pos, "pair.new", prefix + "old and new are the same overrides: there is nothing to compare");
  const auto* seeds = pt.get("seeds");
  if (!seeds || !seeds->is_integer() || **seeds->as_integer() < 2 || **seeds->as_integer() > 1000)
    throw InputError(seeds ? at(file, seeds->source()) : p.pos, "pair.seeds",
                     prefix + "needs seeds = N with 2 ≤ N ≤ 1000: the seed pairs the paired interval is made from");
  p.seeds = static_cast<int>(**seeds->as_integer());
  const auto* metrics = pt.get("metrics");
  if (!metrics || !metrics->is_table() || metrics->as_table()->empty())
    throw InputError(p.pos, "pair.metrics",
                     prefix + "needs a [pair.metrics] table, e.g. quality_mean = { margin = 0.005 }");
  for (const auto& [key, node] : *metrics->as_table()) {
    GoldenPairMetric m;
    m.name = key.str();
    m.pos = at(file, key.source());
    const std::string mkey = "pair.metrics." + m.name;
    if (!find_metric(m.name))
      throw InputError(m.pos, mkey,
                       fmt::format("{}unknown metric '{}'{}; the metrics are listed by `collabsim compare --help`",
                                   prefix, m.name, did_you_mean_metric(m.name)));
    const toml::table* mt = node.as_table();
    if (!mt) throw InputError(m.pos, mkey, fmt::format("write {} = {{ margin = 0.005 }} (or \"2%\", or {{}} for 0)", m.name));
    for (const char* k : {"value", "tol"})  // the [[case]] form, written in a [[pair]]
      if (const auto* n = mt->get(k))
        throw InputError(at(file, n->source()), mkey + "." + k,
                         fmt::format("{}records no values: a pair's metric takes margin = X (how far new may fall "
                                     "behind old; absolute or \"2%\" of old's mean), not {}",
                                     prefix, k));
    check_keys(file, *mt, {"margin"}, mkey + ".", "a pair's metric entry");
    if (const auto* t = mt->get("margin")) {
      const SourcePos tp = at(file, t->source());
      if (const auto* str = t->as_string()) {
        m.margin = parse_tolerance(**str, mkey + ".margin", tp);
      } else if (t->is_number()) {
        const double v = t->is_integer() ? static_cast<double>(**t->as_integer()) : **t->as_floating_point();
        m.margin = parse_tolerance(fmt::format("{}", v), mkey + ".margin", tp);
      } else {
        throw InputError(tp, mkey + ".margin", "must be a number (absolute) or a string such as \"2%\"");
      }
    }
    p.metrics.push_back(std::move(m));
  }
  std::sort(p.metrics.begin(), p.metrics.end(), [](const GoldenPairMetric& a, const GoldenPairMetric& b) {
    return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
  });
  return p;
}

/// The [[NAME]] array of tables at `root` (null when absent).
const toml::array* tables_of(const std::filesystem::path& file, const toml::table& root, const std::string& name) {
  const toml::node* node = root.get(name);
  if (!node) return nullptr;
  const toml::array* arr = node->as_array();
  if (!arr || !arr->is_array_of_tables())
    throw InputError(at(file, node->source()), name, "must be [[" + name + "]] tables");
  return arr;
}

GoldenFile parse_golden(const toml::table& root, const std::filesystem::path& file, bool require_values) {
  GoldenFile g;
  g.path = file;
  check_keys(file, root, {"case", "pair"}, "", "a golden file (it holds [[case]] and [[pair]] tables)");
  const toml::array* cases = tables_of(file, root, "case");
  const toml::array* pairs = tables_of(file, root, "pair");
  if (!cases && !pairs) throw InputError(SourcePos{file}, "case", "the golden file has no [[case]] or [[pair]] table");
  static const toml::array kNone;
  std::set<std::string> names;
  for (const auto& cn : cases ? *cases : kNone) {
    const toml::table& ct = *cn.as_table();
    GoldenCase c;
    c.pos = at(file, ct.source());
    check_keys(file, ct, {"name", "scenario", "set", "metrics"}, "case.", "a [[case]]");
    c.name = entry_name(file, ct, "case", names, c.pos, "names two cases");
    const std::string prefix = "case '" + c.name + "' ";
    c.scenario = scenario_of(file, ct, "case", c.pos, prefix);
    c.sets = overrides_of(file, ct, "set", "case.set", prefix);
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
  for (const auto& pn : pairs ? *pairs : kNone) g.pairs.push_back(parse_pair(file, *pn.as_table(), names));
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

namespace {
/// One run of a pair: side 0 old, 1 new; seed k.
struct PairJob {
  std::size_t pair = 0;
  int side = 0, k = 0;
};

/// The overrides of side `side` of `p` after the command line's `extra`, without the seed.
std::vector<std::string> side_overrides(const GoldenPair& p, int side, const std::vector<std::string>& extra) {
  std::vector<std::string> o = p.sets;
  const auto& own = side == 0 ? p.old_sets : p.new_sets;
  o.insert(o.end(), own.begin(), own.end());
  o.insert(o.end(), extra.begin(), extra.end());
  return o;
}

/// The gate of every metric of `p` from its runs' summaries ([side][k]).
void gate_pair(const GoldenPair& p, const GoldenOptions& options,
               const std::vector<std::vector<std::optional<MetricRow>>>& rows, GoldenPairResult& r) {
  for (const auto& m : p.metrics) {
    std::vector<double> v[2];
    for (int side = 0; side < 2; ++side)
      for (const auto& row : rows[static_cast<std::size_t>(side)]) {
        const auto it = std::find_if(row->begin(), row->end(), [&](const auto& col) { return col.first == m.name; });
        v[side].push_back(it == row->end() ? std::nan("") : it->second.second);
      }
    const MetricInfo* info = find_metric(m.name);
    PairGate g = paired_gate(v[0], v[1], info->better, m.margin);
    const auto all_nan = [](const std::vector<double>& x) {
      return std::all_of(x.begin(), x.end(), [](double d) { return std::isnan(d); });
    };
    if (g.verdict == Verdict::missing && options.allow_missing.count(m.name) && all_nan(v[0]) && all_nan(v[1])) {
      g.verdict = Verdict::na;
      g.reason = "NaN in every run (--allow-missing)";
    }
    r.metrics.push_back(std::move(g));
  }
}
}  // namespace

std::vector<GoldenPairResult> run_golden_pairs(const GoldenFile& golden, const GoldenOptions& options) {
  const std::size_t n = golden.pairs.size();
  std::vector<GoldenPairResult> out(n);
  // Each pair's base seed: the scenario's run.seed after the overrides both sides share.
  std::vector<PairJob> jobs;
  for (std::size_t i = 0; i < n; ++i) {
    const GoldenPair& p = golden.pairs[i];
    try {
      LoadOptions lo;
      lo.overrides = p.sets;
      lo.overrides.insert(lo.overrides.end(), options.sets.begin(), options.sets.end());
      lo.data_dir = options.data_dir;
      const std::uint64_t base = load_scenario(p.scenario, lo).run.seed;
      for (int k = 0; k < p.seeds; ++k) out[i].seeds.push_back(base + static_cast<std::uint64_t>(k));
    } catch (const InputError& e) {
      out[i].bad_input = true;
      out[i].error = InputError(p.pos, "", "pair '" + p.name + "': " + e.what()).what();
      continue;
    }
    for (int side = 0; side < 2; ++side)
      for (int k = 0; k < p.seeds; ++k) jobs.push_back({i, side, k});
  }
  // [pair][side][k]: the run's /summary, or nothing when it failed.
  std::vector<std::vector<std::vector<std::optional<MetricRow>>>> rows(n);
  for (std::size_t i = 0; i < n; ++i)
    rows[i].assign(2, std::vector<std::optional<MetricRow>>(static_cast<std::size_t>(golden.pairs[i].seeds)));
  std::vector<std::string> errors(jobs.size());
  std::vector<char> bad(jobs.size(), 0);
  std::vector<double> wall(jobs.size(), 0);
  InputCache cache;
  std::size_t done = 0;
  const int threads = std::max(1, std::min(options.threads, static_cast<int>(std::max<std::size_t>(jobs.size(), 1))));
  parallel_for(
      jobs.size(), threads,
      [&](std::size_t j) {
        const PairJob& job = jobs[j];
        const GoldenPair& p = golden.pairs[job.pair];
        LoadOptions load;
        load.overrides = side_overrides(p, job.side, options.sets);
        load.overrides.push_back(fmt::format("run.seed={}", out[job.pair].seeds[static_cast<std::size_t>(job.k)]));
        load.data_dir = options.data_dir;
        const PointOutcome po = run_point(p.scenario, load, cache, false);
        wall[j] = po.wall_s;
        if (po.ok) {
          rows[job.pair][static_cast<std::size_t>(job.side)][static_cast<std::size_t>(job.k)] = po.summary.columns();
        } else {
          bad[j] = po.bad_input;
          errors[j] = po.error;
        }
      },
      [&](std::size_t) {
        ++done;
        if (options.progress) options.progress(done, jobs.size());
      });
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    GoldenPairResult& r = out[jobs[j].pair];
    r.wall_s += wall[j];
    if (!errors[j].empty() && r.error.empty()) {  // the first failed run of the pair says why
      const GoldenPair& p = golden.pairs[jobs[j].pair];
      r.bad_input = bad[j];
      r.error = InputError(p.pos, "",
                           fmt::format("pair '{}' ({}, run.seed={}): {}", p.name, jobs[j].side ? "new" : "old",
                                       r.seeds[static_cast<std::size_t>(jobs[j].k)], errors[j]))
                    .what();
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    GoldenPairResult& r = out[i];
    if (!r.error.empty()) continue;
    r.ok = true;
    gate_pair(golden.pairs[i], options, rows[i], r);
  }
  return out;
}

void print_pair_report(std::ostream& os, const GoldenFile& golden, const std::vector<GoldenPairResult>& results) {
  const auto interval = [](const DiffInterval& d) {
    return std::isnan(d.lo) ? std::string("n/a") : fmt::format("[{}, {}]", format_delta(d.lo), format_delta(d.hi));
  };
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < golden.pairs.size() && i < results.size(); ++i) {
    const GoldenPair& p = golden.pairs[i];
    const GoldenPairResult& r = results[i];
    if (!r.ok) {
      rows.push_back({p.name, "-", "", "", "", "", "", "", "", "", r.bad_input ? "ERROR: bad input (below)" : "ERROR (below)"});
      continue;
    }
    for (std::size_t j = 0; j < p.metrics.size(); ++j) {
      const PairGate& g = r.metrics[j];
      const MetricInfo* info = find_metric(p.metrics[j].name);
      const std::string verdict = g.verdict == Verdict::ok      ? "holds: " + g.reason
                                  : g.verdict == Verdict::worse ? "FAILS: " + g.reason
                                  : g.verdict == Verdict::na    ? "n/a: " + g.reason
                                                                : "MISSING: " + g.reason;
      const std::string margin = p.metrics[j].margin.relative
                                     ? fmt::format("{} ({:g}%)", format_number(g.margin), p.metrics[j].margin.value * 100)
                                     : format_number(p.metrics[j].margin.value);
      rows.push_back({p.name, p.metrics[j].name, std::string(info->unit), format_number(g.mean_old),
                      format_number(g.mean_new), format_delta(g.paired.mean), interval(g.paired), interval(g.welch),
                      margin, std::to_string(g.paired.n), verdict});
    }
  }
  print_table(os, {"pair", "metric", "unit", "old", "new", "new − old", "paired 95% CI", "unpaired 95% CI (Welch)",
                   "margin", "pairs", "verdict (new vs old, margin on the worse side)"},
              rows, {false, false, false, true, true, true, true, true, true, true, false});
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
