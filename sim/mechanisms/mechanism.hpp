#pragma once
/// \file mechanism.hpp
/// A collaboration mechanism: the story of one request, told as a coroutine over the
/// Context API. Mechanisms are registered by name with their parameters declared once
/// (registry.hpp); `collabsim list` prints them.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/io/params.hpp"
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
  virtual std::vector<std::pair<std::string, std::pair<std::string, double>>> stats() const { return {}; }
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
};

}  // namespace collabsim
