#include "sim/study/sweep_spec.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

namespace collabsim {

namespace {

std::string quote_toml(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

/// Shortest text that reads back as the same double ("0.3", "4.0" → "4").
std::string number_text(double v) { return fmt::format("{}", v); }

/// Digits after the decimal point in a number written as text ("0.25" → 2, "1e-3" → 3).
int decimals_of(const std::string& s) {
  const auto e = s.find_first_of("eE");
  int exp = 0;
  if (e != std::string::npos) exp = std::atoi(s.c_str() + e + 1);
  const std::string mant = s.substr(0, e);
  const auto dot = mant.find('.');
  const int frac = dot == std::string::npos ? 0 : static_cast<int>(mant.size() - dot - 1);
  return std::max(0, frac - exp);
}

bool is_number_text(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(out);
}

/// Values of the range [from, to] by `step`, rounded to `decimals` places.
std::vector<AxisValue> range_values(double from, double to, double step, int decimals, bool integers,
                                    const SourcePos& pos, const std::string& key) {
  if (!(step != 0) || !std::isfinite(step) || !std::isfinite(from) || !std::isfinite(to))
    throw InputError(pos, key, "a range needs finite from, to and a non-zero step");
  const double n = std::floor((to - from) / step + 1e-9);
  if (n < 0) throw InputError(pos, key, fmt::format("the range {}:{}:{} is empty (step has the wrong sign)", from, to, step));
  if (n >= 1e6) throw InputError(pos, key, "the range has more than 10^6 values");
  std::vector<AxisValue> out;
  const double scale = std::pow(10.0, std::min(decimals, 15));
  for (std::int64_t i = 0; i <= static_cast<std::int64_t>(n); ++i) {
    double v = from + static_cast<double>(i) * step;
    v = std::round(v * scale) / scale;
    if (v == 0) v = 0;  // no "-0"
    AxisValue a;
    a.kind = integers ? AxisValue::Kind::Integer : AxisValue::Kind::Real;
    a.number = v;
    a.toml = integers ? fmt::format("{}", static_cast<std::int64_t>(v)) : number_text(v);
    out.push_back(std::move(a));
  }
  return out;
}

/// Values of the integer range [from, to] by `step`, in exact 64-bit arithmetic (W7: a
/// seed 9007199254740993 stays …993, it never passes through a double).
std::vector<AxisValue> integer_range_values(std::int64_t from, std::int64_t to, std::int64_t step, const SourcePos& pos,
                                            const std::string& key) {
  __extension__ using i128 = __int128;  // GCC/Clang extension: to − from of two int64 fits
  if (step == 0) throw InputError(pos, key, "a range needs a non-zero step");
  const i128 span = static_cast<i128>(to) - from;
  if ((span < 0 && step > 0) || (span > 0 && step < 0))
    throw InputError(pos, key, fmt::format("the range {}:{}:{} is empty (step has the wrong sign)", from, to, step));
  const i128 count = span / step + 1;
  if (count > 1'000'000) throw InputError(pos, key, "the range has more than 10^6 values");
  std::vector<AxisValue> out;
  for (i128 i = 0; i < count; ++i) {
    AxisValue a;
    a.kind = AxisValue::Kind::Integer;
    a.integer = static_cast<std::int64_t>(static_cast<i128>(from) + i * step);  // inside [from, to]
    a.number = static_cast<double>(a.integer);
    a.toml = fmt::format("{}", a.integer);
    out.push_back(std::move(a));
  }
  return out;
}

/// An integer written in decimal that fits int64 ("-12", "+3"); false for anything else.
bool is_integer_text(const std::string& s, std::int64_t& out) {
  const char* b = s.data() + (!s.empty() && s[0] == '+' ? 1 : 0);
  const char* e = s.data() + s.size();
  const auto [end, ec] = std::from_chars(b, e, out);
  return b != e && ec == std::errc() && end == e;
}

bool numeric(const AxisValue& v) {
  return v.kind == AxisValue::Kind::Integer || v.kind == AxisValue::Kind::Real || v.kind == AxisValue::Kind::Boolean;
}

bool same_value(const AxisValue& a, const AxisValue& b) {
  if (a.kind == AxisValue::Kind::Integer && b.kind == AxisValue::Kind::Integer) return a.integer == b.integer;
  if (numeric(a) && numeric(b)) return a.number == b.number;
  return a.toml == b.toml;
}

/// Flattens nested tables of [sweep] into dotted key paths; a table with from/to/step is a range.
void collect_axes(const toml::table& t, const std::string& prefix, std::vector<Axis>& axes) {
  for (const auto& [k, node] : t) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    const SourcePos pos{node.source().path ? *node.source().path : "", node.source().begin.line,
                        node.source().begin.column};
    if (prefix.empty() && (key == "mode" || key == "seeds" || key == "skip")) continue;
    if (const auto* sub = node.as_table()) {
      if (sub->contains("from") || sub->contains("to") || sub->contains("step")) {
        for (const auto& [rk, rv] : *sub)
          if (rk.str() != "from" && rk.str() != "to" && rk.str() != "step")
            throw InputError(pos, "sweep." + key + "." + std::string(rk.str()), "a range has only from, to and step");
        const bool ints = (*sub)["from"].is_integer() && (*sub)["to"].is_integer() && (*sub)["step"].is_integer();
        if (ints) {  // exact 64-bit arithmetic (W7); value<double>() refuses integers past 2^53
          axes.push_back(Axis{key,
                              integer_range_values(*(*sub)["from"].value<std::int64_t>(),
                                                   *(*sub)["to"].value<std::int64_t>(),
                                                   *(*sub)["step"].value<std::int64_t>(), pos, "sweep." + key),
                              pos});
          continue;
        }
        const auto from = (*sub)["from"].value<double>(), to = (*sub)["to"].value<double>(),
                   step = (*sub)["step"].value<double>();
        if (!from || !to || !step)
          throw InputError(pos, "sweep." + key, "a range needs numbers from, to and step");
        const int dec = std::max({decimals_of(number_text(*from)), decimals_of(number_text(*to)),
                                  decimals_of(number_text(*step))});
        axes.push_back(Axis{key, range_values(*from, *to, *step, dec, ints, pos, "sweep." + key), pos});
      } else {
        collect_axes(*sub, key, axes);
      }
      continue;
    }
    if (key.find('.') == std::string::npos)
      throw InputError(pos, "sweep." + key,
                       "an axis is a dotted scenario key path with a list of values, e.g. "
                       "\"workload.rate_scale\" = [1, 2, 4]");
    const auto* arr = node.as_array();
    if (!arr) throw InputError(pos, "sweep." + key, "expected a list of values or a range { from, to, step }");
    if (arr->empty()) throw InputError(pos, "sweep." + key, "an axis needs at least one value");
    Axis axis{key, {}, pos};
    for (const auto& e : *arr) axis.values.push_back(axis_value_of(e));
    axes.push_back(std::move(axis));
  }
}

}  // namespace

AxisValue::Kind Axis::column_kind() const {
  bool all_int = true, all_num = true;
  for (const auto& v : values) {
    all_int = all_int && (v.kind == AxisValue::Kind::Integer || v.kind == AxisValue::Kind::Boolean);
    all_num = all_num && numeric(v);
  }
  return all_int ? AxisValue::Kind::Integer : all_num ? AxisValue::Kind::Real : AxisValue::Kind::Text;
}

AxisValue axis_value_of(const toml::node& node) {
  AxisValue v;
  if (auto i = node.value_exact<std::int64_t>()) {
    v.kind = AxisValue::Kind::Integer;
    v.integer = *i;
    v.number = static_cast<double>(*i);
    v.toml = fmt::format("{}", *i);
  } else if (auto d = node.value_exact<double>()) {
    v.kind = AxisValue::Kind::Real;
    v.number = *d;
    v.toml = number_text(*d);
    if (v.toml.find_first_of(".eEn") == std::string::npos) v.toml += ".0";  // stays a TOML float
  } else if (auto b = node.value_exact<bool>()) {
    v.kind = AxisValue::Kind::Boolean;
    v.number = *b ? 1 : 0;
    v.toml = *b ? "true" : "false";
  } else if (auto s = node.value_exact<std::string>()) {
    v.kind = AxisValue::Kind::Text;
    v.text = *s;
    v.toml = quote_toml(*s);
  } else {
    v.kind = AxisValue::Kind::Other;
    std::ostringstream os;
    if (const auto* a = node.as_array())
      os << toml::toml_formatter(*a, toml::format_flags::none);
    else if (const auto* t = node.as_table())
      os << toml::toml_formatter(*t, toml::format_flags::none);
    v.toml = os.str();
    v.text = v.toml;
  }
  return v;
}

AxisValue parse_axis_value(const std::string& text) {
  try {
    const toml::table t = toml::parse("v = " + text);
    if (const toml::node* n = t.get("v")) return axis_value_of(*n);
  } catch (const toml::parse_error&) {
  }
  AxisValue v;
  v.kind = AxisValue::Kind::Text;
  v.text = text;
  v.toml = quote_toml(text);
  return v;
}

Axis parse_grid_argument(const std::string& arg) {
  // No line or column: they would read as part of the argument ("k=0:1:0:1:1:").
  const SourcePos pos{"--grid '" + arg + "'", 0, 0};
  const auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
    throw InputError(pos, arg, "expected key=v1,v2,... or key=from:to:step");
  Axis axis{arg.substr(0, eq), {}, pos};
  const std::string rhs = arg.substr(eq + 1);
  // A range: three numbers separated by ':'.
  const auto c1 = rhs.find(':');
  if (c1 != std::string::npos && rhs.find_first_of("[\"'") == std::string::npos) {
    const auto c2 = rhs.find(':', c1 + 1);
    const std::string a = rhs.substr(0, c1), b = rhs.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1),
                      c = c2 == std::string::npos ? "" : rhs.substr(c2 + 1);
    double from = 0, to = 0, step = 0;
    if (c2 == std::string::npos || !is_number_text(a, from) || !is_number_text(b, to) || !is_number_text(c, step))
      throw InputError(pos, axis.key, "a range is from:to:step with three numbers, e.g. 0:1:0.1");
    const bool ints = a.find_first_of(".eE") == std::string::npos && b.find_first_of(".eE") == std::string::npos &&
                      c.find_first_of(".eE") == std::string::npos;
    std::int64_t ia = 0, ib = 0, ic = 0;
    if (ints) {
      if (!is_integer_text(a, ia) || !is_integer_text(b, ib) || !is_integer_text(c, ic))
        throw InputError(pos, axis.key, "an integer range needs integers within ±9223372036854775807");
      axis.values = integer_range_values(ia, ib, ic, pos, axis.key);
      return axis;
    }
    axis.values = range_values(from, to, step, std::max({decimals_of(a), decimals_of(b), decimals_of(c)}), ints, pos,
                               axis.key);
    return axis;
  }
  // A list: TOML values separated by commas (so [0.3],[0.5] and "a","b" work) ...
  try {
    const toml::table t = toml::parse("v = [" + rhs + "]");
    for (const auto& e : *t.get("v")->as_array()) axis.values.push_back(axis_value_of(e));
  } catch (const toml::parse_error&) {
    // ... else bare words (cascade,router).
    axis.values.clear();
    std::size_t start = 0;
    for (;;) {
      const auto comma = rhs.find(',', start);
      const std::string item = rhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (item.empty()) throw InputError(pos, axis.key, "empty value in the list");
      axis.values.push_back(parse_axis_value(item));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (axis.values.empty()) throw InputError(pos, axis.key, "an axis needs at least one value");
  return axis;
}

SweepSpec sweep_from_table(const toml::table* sweep) {
  SweepSpec spec;
  if (!sweep) return spec;
  auto pos_of_node = [](const toml::node& n) {
    return SourcePos{n.source().path ? *n.source().path : "", n.source().begin.line, n.source().begin.column};
  };
  if (const toml::node* m = sweep->get("mode")) {
    const auto s = m->value_exact<std::string>();
    if (!s || (*s != "grid" && *s != "zip"))
      throw InputError(pos_of_node(*m), "sweep.mode", "expected \"grid\" or \"zip\"");
    spec.zip = *s == "zip";
  }
  if (const toml::node* n = sweep->get("seeds")) {
    const auto v = n->value_exact<std::int64_t>();
    if (!v || *v < 1 || *v > 10000) throw InputError(pos_of_node(*n), "sweep.seeds", "expected an integer in [1, 10000]");
    spec.seeds = static_cast<int>(*v);
  }
  collect_axes(*sweep, "", spec.axes);
  if (const toml::node* s = sweep->get("skip")) {
    const auto* arr = s->as_array();
    if (!arr) throw InputError(pos_of_node(*s), "sweep.skip", "expected a list of tables { \"key\" = value, ... }");
    for (const auto& e : *arr) {
      const auto* t = e.as_table();
      if (!t || t->empty())
        throw InputError(pos_of_node(e), "sweep.skip", "each skip rule is a table { \"key\" = value, ... }");
      SkipRule rule;
      for (const auto& [k, v] : *t) rule.emplace_back(std::string(k.str()), axis_value_of(v));
      spec.skip.push_back(std::move(rule));
    }
  }
  return spec;
}

std::vector<Combo> expand_combos(const SweepSpec& spec) {
  for (const auto& a : spec.axes)
    if (a.values.empty()) throw InputError(a.pos, a.key, "an axis needs at least one value");
  for (std::size_t i = 0; i < spec.axes.size(); ++i)
    for (std::size_t j = i + 1; j < spec.axes.size(); ++j)
      if (spec.axes[i].key == spec.axes[j].key) throw InputError(spec.axes[j].pos, spec.axes[j].key, "swept twice");
  for (const auto& rule : spec.skip)
    for (const auto& [k, v] : rule) {
      bool found = false;
      for (const auto& a : spec.axes) found = found || a.key == k;
      if (!found) throw InputError(SourcePos{"[sweep] skip", 0, 0}, k, "a skip rule names a key that is not swept");
    }
  std::vector<Combo> all;
  if (spec.axes.empty()) {
    all.push_back(Combo{});
  } else if (spec.zip) {
    const std::size_t n = spec.axes[0].values.size();
    for (const auto& a : spec.axes)
      if (a.values.size() != n)
        throw InputError(a.pos, a.key,
                         fmt::format("zipped axes need equal lengths: {} has {} values, {} has {}", spec.axes[0].key, n,
                                     a.key, a.values.size()));
    if (static_cast<double>(n) * spec.seeds > static_cast<double>(kMaxSweepPoints))
      throw InputError(spec.axes[0].pos, spec.axes[0].key,
                       fmt::format("the zip has {} combinations × {} seeds, more than the {} points a sweep plans at "
                                   "once (M1: the plan is held in memory): split it into several sweeps",
                                   n, spec.seeds, kMaxSweepPoints));
    for (std::size_t i = 0; i < n; ++i) {
      Combo c;
      for (const auto& a : spec.axes) c.values.push_back(a.values[i]);
      all.push_back(std::move(c));
    }
  } else {
    double total = 1;
    for (const auto& a : spec.axes) total *= static_cast<double>(a.values.size());
    if (total * spec.seeds > static_cast<double>(kMaxSweepPoints))
      throw InputError(spec.axes[0].pos, spec.axes[0].key,
                       fmt::format("the grid has {:.0f} combinations × {} seeds, more than the {} points a sweep plans "
                                   "at once (M1: the plan is held in memory): split it into several sweeps",
                                   total, spec.seeds, kMaxSweepPoints));
    // Mixed-radix decoding of k: the last axis varies fastest, the first is outermost.
    for (std::size_t k = 0; k < static_cast<std::size_t>(total); ++k) {
      Combo c;
      c.values.resize(spec.axes.size());
      std::size_t rest = k;
      for (std::size_t d = spec.axes.size(); d-- > 0;) {
        const std::size_t m = spec.axes[d].values.size();
        c.values[d] = spec.axes[d].values[rest % m];
        rest /= m;
      }
      all.push_back(std::move(c));
    }
  }
  std::vector<Combo> kept;
  for (auto& c : all) {
    bool skipped = false;
    for (const auto& rule : spec.skip) {
      bool match = true;
      for (const auto& [k, v] : rule)
        for (std::size_t i = 0; i < spec.axes.size(); ++i)
          if (spec.axes[i].key == k && !same_value(c.values[i], v)) match = false;
      skipped = skipped || match;
    }
    if (!skipped) kept.push_back(std::move(c));
  }
  return kept;
}

void check_swept_key(const Axis& axis, const toml::table& root, const std::string& point_mechanism) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto dot = axis.key.find('.', start);
    parts.push_back(axis.key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  auto fail = [&](const std::string& msg) { throw InputError(axis.pos, axis.key, msg); };
  if (parts.size() < 2) fail("a swept key is a dotted path section.key, e.g. workload.rate_scale");
  const std::string& sec = parts[0];
  if (sec == "sweep") fail("[sweep] itself cannot be swept");
  if (sec == "run" && (parts[1] == "name" || parts[1] == "output"))
    fail("every point's result goes into the sweep file: run.name and run.output cannot be swept");
  if (sec == "devices" || sec == "links" || sec == "deployments") {
    const toml::node* t = root.get(sec);
    if (parts.size() < 3) fail("sweep a key inside one entry, e.g. " + sec + ".<name>.<key>");
    if (!t || !t->is_table() || !t->as_table()->get(parts[1])) {
      std::string names;
      if (t && t->is_table())
        for (const auto& [k, v] : *t->as_table()) names += (names.empty() ? "" : ", ") + std::string(k.str());
      fail(fmt::format("the scenario has no {} entry '{}' (it has: {})", sec, parts[1], names.empty() ? "none" : names));
    }
  } else if (sec == "mechanism") {
    if (parts.size() == 2 && parts[1] != "name")
      fail("mechanism parameters are keys of [mechanism.<name>]: sweep mechanism." + point_mechanism + "." + parts[1]);
    if (parts.size() >= 3 && parts[1] != point_mechanism)
      fail(fmt::format("this point runs mechanism '{}', which never reads [mechanism.{}]: the value would be "
                       "ignored. Sweep mechanism.{}.* instead, or add a skip rule for these points",
                       point_mechanism, parts[1], point_mechanism));
  } else if (sec != "run" && sec != "workload" && sec != "quality") {
    fail("unknown section '" + sec + "' (known: run, workload, quality, devices, links, deployments, mechanism)");
  }
}

std::vector<std::string> series_names(const SweepSpec& spec, const std::vector<Combo>& combos,
                                      const std::string& mechanism) {
  std::vector<std::string> out;
  for (const Combo& c : combos) {
    std::string mech = mechanism, extra;
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
      const std::string& key = spec.axes[a].key;
      const AxisValue& v = c.values[a];
      const std::string text = v.kind == AxisValue::Kind::Text ? v.text : v.toml;
      if (key == "mechanism.name")
        mech = text;
      else if (key.rfind("mechanism.", 0) != 0)
        extra += (extra.empty() ? "" : ", ") + key + "=" + text;
    }
    out.push_back(extra.empty() ? mech : mech + " (" + extra + ")");
  }
  return out;
}

}  // namespace collabsim
