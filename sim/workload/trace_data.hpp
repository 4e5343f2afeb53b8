#pragma once
/// \file trace_data.hpp
/// A whole trace in memory (every record of a trace file, read once through
/// workload::open_trace), as a replay (trace_source.hpp) or a generator's length pool uses it.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/workload/trace_record.hpp"

namespace collabsim::workload {

/// A whole trace in memory, rebased so the first arrival is 0.
struct TraceData {
  std::vector<TraceRecord> records;  ///< in file order, arrival_ns non-decreasing
  std::int64_t span_ns = 0;          ///< last arrival − first arrival, ns
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

}  // namespace collabsim::workload
