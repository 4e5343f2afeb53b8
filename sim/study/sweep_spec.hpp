#pragma once
/// \file sweep_spec.hpp
/// A parameter study: axes (scenario key paths with value lists or ranges), combined as a
/// grid (Cartesian product, first axis outermost) or zipped (i-th values together), points
/// to skip, and seeds per combination. Written on the command line (`--grid k=v1,v2`,
/// `--grid k=from:to:step`, `--zip`, `--seeds N`) or in the scenario's `[sweep]` table:
///
/// ```toml
/// [sweep]
/// mode = "grid"                                   # or "zip"
/// seeds = 5                                       # repetitions with seeds run.seed + 0..4
/// "mechanism.cascade.thresholds" = { from = 0.0, to = 1.0, step = 0.1 }
/// "workload.rate_scale" = [1, 2, 4, 8]
/// skip = [{ "workload.rate_scale" = 8, "mechanism.cascade.thresholds" = 0.0 }]
/// ```
///
/// The design follows OMNeT++'s iteration variables (${x=1..10 step 1}, repeat = N) and
/// Vidur's config explorer (grid from lists, one table out).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "sim/core/error.hpp"

namespace collabsim {

/// One value of an axis.
struct AxisValue {
  enum class Kind { Integer, Real, Boolean, Text, Other };
  Kind kind = Kind::Text;
  double number = 0;   ///< Integer, Real, Boolean (0/1)
  std::int64_t integer = 0;  ///< Integer: the exact value (number is its nearest double)
  std::string text;    ///< Text: the string; Other (arrays, tables): its TOML text
  std::string toml;    ///< the value in TOML syntax, as passed to `--set key=<toml>`
  bool operator==(const AxisValue& o) const { return toml == o.toml; }
};

/// A swept scenario key and its values, in sweep order.
struct Axis {
  std::string key;  ///< dotted key path, e.g. "mechanism.cascade.thresholds"
  std::vector<AxisValue> values;
  SourcePos pos;    ///< where the axis was declared
  /// Column type in the sweep tables: Integer (all integers or booleans), Real (numbers),
  /// else Text.
  AxisValue::Kind column_kind() const;
};

/// A point to skip: every (key, value) must match.
using SkipRule = std::vector<std::pair<std::string, AxisValue>>;

struct SweepSpec {
  std::vector<Axis> axes;
  bool zip = false;
  int seeds = 1;  ///< repetitions per combination, seeds run.seed + 0 .. seeds-1
  std::vector<SkipRule> skip;
};

/// One combination of axis values.
struct Combo {
  std::vector<AxisValue> values;  ///< parallel to SweepSpec::axes
};

/// One run of the sweep.
struct SweepPoint {
  std::uint64_t index = 0;  ///< combo × seeds + seed_index
  std::uint64_t combo = 0;
  int seed_index = 0;
  std::uint64_t seed = 0;
  std::vector<std::string> overrides;  ///< "key=value" for load_scenario, in order
};

/// Parses a value written on the command line: TOML syntax (0.3, 4, true, "x", [0.3]),
/// else a bare string (cascade).
AxisValue parse_axis_value(const std::string& text);
/// The value of a TOML node.
AxisValue axis_value_of(const toml::node& node);

/// `key=v1,v2,...` (each value as parse_axis_value; a TOML array literal stays one value
/// when written in brackets, e.g. `k=[0.3],[0.5]`) or `key=from:to:step` (numbers; `to` is
/// included when the range reaches it; values rounded to the step's decimals so 0:1:0.1
/// gives 0.3, not 0.30000000000000004). Throws InputError naming the argument.
Axis parse_grid_argument(const std::string& arg);

/// The `[sweep]` table of a scenario (std::nullopt-like empty spec when absent). Throws
/// InputError (file, line, key) for malformed entries.
SweepSpec sweep_from_table(const toml::table* sweep);

/// Most points (combinations × seeds) one sweep plans: the plan holds every point's
/// overrides in memory (~0.5-1 KB a point), so 250,000 points stay below ~250 MB (M1: a
/// 10^7-point grid used 4 GB before any point ran).
inline constexpr std::size_t kMaxSweepPoints = 250'000;

/// The combinations, in sweep order, without the skipped ones. Throws InputError when
/// zipped axes differ in length, an axis is empty, or combinations × seeds exceed
/// kMaxSweepPoints (checked before anything is expanded).
std::vector<Combo> expand_combos(const SweepSpec& spec);

/// Checks a swept key before anything runs: a known section; not run.name, run.output,
/// sweep.*; devices/links/deployments entries that exist in the base scenario `root`;
/// `mechanism.<name>.<key>` only where <name> is the mechanism the point runs
/// (`point_mechanism`), otherwise the key would be set and silently never read. Throws
/// InputError naming the key.
void check_swept_key(const Axis& axis, const toml::table& root, const std::string& point_mechanism);

/// Series name of each combination: the mechanism (the `mechanism.name` axis value, else
/// `mechanism`) plus the swept keys that change the system (every axis not under
/// `mechanism.`), e.g. "cascade (workload.rate_scale=2)". Axes under `mechanism.<name>.`
/// move a mechanism along its own curve and do not split series.
std::vector<std::string> series_names(const SweepSpec& spec, const std::vector<Combo>& combos,
                                      const std::string& mechanism);

}  // namespace collabsim
