#pragma once
/// \file point_runner.hpp
/// One scenario with overrides, run in memory: the unit of work of `sweep` and `check`.

#include <filesystem>
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/io/summary.hpp"
#include "sim/study/calibrate.hpp"
#include "sim/study/input_cache.hpp"

namespace collabsim {

/// What a point produced. `ok` false: `error` says why (`bad_input`: an InputError, e.g.
/// a swept value that fails validation; else an internal error).
struct PointOutcome {
  bool ok = false;
  bool bad_input = false;
  std::string error;
  Summary summary;
  std::vector<unsigned char> image;   ///< the whole run result as an HDF5 file image
  std::vector<std::string> warnings;  ///< run warnings (saturated devices)
  double wall_s = 0;                  ///< host seconds
  std::string calibrated_key;         ///< set when target_large_share was calibrated (calibrate.hpp)
  double calibrated_value = 0;        ///< the value found for calibrated_key
};

/// Loads `scenario` with `load` (its overrides carry the point's values) and runs it in
/// memory with the shared `inputs`; /requests is written into the image only when
/// `keep_requests`. A `target_large_share` is calibrated first (calibrate.hpp). Never
/// throws for bad input: errors are returned in the outcome.
/// `attributes` go on the result's root group (after the calibration's).
PointOutcome run_point(const std::filesystem::path& scenario, const LoadOptions& load, InputCache& inputs,
                       bool keep_requests, const std::vector<std::pair<std::string, std::string>>& attributes = {});

/// As above for a scenario already loaded; `attributes` go on the result's root group.
PointOutcome run_point(const Scenario& sc, InputCache& inputs, bool keep_requests,
                       const std::vector<std::pair<std::string, std::string>>& attributes = {});

/// The runner calibrate_target_share drives (calibrate.hpp): `scenario` loaded with the
/// given load options (their overrides carry the value tried) and run in memory through
/// run_point(const Scenario&, ...) with the shared `inputs` (both must outlive it). It never
/// calibrates, so calibration and the point runner do not call each other. A failed run
/// throws InputError (bad input, also from loading) or std::runtime_error.
ShareRunner in_memory_runner(const std::filesystem::path& scenario, InputCache& inputs);

}  // namespace collabsim
