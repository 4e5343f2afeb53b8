#pragma once
/// \file calibrate.hpp
/// Target calibration: the threshold that sends a chosen share of requests to the large
/// model, as RouteLLM's `calibrate_threshold` does (Ong et al. 2024, routellm/calibrate_threshold.py),
/// so that mechanisms can be compared at equal cost. RouteLLM takes a quantile of the
/// router's scores over a dataset; here the share is an outcome of the whole simulation
/// (a cascade escalates after seeing the small model's answer; outages and deadlines
/// change routes), so the value is found by bisection over full in-memory runs, made by a
/// runner the caller gives (point_runner.hpp's in_memory_runner for run, sweep and check).

#include <filesystem>
#include <functional>
#include <string>

#include "sim/io/summary.hpp"
#include "sim/scenario/scenario.hpp"

namespace collabsim {

struct Calibration {
  bool active = false;      ///< the scenario asked for a target share
  std::string key;          ///< the calibrated key, e.g. "mechanism.cascade.thresholds"
  double target = 0;        ///< requested large_share
  double value = 0;         ///< the value found (in [0, 1])
  double achieved = 0;      ///< large_share of the run with `value`
  int runs = 0;             ///< simulations it took
  std::string override_text;  ///< "key=value" to append to the overrides (with target_large_share=-1)
};

/// Bisection runs per calibration at most (the step after k runs is 2^-k: 16 runs → 1.5e-5).
inline constexpr int kCalibrationRuns = 16;

/// Runs the scenario with `load` (its overrides carry the value tried) and returns the
/// run's summary. Throws InputError for bad input, std::runtime_error for other failures.
using ShareRunner = std::function<Summary(const LoadOptions& load)>;

/// If the scenario (with `load.overrides`) sets `mechanism.<name>.target_large_share` ≥ 0,
/// bisects the mechanism's calibration_key over [0, 1] on in-memory runs (large_share
/// must not decrease as the key grows) and returns the value whose share is closest to the
/// target (the smaller value on a tie); `active` false otherwise. Every run is `run`'s.
/// Stops early when the share matches to within half a request. Throws InputError when the
/// mechanism has no calibration key or a cascade has more than one threshold, and what
/// `run` throws when a run fails.
Calibration calibrate_target_share(const std::filesystem::path& scenario, const LoadOptions& load,
                                   const ShareRunner& run);

/// The same with the scenario already loaded (`loaded` = load_scenario(scenario, load)), so
/// a caller that runs it when nothing is to be calibrated loads it once (issue 26: a load
/// costs ~3.6M instructions, ~0.8% of a sweep point). `loaded` is only read for its
/// mechanism; the calibration runs are `run`'s (which loads the scenario with their overrides).
Calibration calibrate_target_share(const Scenario& loaded, const LoadOptions& load, const ShareRunner& run);

/// A scenario as it runs, with its calibration (if any) and the options it was loaded with.
struct CalibratedScenario {
  Scenario scenario;
  Calibration calibration;
  LoadOptions load;  ///< the caller's options, plus the two overrides below when calibrated
};

/// `load_scenario(scenario, load)`, then calibrate_target_share on it; when that is active,
/// loaded again with the value found pinned: `load.overrides` gains
/// "mechanism.<name>.target_large_share=-1" and the calibrated "key=value". The load path of
/// `collabsim run`, sweep points and the Python module. Throws what load_scenario and
/// calibrate_target_share throw.
CalibratedScenario load_calibrated(const std::filesystem::path& scenario, LoadOptions load, const ShareRunner& run);

}  // namespace collabsim
