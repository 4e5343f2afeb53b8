#pragma once
/// \file metric_catalog.hpp
/// Every /summary metric with its unit and the direction in which it gets better, for
/// `compare` and `check`: a change in the worse direction beyond tolerance is a
/// regression, a change of a metric without direction (counts of the workload, shares
/// that depend on the policy rather than measure it) is only shown.

#include <span>
#include <string>
#include <string_view>

namespace collabsim {

/// Which way a metric improves.
enum class Better {
  higher,  ///< more is better (quality_mean, throughput_rps, n_ok)
  lower,   ///< less is better (latencies, cost, energy, failures)
  none,    ///< informational: a change is shown, never a regression (n_requests, large_share)
};

/// "higher", "lower" or "none".
std::string_view to_string(Better b);

/// One /summary metric.
struct MetricInfo {
  std::string_view name;         ///< field name in /summary (Summary::columns())
  std::string_view unit;         ///< unit of the value, as in the file's `units` attribute
  Better better;                 ///< direction of improvement
  std::string_view description;  ///< one line for --help and docs
  /// The docs/GLOSSARY.md row that defines it in full: text its first cell contains (a
  /// unit test holds every term against the file).
  std::string_view glossary = {};
  /// Where the definition comes from (paper), or "collabsim" for the simulator's own.
  std::string_view source = {};
};

/// All /summary metrics in /summary column order (the same order and units as
/// Summary::columns(); a unit test keeps the two in step).
std::span<const MetricInfo> metric_catalog();

/// The catalog entry named `name`, or nullptr when there is none.
const MetricInfo* find_metric(std::string_view name);

/// The catalog name closest to `name` by edit distance (at most 1/3 of its length away),
/// or "" when nothing is close: the did-you-mean of error messages.
std::string closest_metric(std::string_view name);

/// " (did you mean 'X'?)" for an unknown metric name, or "" when nothing is close.
std::string did_you_mean_metric(std::string_view name);

}  // namespace collabsim
