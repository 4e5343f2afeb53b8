#include "sim/study/point_runner.hpp"

#include <chrono>
#include <exception>

#include <fmt/format.h>

#include "sim/core/error.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/study/run_scenario.hpp"

namespace collabsim {

PointOutcome run_point(const Scenario& sc, InputCache& inputs, bool keep_requests,
                       const std::vector<std::pair<std::string, std::string>>& attributes) {
  PointOutcome out;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    RunOptions opt;
    opt.inputs = &inputs;
    opt.write_requests = keep_requests;
    opt.in_memory = true;
    opt.warn = false;
    opt.attributes = attributes;
    RunResult r = run_scenario(sc, opt);
    out.ok = true;
    out.summary = r.summary;
    out.image = std::move(r.image);
    out.warnings = std::move(r.warnings);
  } catch (const InputError& e) {
    out.bad_input = true;
    out.error = e.what();
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

ShareRunner in_memory_runner(const std::filesystem::path& scenario, InputCache& inputs) {
  return [scenario, &inputs](const LoadOptions& load) {
    LoadOptions lo = load;
    if (!lo.profiles) lo.profiles = &inputs.profiles();
    // Loads and runs, never calibrates: calibrate_target_share drives this runner, so the
    // runner does not call back into calibration (its overrides set the calibrated value).
    const PointOutcome out = run_point(load_scenario(scenario, lo), inputs, false);
    if (!out.ok) {
      if (out.bad_input) throw InputError(SourcePos{}, "", out.error);
      throw std::runtime_error(out.error);
    }
    return out.summary;
  };
}

PointOutcome run_point(const std::filesystem::path& scenario, const LoadOptions& load_options, InputCache& inputs,
                       bool keep_requests, const std::vector<std::pair<std::string, std::string>>& attributes) {
  LoadOptions load = load_options;
  if (!load.profiles) load.profiles = &inputs.profiles();  // latency profiles parsed once per process
  try {
    const CalibratedScenario loaded = load_calibrated(scenario, load, in_memory_runner(scenario, inputs));
    const Scenario& sc = loaded.scenario;
    const Calibration& cal = loaded.calibration;
    std::vector<std::pair<std::string, std::string>> attrs;
    if (cal.active)
      attrs = {{"calibrated_key", cal.key},
               {"calibrated_value", fmt::format("{}", cal.value)},
               {"calibrated_large_share", fmt::format("{}", cal.achieved)}};
    attrs.insert(attrs.end(), attributes.begin(), attributes.end());
    PointOutcome out = run_point(sc, inputs, keep_requests, attrs);
    if (cal.active) {
      out.calibrated_key = cal.key;
      out.calibrated_value = cal.value;
    }
    return out;
  } catch (const InputError& e) {
    PointOutcome out;
    out.bad_input = true;
    out.error = e.what();
    return out;
  } catch (const std::exception& e) {
    PointOutcome out;
    out.error = e.what();
    return out;
  }
}

}  // namespace collabsim
