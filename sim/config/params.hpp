#pragma once
/// \file params.hpp
/// Parameters declared once (as ns-3's AddAttribute or SST's ELI): each Field carries its
/// key, type, default, unit and help text. The same declaration validates a TOML table
/// (unknown keys, wrong types, wrong units, out-of-range values are errors naming file,
/// line, column and key), fills in defaults, and prints `collabsim list`.

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/config/units.hpp"

namespace collabsim {

/// Upper limit (s) of every duration key unless its declaration says otherwise: 1e9 s
/// (≈ 31.7 years), well inside the ±2^63 ns clock even after adding to a time.
inline constexpr double kMaxDurationSeconds = 1e9;

/// A typed parameter value. Quantities are stored as double in their base unit.
using ParamValue = std::variant<std::int64_t, double, bool, std::string, std::vector<std::string>,
                                std::vector<double>>;

/// One declared parameter.
struct Field {
  enum class Kind { Integer, Real, Boolean, Text, Quantity, TextList, RealList };

  std::string key;
  Kind kind = Kind::Real;
  /// Default: int64/double/bool/string; for Quantity a string with unit ("35 ms").
  /// std::nullopt = required.
  std::optional<ParamValue> default_value;
  std::string unit;  ///< for Integer/Real: a label ("1", "tokens", "bytes"); Quantity: base unit
  Dimension dimension = Dimension::Time;  ///< Quantity only
  std::string help;
  double min = -std::numeric_limits<double>::infinity();  ///< inclusive, base unit
  double max = std::numeric_limits<double>::infinity();   ///< inclusive, base unit
  std::vector<std::string> choices;  ///< Text only: allowed values (empty = any)
  std::size_t min_len = 0;           ///< lists: minimum length
  bool distinct = false;             ///< TextList: entries must not repeat (deployment lists)

  /// Marks a TextList whose entries must be pairwise distinct; returns *this for chaining.
  Field& distinct_entries();

  static Field integer(std::string key, std::optional<std::int64_t> def, std::string unit,
                       std::string help, double min = -1e18, double max = 1e18);
  static Field real(std::string key, std::optional<double> def, std::string unit,
                    std::string help, double min = -std::numeric_limits<double>::infinity(),
                    double max = std::numeric_limits<double>::infinity());
  static Field boolean(std::string key, std::optional<bool> def, std::string help);
  static Field text(std::string key, std::optional<std::string> def, std::string help,
                    std::vector<std::string> choices = {});
  /// An array of strings (e.g. deployment names), at least `min_len` long.
  static Field text_list(std::string key, std::optional<std::vector<std::string>> def, std::string help,
                         std::size_t min_len = 1);
  /// An array of numbers, each within [min, max]. With min_len ≤ 1 a bare number is taken
  /// as a one-element list (so does a bare string for a text_list with min_len ≤ 1).
  static Field real_list(std::string key, std::optional<std::vector<double>> def, std::string unit,
                         std::string help, double min = -std::numeric_limits<double>::infinity(),
                         double max = std::numeric_limits<double>::infinity());
  /// A physical quantity written with its unit; `def` like "35 ms"; bounds in base units.
  /// A Time quantity without an explicit finite `max` is capped at kMaxDurationSeconds, so
  /// every duration converts to integer nanoseconds (from_seconds) without overflow.
  static Field quantity(std::string key, std::optional<std::string> def, Dimension dim,
                        std::string help, double min = 0.0,
                        double max = std::numeric_limits<double>::infinity());

  /// Default as text for listings ("0.5", "35 ms", "(required)").
  std::string default_text() const;
};

/// Validated values of one table. Accessors throw std::out_of_range for an undeclared key
/// (a programming error) and std::bad_variant_access for a wrong type.
class ParamSet {
 public:
  std::int64_t integer(const std::string& key) const { return std::get<std::int64_t>(at(key)); }
  double number(const std::string& key) const;  ///< Real or Quantity (base unit) or Integer
  bool flag(const std::string& key) const { return std::get<bool>(at(key)); }
  const std::string& text(const std::string& key) const { return std::get<std::string>(at(key)); }
  const std::vector<std::string>& texts(const std::string& key) const {
    return std::get<std::vector<std::string>>(at(key));
  }
  const std::vector<double>& numbers(const std::string& key) const { return std::get<std::vector<double>>(at(key)); }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  /// Where the value came from (the table's position for defaults).
  const SourcePos& pos(const std::string& key) const { return pos_.at(key); }
  /// True when the value was written in the input, false when it is the default.
  bool given(const std::string& key) const { return given_.count(key) != 0; }

  /// Throws InputError at pos(key), naming `full_key`, when the TextList `key` holds an
  /// entry twice (for lists whose distinctness a mechanism checks after its other rules).
  void require_distinct(const std::string& key, const std::string& full_key) const;

  void set(const std::string& key, ParamValue v, SourcePos pos, bool given);
  const ParamValue& at(const std::string& key) const { return values_.at(key); }

 private:
  std::map<std::string, ParamValue> values_;
  std::map<std::string, SourcePos> pos_;
  std::map<std::string, bool> given_;
};

/// One line per field: "  key = default [unit]  help", for `collabsim list`.
std::string describe_fields(std::span<const Field> fields, const std::string& indent = "    ");

}  // namespace collabsim
