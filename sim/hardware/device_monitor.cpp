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
    sum.power_w += l.power_w;
    sum.up_replicas += l.up_replicas;
  }
  DeviceSample out;
  out.busy_replicas = std::min(sum.busy_replicas, dev_.replicas);
  out.running = sum.running;
  out.waiting = sum.waiting;
  out.kv_used = sum.kv_used;
  // One server: its own power (Σ replica draws). Several deployments sharing the device's
  // replicas: the two-state bound over the busy replicas, as the idle accounting below.
  out.power_w = dev_.per_user ? 0.0 : servers_.size() == 1 ? sum.power_w : dev_.pool_power(out.busy_replicas);
  out.up_replicas = dev_.per_user ? 0 : servers_.size() == 1 ? sum.up_replicas : dev_.replicas;
  return out;
}

DeviceUsage DeviceMonitor::usage(double makespan_s) const {
  DeviceUsage u;
  for (const auto* s : servers_) {
    u.busy_s += s->busy_seconds();
    u.busy_energy_j += s->busy_energy();
    u.autoscaled = u.autoscaled || s->server().autoscaled();
    const Server::PrefixStats p = s->server().prefix_stats();
    u.prefix_cache = u.prefix_cache || p.on;
    u.prefix_prompt_tokens += p.prompt_tokens;
    u.prefix_hit_tokens += p.hit_tokens;
    const Server::PreemptionStats k = s->server().preemption_stats();
    u.paged = u.paged || k.on;
    u.preemptions += k.preemptions;
    u.recompute_tokens += k.recompute_tokens;
  }
  if (!dev_.per_user) {
    u.shared = true;
    double capacity = makespan_s * dev_.replicas;  // fixed provisioning: every replica up all the run
    if (u.autoscaled) {
      ReplicaTime t;
      for (const auto* s : servers_) {
        const ReplicaTime r = s->server().autoscaled() ? s->server().replica_time(makespan_s)
                                                       : ReplicaTime{makespan_s * dev_.replicas, 0, 0};
        t.up_s += r.up_s;
        t.starting_s += r.starting_s;
        t.stopped_s += r.stopped_s;
      }
      capacity = t.up_s;
      u.up_replica_s = t.up_s;
      u.startup_energy_j = dev_.idle_energy(t.starting_s);
      u.standby_energy_j = dev_.standby_watts() * t.stopped_s;
    }
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
