#pragma once
/// \file run_scenario.hpp
/// Assembles a validated Scenario into a running simulation (topology, deployments,
/// network, workload, quality join, mechanism), runs it and writes the HDF5 result.

#include <cstdint>
#include <filesystem>

#include "sim/io/scenario.hpp"
#include "sim/io/summary.hpp"

namespace collabsim {

struct RunResult {
  Summary summary;
  std::filesystem::path output;
  std::uint64_t events = 0;     ///< engine events processed
  double wall_seconds = 0;      ///< host time of the run (not written to the HDF5 file)
};

/// Runs `scenario` and writes `scenario.run.output` atomically (temp file + rename).
/// Throws InputError for bad input found while running (e.g. a trace row that does not
/// parse); the previous result file, if any, is then left untouched.
RunResult run_scenario(const Scenario& scenario);

}  // namespace collabsim
