#pragma once
/// \file profile_cache.hpp
/// Measured latency profiles parsed once and shared: a deployment's `profile` CSV
/// (ProfileTable) or SplitwiseSim's perf_model.csv narrowed to its `splitwise` selection.
/// The loader parses a deployment's profile once and keeps it in the DeploymentSpec; given
/// a cache (LoadOptions::profiles, held by study/InputCache), every load of a process
/// (sweep points, calibration runs, golden cases) shares one parse per (file, selection).
/// Thread-safe: concurrent callers asking for the same profile wait for one parse.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "sim/hardware/profile_table.hpp"

namespace collabsim {

/// The profile of `file`: with `splitwise` empty, a ProfileTable CSV (throws InputError as
/// ProfileTable(file)); else SplitwiseSim's perf_model.csv narrowed to `splitwise`,
/// "model/hardware/tp" (throws as read_splitwise_perf, and std::invalid_argument for a
/// malformed or unmatched selection).
std::shared_ptr<const ProfileTable> load_profile(const std::filesystem::path& file, const std::string& splitwise);

class ProfileCache {
 public:
  /// load_profile(file, splitwise) on the first call for that pair, the same table after
  /// (a failed parse is retried by the next caller, which sees the same error).
  std::shared_ptr<const ProfileTable> get(const std::filesystem::path& file, const std::string& splitwise);

 private:
  struct Slot {
    std::once_flag once;
    std::shared_ptr<const ProfileTable> value;
  };
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Slot>> slots_;
};

}  // namespace collabsim
