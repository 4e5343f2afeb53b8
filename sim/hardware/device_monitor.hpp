#pragma once
/// \file device_monitor.hpp
/// What a device did, measured where the serving happens: the instantaneous load and power
/// of a device (Σ over the deployments it hosts) for timelines, and its busy time,
/// utilisation and busy/idle energy over a run for /devices/<name>/summary.

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "sim/core/measurement.hpp"
#include "sim/hardware/deployment_server.hpp"
#include "sim/hardware/device_spec.hpp"

namespace collabsim {

/// The device now.
struct DeviceSample {
  int busy_replicas = 0;    ///< replicas working (at most DeviceSpec::replicas)
  std::size_t running = 0;  ///< sequences / requests in service
  std::size_t waiting = 0;  ///< queued
  double kv_used = 0;       ///< bytes of KV cache reserved
  double power_w = 0;       ///< W of the pool: Σ its replicas' current draw (iteration power,
                            ///< idle, cold start, standby); 0 for per-user devices
  int up_replicas = 0;      ///< replicas loaded or loading (autoscaling; else DeviceSpec::replicas)
};

/// The device over a run.
struct DeviceUsage {
  double busy_s = 0;         ///< Σ replica (or per-user instance) busy time, s
  double busy_energy_j = 0;  ///< J drawn while working = Σ energy attributed to requests
  bool shared = false;       ///< a shared pool (the two fields below are defined)
  double utilisation = 0;    ///< busy_s / up replica-seconds (makespan × replicas when fixed), 1
  double idle_energy_j = 0;  ///< J, DeviceSpec::idle_energy(up replica-seconds − busy_s)
  bool autoscaled = false;   ///< some deployment on it autoscales (the fields below are defined)
  double up_replica_s = 0;   ///< replica-seconds loaded (serving or idle), s
  double startup_energy_j = 0;  ///< J of cold starts: DeviceSpec::idle_energy(starting replica-seconds)
  double standby_energy_j = 0;  ///< J of stopped replicas: standby_watts × stopped replica-seconds
  /// Batch occupancy (shared pools): Σ (sequences in the batch × iteration time) / (batch
  /// capacity × up replica-seconds), the share of the pool's sequence slots in use; the
  /// capacity is the deployments' largest per-replica batch (max_batch; 1 for FCFS).
  /// Beside `utilisation` ("busy": any sequence running), it tells a pool iterating all the
  /// time with small batches from a full one.
  double batch_occupancy = 0;
  int batch_capacity = 1;    ///< sequences per replica (DeviceMonitor::batch_capacity)
  double mean_batch = 0;     ///< sequences per busy replica-second: sequence-seconds / busy_s
  /// J the same pool would draw over the same makespan with no traffic at all: every
  /// replica idle (fixed provisioning), or the autoscaled deployments' min replicas idle
  /// and the others on standby (the autoscaler's state without load). Shared pools only.
  double no_traffic_energy_j = 0;
  /// J of the pool: busy + idle + startup + standby = ∫ its power dt (shared pools);
  /// busy energy for per-user devices (their idle draw is the user's baseline, not charged).
  double total_energy_j() const { return busy_energy_j + idle_energy_j + startup_energy_j + standby_energy_j; }
  /// J the traffic added to the pool: total − no-traffic energy (= busy energy for
  /// per-user devices). The marginal energy of docs/ENERGY.md "Average and marginal".
  double marginal_energy_j() const { return total_energy_j() - no_traffic_energy_j; }
  bool prefix_cache = false;       ///< some deployment on it caches prefixes (the fields below are defined)
  std::int64_t prefix_prompt_tokens = 0;  ///< prompt tokens admitted by its caching deployments
  std::int64_t prefix_hit_tokens = 0;     ///< of them, served from the prefix caches (not prefilled)
  bool paged = false;                ///< some deployment on it admits paged KV (the fields below are defined)
  std::int64_t preemptions = 0;      ///< sequences preempted on it (Server::preemption_stats)
  std::int64_t recompute_tokens = 0;  ///< tokens prefilled again after recompute preemptions
};

class DeviceMonitor {
 public:
  /// `servers`: the deployments hosted on `device` (all must outlive the monitor).
  DeviceMonitor(const DeviceSpec& device, std::vector<const DeploymentServer*> servers)
      : dev_(device), servers_(std::move(servers)) {}
  DeviceSample sample() const;
  /// Usage over a run whose last answer came at `makespan_s` (s). Energy conservation:
  /// busy + idle + startup + standby = ∫ device power dt over [0, makespan], and busy =
  /// Σ energy attributed to requests (tests/test_run_invariants.cpp).
  DeviceUsage usage(double makespan_s) const;
  const DeviceSpec& device() const { return dev_; }
  /// What the device records (core/measurement.hpp), at devices/<name>: a timeline of
  /// sample() (busy_replicas, running, waiting, kv_used_bytes, power_w, + up_replicas when
  /// a deployment on it autoscales; none for a per-user device) and the summary row of
  /// usage(horizon): busy time and energy; for a shared pool also utilisation, idle
  /// energy, preemptions (paged KV), autoscaling and prefix-cache columns. The monitor
  /// must outlive the source.
  MeasurementSource measurements() const;
  /// Sequences one replica of this device serves at once: the largest
  /// Server::batch_capacity of its deployments (1 for FCFS and per-user devices).
  int batch_capacity() const;
  /// J over [0, makespan_s] with no traffic (DeviceUsage::no_traffic_energy_j): idle W ×
  /// replicas × makespan for a fixed pool; an autoscaled pool keeps its deployment's
  /// autoscale_min_replicas idle (the largest, when several share the device) and the rest
  /// on standby.
  double no_traffic_energy(double makespan_s) const;

 private:
  const DeviceSpec& dev_;
  std::vector<const DeploymentServer*> servers_;
};

/// One monitor per device in `devices`, over the servers whose deployment it hosts.
/// The summary columns of `u` (DeviceMonitor::measurements).
std::vector<NamedValue> usage_columns(const DeviceUsage& u);

std::vector<DeviceMonitor> monitor_devices(std::span<const DeviceSpec> devices,
                                           const std::vector<std::unique_ptr<DeploymentServer>>& servers);

}  // namespace collabsim
