#include "sim/study/input_cache.hpp"

namespace collabsim {

namespace {
/// Runs `load` once per slot; an exception is rethrown to every caller (call_once lets the
/// next caller retry, so each caller sees the same error).
template <class T, class F>
std::shared_ptr<const T> once(std::once_flag& flag, std::shared_ptr<const T>& value, F&& load) {
  std::call_once(flag, [&] { value = load(); });
  return value;
}
}  // namespace

std::shared_ptr<const workload::TraceData> InputCache::trace(const std::string& format, const std::filesystem::path& file) {
  std::shared_ptr<Slot<workload::TraceData>> slot;
  {
    std::lock_guard lock(mu_);
    auto& s = traces_[format + '\n' + file.string()];
    if (!s) s = std::make_shared<Slot<workload::TraceData>>();
    slot = s;
  }
  return once(slot->once, slot->value, [&] { return workload::read_trace(format, file); });
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
