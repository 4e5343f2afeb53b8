#include "sim/study/input_cache.hpp"

namespace collabsim {

std::shared_ptr<const TraceData> read_trace(const std::string& format, const std::filesystem::path& file) {
  auto data = std::make_shared<TraceData>();
  auto reader = workload::open_trace(format, file);
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

namespace {
/// Runs `load` once per slot; an exception is rethrown to every caller (call_once lets the
/// next caller retry, so each caller sees the same error).
template <class T, class F>
std::shared_ptr<const T> once(std::once_flag& flag, std::shared_ptr<const T>& value, F&& load) {
  std::call_once(flag, [&] { value = load(); });
  return value;
}
}  // namespace

std::shared_ptr<const TraceData> InputCache::trace(const std::string& format, const std::filesystem::path& file) {
  std::shared_ptr<Slot<TraceData>> slot;
  {
    std::lock_guard lock(mu_);
    auto& s = traces_[format + '\n' + file.string()];
    if (!s) s = std::make_shared<Slot<TraceData>>();
    slot = s;
  }
  return once(slot->once, slot->value, [&] { return read_trace(format, file); });
}

std::shared_ptr<const quality::QualityTable> InputCache::quality(const std::filesystem::path& file,
                                                                 const std::vector<std::string>& columns,
                                                                 const std::string& format,
                                                                 quality::BlankPolicy blank) {
  std::string key = file.string() + '\n' + format + '\n' + std::to_string(static_cast<int>(blank));
  for (const auto& c : columns) key += '\n' + c;
  std::shared_ptr<Slot<quality::QualityTable>> slot;
  {
    std::lock_guard lock(mu_);
    auto& s = tables_[key];
    if (!s) s = std::make_shared<Slot<quality::QualityTable>>();
    slot = s;
  }
  return once(slot->once, slot->value, [&] {
    return std::make_shared<const quality::QualityTable>(quality::QualityTable::load(file, columns, format, blank));
  });
}

}  // namespace collabsim
