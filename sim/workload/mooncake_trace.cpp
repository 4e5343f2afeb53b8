#include "sim/workload/mooncake_trace.hpp"

#include <cctype>
#include <charconv>
#include <string>

#include "sim/core/error.hpp"
#include "sim/workload/azure_trace.hpp"

namespace collabsim::workload {

MooncakeTraceReader::MooncakeTraceReader(const std::filesystem::path& file) : path_(file), in_(file, std::ios::binary) {
  if (!in_)
    throw InputError(SourcePos{file, 0, 0}, "",
                     "cannot open the trace file; it is the Mooncake FAST'25 trace (repository kvcache-ai/Mooncake, "
                     "FAST25-release/traces/" + file.filename().string() +
                         ", Apache-2.0); expected under <data-dir>/traces/mooncake_fast25/");
}

std::optional<TraceRecord> MooncakeTraceReader::next() {
  std::string s;
  while (std::getline(in_, s)) {
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
      if (r.ec != std::errc()) throw fail(key, "expected an integer");
      i = static_cast<std::size_t>(r.ptr - s.data());
      if (i < s.size() && (s[i] == '.' || s[i] == 'e' || s[i] == 'E')) throw fail(key, "expected an integer, got a fraction");
      return v;
    };
    std::int64_t ts = -1, in = -1, out = -1;
    bool have_hash = false;
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
      if (key == "timestamp") ts = integer(key);
      else if (key == "input_length") in = integer(key);
      else if (key == "output_length") out = integer(key);
      else if (key == "hash_ids") {
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
    for (auto [v, key] : {std::pair{ts, "timestamp"}, std::pair{in, "input_length"}, std::pair{out, "output_length"}})
      if (v < 0) throw InputError(SourcePos{path_, line_, 1}, key, "missing or negative");
    (void)have_hash;
    if (!have_first_) {
      first_ms_ = last_ms_ = ts;
      have_first_ = true;
    }
    if (ts < last_ms_) throw InputError(SourcePos{path_, line_, 1}, "timestamp", "timestamp goes backwards");
    last_ms_ = ts;
    return TraceRecord{(ts - first_ms_) * 1'000'000, in, out, line_};
  }
  return std::nullopt;
}

std::unique_ptr<TraceReader> open_trace(const std::string& format, const std::filesystem::path& file) {
  if (format == "azure_csv") return std::make_unique<AzureTraceReader>(file);
  if (format == "mooncake_jsonl") return std::make_unique<MooncakeTraceReader>(file);
  throw InputError(SourcePos{file, 0, 0}, "workload.format", "unknown trace format '" + format + "'");
}

}  // namespace collabsim::workload
