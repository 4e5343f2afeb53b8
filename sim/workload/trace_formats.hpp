#pragma once
/// \file trace_formats.hpp
/// The trace formats collabsim reads, in one table: `workload.format`'s allowed values
/// (and `collabsim list`) and open_trace() both come from it. A new format is a
/// TraceReader subclass plus one entry here (docs/EXTENDING.md).

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/workload/trace_record.hpp"

namespace collabsim::workload {

struct TraceFormat {
  std::string_view name;         ///< the `workload.format` value, e.g. "azure_csv"
  std::string_view description;  ///< what the file holds (columns, units)
  /// Opens a streaming reader; throws InputError for a file that cannot be read.
  std::unique_ptr<TraceReader> (*open)(const std::filesystem::path& file);
};

/// Every format, in `collabsim list` order.
std::span<const TraceFormat> trace_formats();

/// The formats' names.
std::vector<std::string> trace_format_names();

}  // namespace collabsim::workload
