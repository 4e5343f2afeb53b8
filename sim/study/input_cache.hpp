#pragma once
/// \file input_cache.hpp
/// Read-only inputs shared by the runs of one process: whole traces and quality tables,
/// each read once and handed out as `shared_ptr<const ...>`. A sweep of 220 points reads
/// the 3.4 MB MMLU-Pro matrix and the Azure trace once instead of 220 times. Thread-safe:
/// concurrent callers asking for the same input wait for one load.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "sim/quality/quality_table.hpp"
#include "sim/workload/trace_record.hpp"

namespace collabsim {

/// A whole trace in memory, rebased so the first arrival is 0.
struct TraceData {
  std::vector<workload::TraceRecord> records;  ///< in file order, arrival_ns non-decreasing
  std::int64_t span_ns = 0;                    ///< last arrival − first arrival, ns
  /// Prefix-block hash ids of every record, concatenated in record order (Mooncake; empty
  /// for formats without them): record i's are blocks[block_begin[i], block_begin[i + 1]).
  std::vector<std::int64_t> blocks;
  std::vector<std::size_t> block_begin;  ///< records + 1 offsets when blocks is non-empty, else empty
  /// Record i's prefix-block ids (empty without them).
  std::span<const std::int64_t> prefix_blocks(std::size_t i) const {
    if (block_begin.empty()) return {};
    return std::span<const std::int64_t>(blocks).subspan(block_begin[i], block_begin[i + 1] - block_begin[i]);
  }
};

/// Reads a whole trace through workload::open_trace. Throws InputError (file, line) for a
/// row that does not parse, exactly as the streaming reader does.
std::shared_ptr<const TraceData> read_trace(const std::string& format, const std::filesystem::path& file);

class InputCache {
 public:
  /// The trace `file` in `format`, read on first use. Throws as read_trace.
  std::shared_ptr<const TraceData> trace(const std::string& format, const std::filesystem::path& file);
  /// The quality table `file` with `columns` loaded (QualityTable::load in `format` with
  /// the `blank` policy), read on first use of that (file, columns, format, blank) tuple.
  /// Throws as QualityTable::load.
  std::shared_ptr<const quality::QualityTable> quality(const std::filesystem::path& file,
                                                       const std::vector<std::string>& columns,
                                                       const std::string& format = "auto",
                                                       quality::BlankPolicy blank = quality::BlankPolicy::skip);

 private:
  template <class T>
  struct Slot {
    std::once_flag once;
    std::shared_ptr<const T> value;
  };
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Slot<TraceData>>> traces_;
  std::map<std::string, std::shared_ptr<Slot<quality::QualityTable>>> tables_;
};

}  // namespace collabsim
