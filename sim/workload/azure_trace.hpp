#pragma once
/// \file azure_trace.hpp
/// Streaming reader of the Azure LLM inference trace 2023 (Patel et al., "Splitwise",
/// ISCA 2024; Azure/AzurePublicDataset, CC BY 4.0): CSV with header
/// `TIMESTAMP,ContextTokens,GeneratedTokens`, TIMESTAMP like `2023-11-16 18:15:46.6805900`
/// (wall clock, 7 fractional digits = 100 ns units, no time zone). Timestamps are parsed
/// exactly into integer nanoseconds (days from the civil date, no floating point).

#include <fstream>

#include "sim/workload/trace_clock.hpp"
#include "sim/workload/trace_record.hpp"

namespace collabsim::workload {

class AzureTraceReader final : public TraceReader {
 public:
  /// Opens the file and checks the header. Throws InputError for a missing file (saying
  /// where the trace comes from), a file that is not a regular file of at most 4 GiB, an
  /// empty file or a wrong header (the line is not echoed).
  explicit AzureTraceReader(const std::filesystem::path& file);
  /// Throws InputError naming file:line:column and the column for a malformed row, a
  /// timestamp that is not a calendar date of years kMinTraceYear..kMaxTraceYear, a token
  /// count outside [0, kMaxRequestTokens], a timestamp earlier than the previous row's or
  /// more than kMaxTraceSpanNs after the first row's, a line over 4 MiB, and at the end of
  /// a trace that had no rows at all (header only).
  std::optional<TraceRecord> next() override;
  const std::filesystem::path& path() const override { return path_; }

 private:
  std::filesystem::path path_;
  std::ifstream in_;
  std::size_t line_ = 1;
  TraceClock clock_{1};  // timestamps in ns
  std::size_t rows_ = 0;
};

/// Parses `YYYY-MM-DD HH:MM:SS[.fffffff]` into ns since 1970-01-01 (UTC, proleptic
/// Gregorian; Hinnant's days_from_civil). std::nullopt when malformed, when the date does
/// not exist (2023-11-31, 2023-02-29) or the year is outside kMinTraceYear..kMaxTraceYear
/// (so the result always fits 64-bit nanoseconds).
std::optional<std::int64_t> parse_timestamp_ns(std::string_view text);

}  // namespace collabsim::workload
