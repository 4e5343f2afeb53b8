#include "sim/hardware/user_devices.hpp"

#include <algorithm>

namespace collabsim {

UserDevice* UserDevices::bound(std::size_t device, std::int64_t user) {
  const DeviceSpec& d = devices_[device];
  if (!d.per_user || !d.bind_user || user < 0) return nullptr;
  auto& m = by_device_[device];
  auto it = m.find(user);
  if (it == m.end()) it = m.emplace(user, std::make_unique<UserDevice>(engine_, d, device, user)).first;
  return it->second.get();
}

const UserDevice* UserDevices::find(std::size_t device, std::int64_t user) const {
  if (device >= by_device_.size()) return nullptr;
  const auto it = by_device_[device].find(user);
  return it == by_device_[device].end() ? nullptr : it->second.get();
}

void UserDevices::settle_idle(SimTime now) {
  for (auto& m : by_device_)
    for (auto& [u, dev] : m) dev->settle_idle(now);
}

std::vector<const UserDevice*> UserDevices::all() const {
  std::vector<const UserDevice*> out;
  for (const auto& m : by_device_) {
    const std::size_t first = out.size();
    for (const auto& [u, dev] : m) out.push_back(dev.get());
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const UserDevice* a, const UserDevice* b) { return a->user < b->user; });
  }
  return out;
}

}  // namespace collabsim
