#include "sim/workload/trace_data.hpp"

namespace collabsim::workload {

std::shared_ptr<const TraceData> read_trace(const std::string& format, const std::filesystem::path& file) {
  auto data = std::make_shared<TraceData>();
  auto reader = open_trace(format, file);
  data->block_begin.push_back(0);
  while (auto rec = reader->next()) {
    data->records.push_back(*rec);
    const auto b = reader->prefix_blocks();
    data->blocks.insert(data->blocks.end(), b.begin(), b.end());
    data->block_begin.push_back(data->blocks.size());
  }
  if (data->blocks.empty()) data->block_begin = {};  // a format without prefix blocks (frees the offsets)
  data->blocks.shrink_to_fit();
  if (!data->records.empty()) data->span_ns = data->records.back().arrival_ns - data->records.front().arrival_ns;
  return data;
}

}  // namespace collabsim::workload
