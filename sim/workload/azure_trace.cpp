#include "sim/workload/azure_trace.hpp"

#include <charconv>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"

namespace collabsim::workload {
namespace {

/// Days since 1970-01-01 of a civil date (H. Hinnant, "chrono-Compatible Low-Level Date
/// Algorithms", days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, std::int64_t& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

std::string origin_note(const std::filesystem::path& p) {
  return "the Azure LLM inference trace 2023 (repository Azure/AzurePublicDataset, data/" +
         p.filename().string() + ", CC BY 4.0); expected under <data-dir>/traces/azure_llm_2023/";
}

}  // namespace

std::optional<std::int64_t> parse_timestamp_ns(std::string_view s) {
  std::int64_t Y, M, D, h, m, sec;
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':') return std::nullopt;
  if (!digits(s, 0, 4, Y) || !digits(s, 5, 2, M) || !digits(s, 8, 2, D) || !digits(s, 11, 2, h) ||
      !digits(s, 14, 2, m) || !digits(s, 17, 2, sec))
    return std::nullopt;
  if (Y < kMinTraceYear || Y > kMaxTraceYear || M < 1 || M > 12 || D < 1 || h > 23 || m > 59 || sec > 60)
    return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
  if (D > kDays[M - 1] + (M == 2 && leap ? 1 : 0)) return std::nullopt;  // 2023-11-31, 2023-02-29
  std::int64_t frac_ns = 0;
  if (s.size() > 19) {
    if (s[19] != '.' || s.size() == 20 || s.size() > 29) return std::nullopt;
    std::int64_t f;
    const std::size_t n = s.size() - 20;
    if (!digits(s, 20, n, f)) return std::nullopt;
    for (std::size_t i = n; i < 9; ++i) f *= 10;
    frac_ns = f;
  }
  const std::int64_t days = days_from_civil(Y, static_cast<unsigned>(M), static_cast<unsigned>(D));
  return ((days * 24 + h) * 60 + m) * 60'000'000'000LL + sec * 1'000'000'000LL + frac_ns;
}

AzureTraceReader::AzureTraceReader(const std::filesystem::path& file) : path_(file) {
  if (!input_exists(file))
    throw InputError(SourcePos{file, 0, 0}, "", "cannot open the trace file; it is " + origin_note(file));
  check_input_file(file, SourcePos{}, "", "the trace");
  in_.open(file, std::ios::binary);
  if (!in_) throw InputError(SourcePos{file, 0, 0}, "", "cannot open the trace file; it is " + origin_note(file));
  std::string header;
  if (!read_line(in_, header, kMaxTraceLineBytes, file, 1))
    throw InputError(SourcePos{file, 0, 0}, "header",
                     "the trace is empty: expected the header 'TIMESTAMP,ContextTokens,GeneratedTokens' and rows");
  if (!header.empty() && header.back() == '\r') header.pop_back();
  if (header.size() >= 3 && header.compare(0, 3, "\xEF\xBB\xBF") == 0) header.erase(0, 3);
  // The line is not echoed: a file of another format (or a secret) stays out of the message.
  if (header != "TIMESTAMP,ContextTokens,GeneratedTokens")
    throw InputError(SourcePos{file, 1, 1}, "header",
                     "expected the header 'TIMESTAMP,ContextTokens,GeneratedTokens' (an Azure LLM inference trace CSV)");
}

std::optional<TraceRecord> AzureTraceReader::next() {
  static const char* kCols[] = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
  std::string line;
  while (read_line(in_, line, kMaxTraceLineBytes, path_, line_ + 1)) {
    ++line_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::string_view f[3];
    std::size_t col[3];
    std::size_t start = 0, n = 0;
    for (;;) {
      const auto comma = line.find(',', start);
      if (n == 3) throw InputError(SourcePos{path_, line_, start + 1}, "row", "more than 3 fields");
      col[n] = start + 1;
      f[n++] = std::string_view(line).substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (n != 3)
      throw InputError(SourcePos{path_, line_, line.size() + 1}, kCols[n],
                       "missing field: expected 3 fields (TIMESTAMP,ContextTokens,GeneratedTokens), got " + std::to_string(n));
    const auto ts = parse_timestamp_ns(f[0]);
    if (!ts)
      throw InputError(SourcePos{path_, line_, col[0]}, kCols[0],
                       "'" + quote_excerpt(f[0]) +
                           "' is not a valid timestamp like 2023-11-16 18:15:46.6805900 (a calendar date "
                           "with year " + std::to_string(kMinTraceYear) + "-" + std::to_string(kMaxTraceYear) + ")");
    std::int64_t tok[2];
    for (int c = 0; c < 2; ++c) {
      const auto s = f[c + 1];
      const auto r = std::from_chars(s.data(), s.data() + s.size(), tok[c]);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size())
        throw InputError(SourcePos{path_, line_, col[c + 1]}, kCols[c + 1],
                         "'" + quote_excerpt(s) + "' is not an integer token count");
      if (tok[c] < 0)
        throw InputError(SourcePos{path_, line_, col[c + 1]}, kCols[c + 1], "negative token count " + std::string(s));
      if (tok[c] > kMaxRequestTokens)
        throw InputError(SourcePos{path_, line_, col[c + 1]}, kCols[c + 1],
                         "token count " + std::string(s) + " is above the limit of " +
                             std::to_string(kMaxRequestTokens) + " tokens per request");
    }
    const std::int64_t arrival = clock_.arrival_ns(*ts, SourcePos{path_, line_, col[0]}, kCols[0]);
    ++rows_;
    return TraceRecord{arrival, tok[0], tok[1], line_};
  }
  if (rows_ == 0)
    throw InputError(SourcePos{path_, line_, 0}, "",
                     "the trace has no requests (only a header): nothing to simulate");
  return std::nullopt;
}

}  // namespace collabsim::workload
