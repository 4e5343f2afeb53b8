#pragma once
/// \file mooncake_trace.hpp
/// Streaming reader of the Mooncake FAST'25 traces (Qin et al., FAST 2025;
/// kvcache-ai/Mooncake, Apache-2.0): JSON lines with `timestamp` (ms since the trace
/// start), `input_length`, `output_length` (tokens) and `hash_ids` (prefix-block ids,
/// 512 tokens per block). A small strict parser: flat objects of these four keys.

#include <fstream>
#include <vector>

#include "sim/workload/trace_clock.hpp"
#include "sim/workload/trace_record.hpp"

namespace collabsim::workload {

class MooncakeTraceReader final : public TraceReader {
 public:
  /// Throws InputError for a file that cannot be opened or is not a regular file of at
  /// most 4 GiB.
  explicit MooncakeTraceReader(const std::filesystem::path& file);
  /// Throws InputError (file, line, column, key) for malformed JSON, a missing, negative
  /// or duplicate field, an unknown key, characters after the object (trailing garbage, a
  /// second object), a token count above kMaxRequestTokens, a timestamp earlier than the
  /// previous line's or more than kMaxTraceSpanNs after the first line's, a line over
  /// 4 MiB, and at the end of a file with no records at all.
  std::optional<TraceRecord> next() override;
  const std::filesystem::path& path() const override { return path_; }
  /// Prefix-block hash ids of the last record returned.
  const std::vector<std::int64_t>& hash_ids() const { return hash_ids_; }
  std::span<const std::int64_t> prefix_blocks() const override { return hash_ids_; }

 private:
  std::filesystem::path path_;
  std::ifstream in_;
  std::size_t line_ = 0;
  TraceClock clock_{1'000'000};  // timestamps in ms
  std::size_t rows_ = 0;
  std::vector<std::int64_t> hash_ids_;
};

}  // namespace collabsim::workload
