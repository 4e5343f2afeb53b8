#include "sim/hardware/user_devices.hpp"

#include <algorithm>

namespace collabsim {

UserDevice* UserDevices::bound(std::size_t device, std::int64_t user) {
  const DeviceSpec& d = devices_[device];
  if (!d.per_user || !d.bind_user || user < 0) return nullptr;
  auto& m = by_device_[device];
  auto it = m.find(user);
  if (it == m.end()) it = m.emplace(user, std::make_unique<UserDevice>(engine_, d.user_concurrency, device, user)).first;
  return it->second.get();
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
