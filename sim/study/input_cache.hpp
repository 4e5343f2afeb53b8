#pragma once
/// \file input_cache.hpp
/// Read-only inputs shared by the runs of one process: whole traces, quality tables and
/// measured latency profiles (through LoadOptions::profiles), each read once and handed
/// out as `shared_ptr<const ...>`. A sweep of 220 points reads
/// the 3.4 MB MMLU-Pro matrix and the Azure trace once instead of 220 times. Thread-safe:
/// concurrent callers asking for the same input wait for one load.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "sim/io/provenance.hpp"
#include "sim/hardware/profile_cache.hpp"
#include "sim/quality/quality_table.hpp"
#include "sim/workload/trace_data.hpp"

namespace collabsim {

/// With a `store` folder (InputCache(store)), the parsed traces and quality tables are
/// also kept on disk as byte images (core/binary_image.hpp) under `store`/inputs, keyed by
/// the input file's SHA-256 (FileHashCache, which keeps the hashes in `store`/hashes), the
/// load's arguments (format, columns, blank policy) and the build that parsed them (its
/// version, commit and the size and modification time of the binary holding the parser),
/// so later processes (CLI runs, MPI ranks, sweeps) read an image instead of parsing CSV.
/// An image is used only when whole; a missing, foreign or damaged one is parsed again and
/// rewritten (temp file + rename). Images hold exactly what the parser returned, so results
/// are bit-identical with and without the store. Store failures never fail a run.
class InputCache {
 public:
  InputCache() = default;
  explicit InputCache(std::filesystem::path store);
  /// The trace `file` in `format`, read on first use. Throws as workload::read_trace.
  std::shared_ptr<const workload::TraceData> trace(const std::string& format, const std::filesystem::path& file);
  /// The quality table `file` with `columns` loaded (QualityTable::load in `format` with
  /// the `blank` policy), read on first use of that (file, columns, format, blank) tuple.
  /// Throws as QualityTable::load.
  std::shared_ptr<const quality::QualityTable> quality(const std::filesystem::path& file,
                                                       const std::vector<std::string>& columns,
                                                       const std::string& format = "auto",
                                                       quality::BlankPolicy blank = quality::BlankPolicy::skip);

  /// SHA-256 of input files, each hashed once per process (provenance.hpp).
  FileHashCache& hashes() { return hashes_; }
  /// The latency-profile cache, for LoadOptions::profiles: the loads of this process parse
  /// each (profile file, splitwise selection) once (run_point sets it).
  ProfileCache& profiles() { return profiles_; }

 private:
  std::filesystem::path store_;  ///< empty: parse in this process only
  FileHashCache hashes_;
  ProfileCache profiles_;
  /// `store_`/inputs/<kind>-<key hash>.bin for the input `file` loaded with `args`, or empty
  /// (no store, or the file cannot be hashed: the loader then reports the error).
  std::filesystem::path image_path(const std::string& kind, const std::filesystem::path& file, const std::string& args);
  template <class T>
  struct Slot {
    std::once_flag once;
    std::shared_ptr<const T> value;
  };
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Slot<workload::TraceData>>> traces_;
  std::map<std::string, std::shared_ptr<Slot<quality::QualityTable>>> tables_;
};

}  // namespace collabsim
