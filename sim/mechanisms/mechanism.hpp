#pragma once
/// \file mechanism.hpp
/// A collaboration mechanism: the story of one request, told as a coroutine over the
/// Context API. Mechanisms are registered by name with their parameters declared once
/// (registry.hpp); `collabsim list` prints them.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/measurement.hpp"
#include "sim/io/metric_row.hpp"
#include "sim/config/params.hpp"
#include "sim/mechanisms/context.hpp"

namespace collabsim {

class Mechanism {
 public:
  virtual ~Mechanism() = default;
  /// Serves one request and fills `rec` (Context::ask accounts resources, Context::finish
  /// sets the answer). Runs as a process in the engine.
  virtual Task<void> serve(const Request& r, RequestRecord& rec) = 0;
  /// Deployments that count as "large" for the large_share metric.
  virtual std::vector<std::size_t> large_deployments() const = 0;
  /// Mechanism-specific run statistics, written as the one-row dataset /mechanism:
  /// (name, (unit, value)). Default: none.
  virtual MetricRow stats() const { return {}; }
  /// stats() declared for the run's recorder (core/measurement.hpp): the row /mechanism at
  /// the end of the run, none when stats() is empty. The mechanism must outlive the source.
  MeasurementSource measurements() const {
    MeasurementSource src;
    src.path = "mechanism";
    src.row_at = RowAt::path;
    src.summary = [this](double) {
      std::vector<NamedValue> row;
      for (const auto& [name, v] : stats()) row.push_back({name, v.first, v.second});
      return row;
    };
    return src;
  }
  /// s since the start of the run at which the mechanism's background work (not tied to
  /// a user request, e.g. distillation labelling jobs) ended; 0 = none. Devices are
  /// accounted (utilisation, idle energy) up to max(makespan, this).
  virtual double background_end_s() const { return 0; }
};

/// Registry entry: name, one-line summary, the paper/system it follows, parameters, factory.
struct MechanismInfo {
  std::string name;
  std::string summary;
  std::string reference;
  std::vector<Field> params;  ///< declared once: validation and `collabsim list`
  std::function<std::unique_ptr<Mechanism>(Context&, const ParamSet&)> make;
  /// Quality-table columns the mechanism reads beyond its deployments' (may be empty).
  std::function<std::vector<std::string>(const ParamSet&)> extra_columns;
  /// Which questions the request → question join may draw (given the parameters and the
  /// scenario file); an empty function or result = every question. A mechanism with a
  /// trained kernel keeps the kernel's training questions out (kernel_score.hpp).
  std::function<std::function<bool(std::int64_t)>(const ParamSet&, const Scenario&)> question_filter;
  /// The parameter in [0, 1] that `target_large_share` calibrates (the large-model share
  /// must not decrease as it grows), e.g. "thresholds"; empty = not calibratable.
  std::string calibration_key;
};

/// `target_large_share`: when set (in [0, 1]), the run first finds the value of the
/// mechanism's calibration_key that sends this share of requests to the large model
/// (sim/study/calibrate.hpp), as RouteLLM's calibrate_threshold does, so mechanisms can be
/// compared at equal cost. −1 = off.
inline Field target_share_field(const std::string& key) {
  return Field::real("target_large_share", -1.0, "1",
                     "find the " + key + " that sends this share of requests to the large model (-1 = off)", -1.0,
                     1.0);
}

}  // namespace collabsim
