#include "sim/config/toml_params.hpp"
#include "sim/config/params.hpp"

#include "sim/core/strings.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace collabsim {

namespace {
/// A bounded numeric field of `kind` (Integer or Real).
template <class T>
Field numeric_field(Field::Kind kind, std::string key, std::optional<T> def, std::string unit, std::string help,
                    double min, double max) {
  Field f;
  f.key = std::move(key);
  f.kind = kind;
  if (def) f.default_value = *def;
  f.unit = std::move(unit);
  f.help = std::move(help);
  f.min = min;
  f.max = max;
  return f;
}
}  // namespace

Field Field::integer(std::string key, std::optional<std::int64_t> def, std::string unit,
                     std::string help, double min, double max) {
  return numeric_field(Kind::Integer, std::move(key), def, std::move(unit), std::move(help), min, max);
}

Field Field::real(std::string key, std::optional<double> def, std::string unit,
                  std::string help, double min, double max) {
  return numeric_field(Kind::Real, std::move(key), def, std::move(unit), std::move(help), min, max);
}

Field Field::boolean(std::string key, std::optional<bool> def, std::string help) {
  Field f;
  f.key = std::move(key);
  f.kind = Kind::Boolean;
  if (def) f.default_value = *def;
  f.help = std::move(help);
  return f;
}

Field Field::text(std::string key, std::optional<std::string> def, std::string help,
                  std::vector<std::string> choices) {
  Field f;
  f.key = std::move(key);
  f.kind = Kind::Text;
  if (def) f.default_value = *def;
  f.help = std::move(help);
  f.choices = std::move(choices);
  return f;
}

Field Field::text_list(std::string key, std::optional<std::vector<std::string>> def, std::string help,
                       std::size_t min_len) {
  Field f;
  f.key = std::move(key);
  f.kind = Kind::TextList;
  if (def) f.default_value = *def;
  f.help = std::move(help);
  f.min_len = min_len;
  return f;
}

Field Field::real_list(std::string key, std::optional<std::vector<double>> def, std::string unit,
                       std::string help, double min, double max) {
  Field f;
  f.key = std::move(key);
  f.kind = Kind::RealList;
  if (def) f.default_value = *def;
  f.unit = std::move(unit);
  f.help = std::move(help);
  f.min = min;
  f.max = max;
  return f;
}

Field Field::quantity(std::string key, std::optional<std::string> def, Dimension dim,
                      std::string help, double min, double max) {
  Field f;
  f.key = std::move(key);
  f.kind = Kind::Quantity;
  if (def) f.default_value = *def;
  f.dimension = dim;
  f.unit = base_unit(dim);
  f.help = std::move(help);
  f.min = min;
  f.max = max;
  if (dim == Dimension::Time && !std::isfinite(max)) f.max = kMaxDurationSeconds;
  return f;
}

Field& Field::distinct_entries() {
  distinct = true;
  return *this;
}

std::string Field::default_text() const {
  if (!default_value) return "(required)";
  return std::visit(
      [&](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string>)
          return kind == Kind::Quantity ? v : "\"" + v + "\"";
        else if constexpr (std::is_same_v<V, bool>)
          return v ? "true" : "false";
        else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
          std::string out = "[";
          for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
          return out + "]";
        } else if constexpr (std::is_same_v<V, std::vector<double>>) {
          std::string out = "[";
          for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + fmt::format("{}", v[i]);
          return out + "]";
        }
        else
          return fmt::format("{}", v);
      },
      *default_value);
}

double ParamSet::number(const std::string& key) const {
  const auto& v = at(key);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return static_cast<double>(std::get<std::int64_t>(v));
}

void ParamSet::require_distinct(const std::string& key, const std::string& full_key) const {
  const auto& v = texts(key);
  for (std::size_t i = 0; i < v.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (v[i] == v[j])
        throw InputError(pos(key), full_key,
                         fmt::format("'{}' appears twice (entries {} and {}); each entry must be distinct", v[i],
                                     j + 1, i + 1));
}

void ParamSet::set(const std::string& key, ParamValue v, SourcePos pos, bool given) {
  values_[key] = std::move(v);
  pos_[key] = std::move(pos);
  if (given) given_[key] = true;
}

SourcePos pos_of(const toml::node& node) {
  const auto& src = node.source();
  SourcePos p;
  if (src.path) p.file = *src.path;
  p.line = src.begin.line;
  p.column = src.begin.column;
  return p;
}

namespace {


std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    default: return "a date/time";
  }
}

std::string expected_name(const Field& f) {
  switch (f.kind) {
    case Field::Kind::Integer: return "an integer";
    case Field::Kind::Real: return "a number";
    case Field::Kind::Boolean: return "true or false";
    case Field::Kind::Text: return "a string";
    case Field::Kind::TextList: return "an array of strings";
    case Field::Kind::RealList: return "an array of numbers";
    case Field::Kind::Quantity:
      return "a quoted quantity with a unit of " + dimension_name(f.dimension) + " (e.g. \"" +
             f.default_text() + "\")";
  }
  return "?";
}

/// A unit worth printing after a number: not empty, not the dimensionless "1".
std::string unit_suffix(const Field& f) {
  if (f.unit.empty() || f.unit == "1") return "";
  return " " + f.unit;
}

/// A number for messages: integers without exponent up to 1e15, else the shortest form.
std::string show(double v) {
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<std::int64_t>(v));
  return fmt::format("{}", v);
}

/// Throws InputError unless `v` is finite and within [f.min, f.max].
void check_range(const Field& f, double v, const SourcePos& pos, const std::string& key) {
  const std::string u = unit_suffix(f);
  if (!std::isfinite(v))
    throw InputError(pos, key, fmt::format("value {} is not a finite number (inf and nan are not accepted)", v));
  if (v < f.min || v > f.max) {
    std::string range;
    if (std::isfinite(f.min) && std::isfinite(f.max))
      range = "in [" + show(f.min) + ", " + show(f.max) + "]" + u;
    else if (std::isfinite(f.min))
      range = "≥ " + show(f.min) + u;
    else
      range = "≤ " + show(f.max) + u;
    throw InputError(pos, key, "value " + show(v) + u + " is out of range: must be " + range);
  }
}

/// The numeric value of a TOML number node, or nullopt for any other type.
std::optional<double> number_of(const toml::node& n) {
  if (n.is_floating_point()) return n.value_exact<double>();
  if (n.is_integer()) return static_cast<double>(*n.value_exact<std::int64_t>());
  return std::nullopt;
}

/// One element of a list field (or a scalar standing for a one-element list).
double list_number(const Field& f, const toml::node& e, const std::string& key) {
  const auto v = number_of(e);
  if (!v) throw InputError(pos_of(e), key, "expected a number, got " + type_name(e));
  check_range(f, *v, pos_of(e), key);
  return *v;
}

void check_distinct(const Field& f, const std::vector<std::string>& v, const toml::node& n, const std::string& key) {
  if (!f.distinct) return;
  for (std::size_t i = 0; i < v.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (v[i] == v[j]) {
        const toml::array* arr = n.as_array();
        const SourcePos pos = arr && i < arr->size() ? pos_of(*arr->get(i)) : pos_of(n);
        throw InputError(pos, key,
                         fmt::format("'{}' appears twice (entries {} and {}); each entry must be distinct", v[i],
                                     j + 1, i + 1));
      }
}

/// Throws the "expected <type>, got <type>" InputError of `n` for field `f`.
[[noreturn]] void wrong_type(const Field& f, const toml::node& n, const std::string& key) {
  throw InputError(pos_of(n), key, "expected " + expected_name(f) + ", got " + type_name(n));
}

/// An integer field: accepts 3.0 for 3, rejects 3.5, inf, nan and values beyond 64 bits.
std::int64_t convert_integer(const Field& f, const toml::node& n, const std::string& key) {
  const SourcePos pos = pos_of(n);
  auto v = n.value_exact<std::int64_t>();
  if (!v) {
    const auto d = n.value_exact<double>();
    if (!d) wrong_type(f, n, key);
    if (!std::isfinite(*d))
      throw InputError(pos, key, fmt::format("expected an integer, got {}", *d));
    if (std::floor(*d) != *d) throw InputError(pos, key, "expected an integer, got " + show(*d));
    if (!(std::fabs(*d) < 9.2e18))
      throw InputError(pos, key,
                       "value " + show(*d) + " is out of range: must be in [" + show(f.min) + ", " +
                           show(f.max) + "]" + unit_suffix(f));
    v = static_cast<std::int64_t>(*d);
  }
  check_range(f, static_cast<double>(*v), pos, key);
  return *v;
}

/// A text field, one of `f.choices` when it lists any.
std::string convert_text(const Field& f, const toml::node& n, const std::string& key) {
  auto v = n.value_exact<std::string>();
  if (!v) wrong_type(f, n, key);
  if (!f.choices.empty() && std::find(f.choices.begin(), f.choices.end(), *v) == f.choices.end()) {
    std::string list;
    for (const auto& c : f.choices) list += (list.empty() ? "" : ", ") + c;
    throw InputError(pos_of(n), key, "'" + *v + "' is not one of: " + list);
  }
  return *v;
}

/// A text or number list field; a scalar stands for a one-element list where one element
/// is enough (sweeps set mechanism.cascade.thresholds=0.3).
ParamValue convert_list(const Field& f, const toml::node& n, const std::string& key) {
  const SourcePos pos = pos_of(n);
  const toml::array* arr = n.as_array();
  if (!arr) {
    if (f.min_len <= 1) {
      if (f.kind == Field::Kind::TextList) {
        if (const auto v = n.value_exact<std::string>()) return std::vector<std::string>{*v};
      } else if (number_of(n)) {
        return std::vector<double>{list_number(f, n, key)};
      }
    } else if (f.kind == Field::Kind::TextList ? n.is_string() : n.is_number()) {
      throw InputError(pos, key, fmt::format("needs at least {} entries, got a single value", f.min_len));
    }
    wrong_type(f, n, key);
  }
  if (arr->size() < f.min_len)
    throw InputError(pos, key, fmt::format("needs at least {} entries, got {}", f.min_len, arr->size()));
  if (f.kind == Field::Kind::TextList) {
    std::vector<std::string> out;
    for (const auto& e : *arr) {
      auto v = e.value_exact<std::string>();
      if (!v) throw InputError(pos_of(e), key, "expected a string, got " + type_name(e));
      out.push_back(*v);
    }
    check_distinct(f, out, n, key);
    return out;
  }
  std::vector<double> out;
  for (const auto& e : *arr) out.push_back(list_number(f, e, key));
  return out;
}

/// A quantity field: a string with a unit of `f.dimension`, in SI units.
double convert_quantity(const Field& f, const toml::node& n, const std::string& key) {
  const SourcePos pos = pos_of(n);
  auto s = n.value_exact<std::string>();
  if (!s) {
    if (n.is_number())
      throw InputError(pos, key,
                       "a bare number has no unit: write it as a string with a unit of " +
                           dimension_name(f.dimension) + ", e.g. \"" + f.default_text() + "\"");
    wrong_type(f, n, key);
  }
  double v = 0;
  try {
    v = parse_quantity(*s, f.dimension);
  } catch (const std::invalid_argument& e) {
    throw InputError(pos, key, e.what());
  }
  check_range(f, v, pos, key);
  return v;
}

ParamValue convert(const Field& f, const toml::node& n, const std::string& key) {
  switch (f.kind) {
    case Field::Kind::Integer: return convert_integer(f, n, key);
    case Field::Kind::Real: {
      const auto v = number_of(n);
      if (!v) wrong_type(f, n, key);
      check_range(f, *v, pos_of(n), key);
      return *v;
    }
    case Field::Kind::Boolean: {
      auto v = n.value_exact<bool>();
      if (!v) wrong_type(f, n, key);
      return *v;
    }
    case Field::Kind::Text: return convert_text(f, n, key);
    case Field::Kind::TextList:
    case Field::Kind::RealList: return convert_list(f, n, key);
    case Field::Kind::Quantity: return convert_quantity(f, n, key);
  }
  wrong_type(f, n, key);
}

}  // namespace

ParamSet read_params(const toml::table& table, std::span<const Field> fields,
                     const std::string& context, std::span<const std::string> ignore) {
  return read_params_over(table, nullptr, fields, context, ignore);
}

ParamSet read_params_over(const toml::table& table, const toml::table* base, std::span<const Field> fields,
                          const std::string& context, std::span<const std::string> ignore) {
  const SourcePos table_pos = pos_of(table);
  auto full = [&](const std::string& k) { return context.empty() ? k : context + "." + k; };
  // Unknown keys first: a typo should be reported as such, not as a missing key.
  auto check_unknown = [&](const toml::table& t) {
    for (const auto& [k, node] : t) {
      const std::string key(k.str());
      if (std::find(ignore.begin(), ignore.end(), key) != ignore.end()) continue;
      const bool known = std::any_of(fields.begin(), fields.end(),
                                     [&](const Field& f) { return f.key == key; });
      if (known) continue;
      std::string best;
      std::size_t best_d = 4;
      for (const auto& f : fields) {
        const auto d = edit_distance(key, f.key);
        if (d < best_d) best_d = d, best = f.key;
      }
      std::string msg = "unknown key";
      if (!best.empty()) msg += "; did you mean '" + best + "'?";
      std::string known_list;
      for (const auto& f : fields) known_list += (known_list.empty() ? "" : ", ") + f.key;
      msg += " (known keys: " + known_list + ")";
      SourcePos pos = pos_of(node);
      if (k.source().begin.line > 0) {  // point at the key itself
        pos.line = k.source().begin.line;
        pos.column = k.source().begin.column;
        if (k.source().path) pos.file = *k.source().path;
      }
      throw InputError(pos, full(key), msg);
    }
  };
  check_unknown(table);
  if (base) check_unknown(*base);
  ParamSet out;
  for (const auto& f : fields) {
    const toml::node* n = table.get(f.key);
    if (!n && base) n = base->get(f.key);
    if (n) {
      out.set(f.key, convert(f, *n, full(f.key)), pos_of(*n), true);
      continue;
    }
    if (!f.default_value)
      throw InputError(table_pos, full(f.key), "required key is missing (" + f.help + ")");
    ParamValue v = *f.default_value;
    if (f.kind == Field::Kind::Quantity)
      v = parse_quantity(std::get<std::string>(v), f.dimension);
    out.set(f.key, std::move(v), table_pos, false);
  }
  return out;
}

std::string describe_fields(std::span<const Field> fields, const std::string& indent) {
  std::ostringstream os;
  for (const auto& f : fields) {
    std::string unit = f.kind == Field::Kind::Quantity ? dimension_name(f.dimension)
                       : f.kind == Field::Kind::TextList ? "names" : f.unit;
    std::string extra;
    if (!f.choices.empty()) {  // the allowed values of an enumerated text key
      for (const auto& c : f.choices) extra += (extra.empty() ? "" : " | ") + c;
      extra = " (one of: " + extra + ")";
    } else if (f.kind != Field::Kind::Text && f.kind != Field::Kind::TextList && f.kind != Field::Kind::Boolean &&
               (std::abs(f.min) < 1e17 || std::abs(f.max) < 1e17)) {  // ±1e18: the integer default, no bound
      auto bound = [](double v) { return std::abs(v) < 1e17 ? fmt::format("{:g}", v) : std::string(v < 0 ? "-inf" : "inf"); };
      extra = fmt::format(" (range [{}, {}]{})", bound(f.min), bound(f.max),
                          f.kind == Field::Kind::Quantity ? " in base units" : "");
    }
    os << indent << fmt::format("{:<18} = {:<14} [{}]  {}{}", f.key, f.default_text(), unit, f.help, extra)
       << '\n';
  }
  return os.str();
}

}  // namespace collabsim
