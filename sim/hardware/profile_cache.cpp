#include "sim/hardware/profile_cache.hpp"

#include "sim/hardware/splitwise_profile.hpp"

namespace collabsim {

std::shared_ptr<const ProfileTable> load_profile(const std::filesystem::path& file, const std::string& splitwise) {
  if (splitwise.empty()) return std::make_shared<const ProfileTable>(file);
  return std::make_shared<const ProfileTable>(splitwise_profile_table(file, parse_splitwise_select(splitwise)));
}

std::shared_ptr<const ProfileTable> ProfileCache::get(const std::filesystem::path& file, const std::string& splitwise) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard lock(mu_);
    auto& s = slots_[file.string() + '\n' + splitwise];
    if (!s) s = std::make_shared<Slot>();
    slot = s;
  }
  std::call_once(slot->once, [&] { slot->value = load_profile(file, splitwise); });
  return slot->value;
}

}  // namespace collabsim
