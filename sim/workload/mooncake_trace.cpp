#include "sim/workload/mooncake_trace.hpp"

#include <cctype>
#include <charconv>
#include <string>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"
#include "sim/workload/azure_trace.hpp"

namespace collabsim::workload {

namespace {
std::string mooncake_note(const std::filesystem::path& file) {
  return "it is the Mooncake FAST'25 trace (repository kvcache-ai/Mooncake, FAST25-release/traces/" +
         file.filename().string() + ", Apache-2.0); expected under <data-dir>/traces/mooncake_fast25/";
}
}  // namespace

MooncakeTraceReader::MooncakeTraceReader(const std::filesystem::path& file) : path_(file) {
  if (!input_exists(file))
    throw InputError(SourcePos{file, 0, 0}, "", "cannot open the trace file; " + mooncake_note(file));
  check_input_file(file, SourcePos{}, "", "the trace");
  in_.open(file, std::ios::binary);
  if (!in_) throw InputError(SourcePos{file, 0, 0}, "", "cannot open the trace file; " + mooncake_note(file));
}

namespace {
/// Throws InputError at `pos` for a missing (−1) or negative timestamp or length, and for
/// a token count above kMaxRequestTokens.
void check_row_values(const SourcePos& pos, std::int64_t ts, std::int64_t in, std::int64_t out) {
  for (auto [v, key] : {std::pair{ts, "timestamp"}, std::pair{in, "input_length"}, std::pair{out, "output_length"}})
    if (v < 0) throw InputError(pos, key, "missing or negative");
  for (auto [v, key] : {std::pair{in, "input_length"}, std::pair{out, "output_length"}})
    if (v > kMaxRequestTokens)
      throw InputError(pos, key,
                       std::to_string(v) + " tokens is above the limit of " + std::to_string(kMaxRequestTokens) +
                           " tokens per request");
}
}  // namespace

std::optional<TraceRecord> MooncakeTraceReader::next() {
  std::string s;
  while (read_line(in_, s, kMaxTraceLineBytes, path_, line_ + 1)) {
    ++line_;
    if (!s.empty() && s.back() == '\r') s.pop_back();
    if (s.find_first_not_of(" \t") == std::string::npos) continue;
    std::size_t i = 0;
    auto fail = [&](const std::string& key, const std::string& msg) -> InputError {
      return InputError(SourcePos{path_, line_, i + 1}, key, msg);
    };
    auto ws = [&] { while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i; };
    auto expect = [&](char c) {
      ws();
      if (i >= s.size() || s[i] != c) throw fail("", std::string("malformed JSON: expected '") + c + "'");
      ++i;
    };
    auto integer = [&](const std::string& key) {
      ws();
      std::int64_t v = 0;
      const auto r = std::from_chars(s.data() + i, s.data() + s.size(), v);
      if (r.ec == std::errc::result_out_of_range) throw fail(key, "integer does not fit 64 bits");
      if (r.ec != std::errc()) throw fail(key, "expected an integer");
      i = static_cast<std::size_t>(r.ptr - s.data());
      if (i < s.size() && (s[i] == '.' || s[i] == 'e' || s[i] == 'E')) throw fail(key, "expected an integer, got a fraction");
      return v;
    };
    std::int64_t ts = -1, in = -1, out = -1;
    bool have_hash = false;
    auto once = [&](bool seen, const std::string& key) {
      if (seen) throw fail(key, "duplicate key '" + key + "' in one object");
    };
    hash_ids_.clear();
    expect('{');
    ws();
    bool first = true;
    while (i < s.size() && s[i] != '}') {
      if (!first) expect(',');
      first = false;
      expect('"');
      const auto end = s.find('"', i);
      if (end == std::string::npos) throw fail("", "malformed JSON: unterminated key");
      const std::string key = s.substr(i, end - i);
      i = end + 1;
      expect(':');
      if (key == "timestamp") once(ts >= 0, key), ts = integer(key);
      else if (key == "input_length") once(in >= 0, key), in = integer(key);
      else if (key == "output_length") once(out >= 0, key), out = integer(key);
      else if (key == "hash_ids") {
        once(have_hash, key);
        have_hash = true;
        expect('[');
        ws();
        while (i < s.size() && s[i] != ']') {
          if (!hash_ids_.empty()) expect(',');
          hash_ids_.push_back(integer(key));
          ws();
        }
        expect(']');
      } else {
        throw fail(key, "unknown key (expected timestamp, input_length, output_length, hash_ids)");
      }
      ws();
    }
    expect('}');
    ws();
    if (i < s.size())
      throw fail("", "trailing characters after the JSON object (one object per line)");
    check_row_values(SourcePos{path_, line_, 1}, ts, in, out);
    (void)have_hash;
    const std::int64_t arrival = clock_.arrival_ns(ts, SourcePos{path_, line_, 1}, "timestamp");
    ++rows_;
    return TraceRecord{arrival, in, out, line_};
  }
  if (rows_ == 0)
    throw InputError(SourcePos{path_, line_, 0}, "", "the trace has no requests (empty file): nothing to simulate");
  return std::nullopt;
}

}  // namespace collabsim::workload
