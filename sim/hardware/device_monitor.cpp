#include "sim/hardware/device_monitor.hpp"

#include <algorithm>

namespace collabsim {

DeviceSample DeviceMonitor::sample() const {
  ServerLoad sum;
  for (const auto* s : servers_) {
    const auto l = s->load();
    sum.busy_replicas += l.busy_replicas;
    sum.running += l.running;
    sum.waiting += l.waiting;
    sum.kv_used += l.kv_used;
  }
  DeviceSample out;
  out.busy_replicas = std::min(sum.busy_replicas, dev_.replicas);
  out.running = sum.running;
  out.waiting = sum.waiting;
  out.kv_used = sum.kv_used;
  out.power_w = dev_.per_user ? 0.0 : dev_.pool_power(out.busy_replicas);
  return out;
}

DeviceUsage DeviceMonitor::usage(double makespan_s) const {
  DeviceUsage u;
  for (const auto* s : servers_) u.busy_s += s->busy_seconds();
  u.busy_energy_j = dev_.busy_energy(u.busy_s);
  if (!dev_.per_user) {
    u.shared = true;
    const double capacity = makespan_s * dev_.replicas;
    u.utilisation = capacity > 0 ? u.busy_s / capacity : 0.0;
    u.idle_energy_j = dev_.idle_energy(std::max(0.0, capacity - u.busy_s));
  }
  return u;
}

std::vector<DeviceMonitor> monitor_devices(std::span<const DeviceSpec> devices,
                                           const std::vector<std::unique_ptr<DeploymentServer>>& servers) {
  std::vector<DeviceMonitor> out;
  for (const auto& dev : devices) {
    std::vector<const DeploymentServer*> on;
    for (const auto& s : servers)
      if (s->spec().device == dev.name) on.push_back(s.get());
    out.emplace_back(dev, std::move(on));
  }
  return out;
}

}  // namespace collabsim
