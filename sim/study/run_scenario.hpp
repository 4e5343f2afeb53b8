#pragma once
/// \file run_scenario.hpp
/// Assembles a validated Scenario into a running simulation (topology, deployments,
/// network, workload, quality join, mechanism), runs it and writes the HDF5 result.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/io/summary.hpp"

namespace collabsim {

class InputCache;
class DecisionHook;

/// Where a running simulation is, for progress displays.
struct RunProgress {
  double sim_s = 0;              ///< simulated time, s
  double horizon_s = 0;          ///< arrival time of the last request (trace span × repeat / rate_scale), s
  std::uint64_t arrived = 0;     ///< requests that have arrived so far
  std::uint64_t total = 0;       ///< requests the run will replay
};

/// How to run (none of this changes a result value).
struct RunOptions {
  InputCache* inputs = nullptr;  ///< shared traces and quality tables (sweeps); null = read the files
  bool write_requests = true;    ///< write the /requests table
  bool in_memory = false;        ///< build the result as an HDF5 image (RunResult::image), write no file
  bool warn = true;              ///< print warnings (saturated shared devices) on stderr
  /// Extra string attributes on the result's root group (e.g. calibrated_value).
  std::vector<std::pair<std::string, std::string>> attributes;
  /// Takes the decisions of its kind from the mechanism and hears every finished request
  /// (sim/mechanisms/decision.hpp; collabsim.CollaborationEnv); null = none (the CLI).
  DecisionHook* decisions = nullptr;
  /// Called every 2,048 arrivals and at the end (null = none).
  std::function<void(const RunProgress&)> progress;
};

struct RunResult {
  Summary summary;
  std::filesystem::path output;     ///< the file written (empty for in-memory runs)
  std::vector<unsigned char> image; ///< the whole HDF5 result, when RunOptions::in_memory
  std::uint64_t events = 0;         ///< engine events processed
  double wall_seconds = 0;          ///< host time of the run (not written to the HDF5 file)
  std::vector<std::string> warnings;  ///< e.g. "shared device 'cloud' stayed saturated ..."
};

/// Runs `scenario` and writes `scenario.run.output` atomically (temp file + rename).
/// Throws InputError for bad input found while running (e.g. a trace row that does not
/// parse); the previous result file, if any, is then left untouched.
RunResult run_scenario(const Scenario& scenario, const RunOptions& options = {});

}  // namespace collabsim
