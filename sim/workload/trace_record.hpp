#pragma once
/// \file trace_record.hpp
/// One request row of a trace and the streaming reader interface.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace collabsim::workload {

/// Largest prompt or output length of one trace request: 10^7 tokens (Mooncake's longest
/// prompts are ~10^5); a larger count is an input error naming file and line.
inline constexpr std::int64_t kMaxRequestTokens = 10'000'000;
/// Largest arrival of a trace row after the first row: 10^18 ns = 10^9 s (≈ 31.7 years),
/// so arrivals and durations added to them stay far inside the 64-bit clock.
inline constexpr std::int64_t kMaxTraceSpanNs = 1'000'000'000'000'000'000;
/// Calendar years accepted in wall-clock trace timestamps (Azure).
inline constexpr int kMinTraceYear = 1970, kMaxTraceYear = 2200;

/// One request of a trace. `arrival_ns` is relative to the trace's first row (= 0).
struct TraceRecord {
  std::int64_t arrival_ns = 0;
  std::int64_t prompt_tokens = 0;  ///< tokens
  std::int64_t output_tokens = 0;  ///< tokens
  std::size_t line = 0;            ///< 1-based line in the file
};

/// Streams records one at a time (memory does not grow with the trace).
class TraceReader {
 public:
  virtual ~TraceReader() = default;
  /// Next record, std::nullopt at the end. Throws InputError (file, line, column) for a
  /// row that does not parse or exceeds the limits above, and when the end is reached
  /// without any record (an empty or header-only trace has nothing to simulate).
  virtual std::optional<TraceRecord> next() = 0;
  /// Prefix-block hash ids of the record next() returned last (Mooncake `hash_ids`: block i
  /// = tokens [512·i, 512·(i+1)) of the prompt; equal ids = identical prefix blocks); empty
  /// for formats without them. Valid until the next call of next().
  virtual std::span<const std::int64_t> prefix_blocks() const { return {}; }
  virtual const std::filesystem::path& path() const = 0;
};

/// Reader for `format`, one of trace_formats() (trace_formats.hpp). Throws InputError for
/// an unknown format or a file that cannot be opened.
std::unique_ptr<TraceReader> open_trace(const std::string& format, const std::filesystem::path& file);

}  // namespace collabsim::workload
