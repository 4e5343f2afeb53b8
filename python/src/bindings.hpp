#pragma once
/// \file bindings.hpp
/// What the files of the extension module `collabsim._collabsim` share.

#include <memory>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "sim/scenario/scenario.hpp"
#include "sim/study/input_cache.hpp"

namespace collabsim::python {

/// A validated scenario as Python holds it: the Scenario, the overrides it was loaded with
/// (after a target-share calibration, the calibrated value's override included) and the
/// input cache its runs share (traces and quality tables are read once per cache).
struct LoadedScenario {
  Scenario scenario;
  std::vector<std::string> overrides;
  std::shared_ptr<InputCache> inputs;
  std::string calibrated_key;   ///< empty = no target_large_share calibration
  double calibrated_value = 0;  ///< the calibrated value of calibrated_key
};

/// Adds the environment driver `EnvDriver` (env.cpp) to the module.
void bind_environment(pybind11::module_& m);

}  // namespace collabsim::python
