#include "sim/workload/trace_formats.hpp"

#include "sim/core/error.hpp"
#include "sim/workload/azure_trace.hpp"
#include "sim/workload/mooncake_trace.hpp"

namespace collabsim::workload {

std::span<const TraceFormat> trace_formats() {
  static const TraceFormat formats[] = {
      {"azure_csv", "Azure LLM inference trace 2023/2024 CSV (TIMESTAMP, ContextTokens, GeneratedTokens)",
       [](const std::filesystem::path& f) -> std::unique_ptr<TraceReader> { return std::make_unique<AzureTraceReader>(f); }},
      {"mooncake_jsonl", "Mooncake FAST'25 JSON lines (timestamp ms, input_length, output_length, hash_ids)",
       [](const std::filesystem::path& f) -> std::unique_ptr<TraceReader> {
         return std::make_unique<MooncakeTraceReader>(f);
       }},
  };
  return formats;
}

std::vector<std::string> trace_format_names() {
  std::vector<std::string> out;
  for (const auto& f : trace_formats()) out.emplace_back(f.name);
  return out;
}

std::unique_ptr<TraceReader> open_trace(const std::string& format, const std::filesystem::path& file) {
  for (const auto& f : trace_formats())
    if (f.name == format) return f.open(file);
  throw InputError(SourcePos{file, 0, 0}, "workload.format", "unknown trace format '" + format + "'");
}

}  // namespace collabsim::workload
