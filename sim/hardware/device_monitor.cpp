#include "sim/hardware/device_monitor.hpp"

#include <algorithm>
#include <limits>

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

MeasurementSource DeviceMonitor::measurements() const {
  MeasurementSource m;
  m.path = "devices/" + dev_.name;
  m.summary = [this](double horizon_s) { return usage_columns(usage(horizon_s)); };
  if (dev_.per_user) return m;
  // batch_share = running / (batch capacity × replicas up): the share of the pool's sequence
  // slots in use, beside busy_replicas (replicas with any sequence running).
  m.series = {{"busy_replicas", "replicas"}, {"running", "sequences"}, {"batch_share", "1"},
              {"waiting", "requests"},       {"kv_used_bytes", "bytes"}, {"power_w", "W"}};
  const bool autoscaled =
      std::any_of(servers_.begin(), servers_.end(), [](const DeploymentServer* s) { return s->server().autoscaled(); });
  if (autoscaled) m.series.push_back({"up_replicas", "replicas"});  // replicas up or starting
  m.sample = [this, autoscaled](SimTime, std::span<double> out) {
    const DeviceSample d = sample();
    const double up = autoscaled ? d.up_replicas : static_cast<double>(dev_.replicas);
    const double slots = static_cast<double>(batch_capacity()) * up;
    out[0] = d.busy_replicas;
    out[1] = static_cast<double>(d.running);
    out[2] = slots > 0 ? static_cast<double>(d.running) / slots : 0.0;
    out[3] = static_cast<double>(d.waiting);
    out[4] = d.kv_used;
    out[5] = d.power_w;
    if (autoscaled) out[6] = d.up_replicas;
  };
  return m;
}

std::vector<NamedValue> usage_columns(const DeviceUsage& u) {
  std::vector<NamedValue> cols;
  cols.push_back({"busy_s", "s", u.busy_s});
  cols.push_back({"busy_energy_j", "J", u.busy_energy_j});
  if (!u.shared) return cols;
  if (u.paged) cols.push_back({"preemptions", "sequences", static_cast<double>(u.preemptions)});
  cols.push_back({"utilisation", "1", u.utilisation});
  cols.push_back({"batch_occupancy", "1", u.batch_occupancy});
  cols.push_back({"batch_capacity", "sequences", static_cast<double>(u.batch_capacity)});
  cols.push_back({"mean_batch", "sequences", u.mean_batch});
  cols.push_back({"idle_energy_j", "J", u.idle_energy_j});
  cols.push_back({"no_traffic_energy_j", "J", u.no_traffic_energy_j});
  if (u.autoscaled) {  // docs/ENERGY.md: busy + idle + startup + standby = ∫ power dt
    cols.push_back({"startup_energy_j", "J", u.startup_energy_j});
    cols.push_back({"standby_energy_j", "J", u.standby_energy_j});
    cols.push_back({"up_replica_s", "s", u.up_replica_s});
  }
  if (u.prefix_cache) {  // deployments.<name>.prefix_cache on this device
    cols.push_back({"prefix_prompt_tokens", "tokens", static_cast<double>(u.prefix_prompt_tokens)});
    cols.push_back({"prefix_hit_tokens", "tokens", static_cast<double>(u.prefix_hit_tokens)});
    cols.push_back({"prefix_hit_rate", "1",
                    u.prefix_prompt_tokens > 0 ? static_cast<double>(u.prefix_hit_tokens) /
                                                     static_cast<double>(u.prefix_prompt_tokens)
                                               : std::numeric_limits<double>::quiet_NaN()});
  }
  return cols;
}

DeviceUsage DeviceMonitor::usage(double makespan_s) const {
  DeviceUsage u;
  double seq_s = 0;
  for (const auto* s : servers_) {
    u.busy_s += s->busy_seconds();
    seq_s += s->server().sequence_seconds();
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
    u.batch_capacity = batch_capacity();
    const double slots = capacity * u.batch_capacity;
    u.batch_occupancy = slots > 0 ? seq_s / slots : 0.0;
    u.no_traffic_energy_j = no_traffic_energy(makespan_s);
  }
  u.mean_batch = u.busy_s > 0 ? seq_s / u.busy_s : 0.0;
  return u;
}

int DeviceMonitor::batch_capacity() const {
  int c = 1;
  for (const auto* s : servers_) c = std::max(c, s->server().batch_capacity());
  return c;
}

double DeviceMonitor::no_traffic_energy(double makespan_s) const {
  // Fixed provisioning: every replica up and idle the whole run; autoscaled deployments
  // rest at their min replicas (the largest, when several share the device).
  int idle = 0;
  for (const auto* s : servers_)
    idle = std::max(idle, s->server().autoscaled() ? s->spec().batching->autoscale->min_replicas : dev_.replicas);
  idle = std::min(idle, dev_.replicas);
  return dev_.idle_energy(makespan_s * idle) + dev_.standby_watts() * makespan_s * (dev_.replicas - idle);
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
