#include "sim/hardware/user_devices.hpp"

#include <algorithm>

namespace collabsim {

UserDevice* UserDevices::bound(std::size_t device, std::int64_t user) {
  const DeviceSpec& d = devices_[device];
  if (!d.per_user || !d.bind_user || user < 0) return nullptr;
  PerDevice& p = by_device_[device];
  const auto u = static_cast<std::size_t>(user);
  if (u >= p.by_user.size()) p.by_user.resize(std::max(u + 1, p.by_user.size() + p.by_user.size() / 2), nullptr);
  UserDevice*& slot = p.by_user[u];
  if (!slot) slot = &p.emplace_back(engine_, d, device, user);
  return slot;
}

const UserDevice* UserDevices::find(std::size_t device, std::int64_t user) const {
  if (device >= by_device_.size() || user < 0) return nullptr;
  const auto& by_user = by_device_[device].by_user;
  const auto u = static_cast<std::size_t>(user);
  return u < by_user.size() ? by_user[u] : nullptr;
}

void UserDevices::settle_idle(SimTime now) {
  for (auto& p : by_device_)
    for (std::size_t i = 0; i < p.count; ++i) p.at(i).settle_idle(now);
}

std::vector<const UserDevice*> UserDevices::all() const {
  std::vector<const UserDevice*> out;
  for (const auto& p : by_device_)
    for (const UserDevice* dev : p.by_user)  // by user id
      if (dev) out.push_back(dev);
  return out;
}

}  // namespace collabsim
