#pragma once
/// \file sweep.hpp
/// `collabsim sweep`: every point of a SweepSpec run (threads × MPI ranks), each finished
/// point kept as it completes, and one result file (layout in docs/HDF5.md):
///   /sweep/points     one row per point: point, combo, seed_index, seed, status, one typed
///                     column per swept key, every /summary metric, error
///   /sweep/aggregate  one row per combination: combo, swept keys, n_seeds, and for each
///                     metric m: m_mean, m_sd, m_ci95_lo, m_ci95_hi (Student t over seeds)
///   /sweep/runs/p<N>/ a copy of point N's run file (with /requests) when keep_requests
///
/// Resume: finished points live in `<out>.parts/p<N>.h5` (each written atomically) beside
/// `<out>.parts/manifest.txt`, which describes the sweep. Running the same command again
/// runs only the missing points; a different sweep (grid, seeds, --set, scenario text) is
/// an error that lists the differing manifest lines. The final file is written to a
/// temporary name and renamed; then the parts folder is removed.
///
/// Results never depend on the thread or rank count: every point is an independent
/// Engine with its own seed, and rows are written in point order.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/study/sweep_spec.hpp"
#include "sim/study/sweep_transport.hpp"

namespace collabsim {

struct SweepProgress {
  std::size_t done = 0;     ///< points finished (this invocation + reused)
  std::size_t total = 0;    ///< points in the sweep
  std::size_t failed = 0;
  double elapsed_s = 0;     ///< host seconds since the sweep started running points
  std::size_t ran = 0;      ///< points run by this invocation so far
};

struct SweepOptions {
  std::filesystem::path scenario;
  LoadOptions load;                  ///< --set overrides and --data-dir (its `output` is ignored)
  std::filesystem::path output;      ///< the sweep file
  std::vector<Axis> grid;            ///< --grid axes: added to [sweep], replacing an axis of the same key
  std::optional<bool> zip;           ///< --zip (overrides [sweep] mode)
  std::optional<int> seeds;          ///< --seeds (overrides [sweep] seeds)
  int threads = 1;                   ///< worker threads of this process (≥ 1)
  std::filesystem::path input_store; ///< parsed inputs kept across processes (InputCache); empty = none
  bool keep_requests = false;        ///< copy each point's /requests into the sweep file
  bool keep_going = false;           ///< record failing points and continue
  bool restart = false;              ///< discard finished points of an earlier, different sweep
  std::function<void(const SweepProgress&)> progress;  ///< rank 0, after every point (null = none)
  SweepTransport* transport = nullptr;                 ///< null = this process alone
};

struct SweepReport {
  std::size_t points = 0, ran = 0, reused = 0, failed = 0;
  double wall_s = 0;
  bool up_to_date = false;            ///< the output already held this sweep; nothing ran
  std::vector<std::string> failures;  ///< "point N (key=value, ...): message"
  /// Resume: parts that were not trusted and run again, and stray files ignored
  /// ("p000003.h5: it was made for another point specification; its point runs again").
  std::vector<std::string> resume_notes;
  std::filesystem::path output;
};

/// Runs the sweep. Throws InputError (exit 2) for a bad scenario, a bad axis, a swept key
/// the run does not use, a point that fails validation (unless keep_going: then it is a
/// row with status 1 and its message) and a resume of a different sweep. Only rank 0
/// writes files; every rank returns the same report.
SweepReport run_sweep(const SweepOptions& options);

/// The sweep's base scenario: the scenario with `options.load` (its `output` ignored). When
/// that does not load (e.g. the scenario lacks a required key such as `workload.trace`) and
/// the sweep has axes (--grid or [sweep]), it is loaded again with every axis at its first
/// value, so an axis may supply a key the scenario requires. Throws InputError: the first
/// error when there are no axes or the [sweep] table is malformed, else the error of the
/// second load. `used` (if given) receives the load options of the load that succeeded.
Scenario load_sweep_base(const SweepOptions& options, LoadOptions* used = nullptr);

/// FNV-1a 64-bit hash of `text` as 16 hex digits (manifest fingerprints).
std::string fnv1a_hex(const std::string& text);

}  // namespace collabsim
