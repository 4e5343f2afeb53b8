#pragma once
/// \file user_devices.hpp
/// Per-user devices bound to their users (DeviceSpec::bind_user, `devices.<name>.binding =
/// "user"`, the default): a per-user device (a phone) is one instance per user id, shared
/// by all of that user's requests, not one per request. Generations on it queue FIFO with
/// DeviceSpec::user_concurrency at once (1: llama.cpp and MLC run one sequence on a phone),
/// and its busy time and energy add up per user. Requests without a user id (no
/// [workload.attributes]) and devices with binding = "request" keep one instance each.
///
/// Each generation still runs as if alone on the instance (PerUserInstances: no batching
/// across a user's concurrent sequences when user_concurrency > 1, an assumption).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/resource.hpp"
#include "sim/hardware/device_spec.hpp"

namespace collabsim {

/// One user's instance of a per-user device.
struct UserDevice {
  UserDevice(Engine& engine, int concurrency, std::size_t device_index, std::int64_t user_id)
      : slots(engine, concurrency), device(device_index), user(user_id) {}
  Resource slots;                 ///< generations running (≤ user_concurrency) and waiting (FIFO)
  std::size_t device = 0;         ///< device index (Scenario::devices)
  std::int64_t user = -1;         ///< user id
  std::int64_t generations = 0;   ///< generations run on it
  double busy_s = 0;              ///< Σ generation device time, s
  double energy_j = 0;            ///< Σ device energy of its generations, J
  double queue_s = 0;             ///< Σ time generations waited for the instance, s
};

class UserDevices {
 public:
  /// `devices` must outlive it.
  UserDevices(Engine& engine, std::span<const DeviceSpec> devices) : engine_(engine), devices_(devices) {
    by_device_.resize(devices.size());
  }
  /// The instance of device `device` for `user`, created on first use; nullptr when the
  /// device is not per-user, its binding is "request", or `user` < 0 (no user id).
  UserDevice* bound(std::size_t device, std::int64_t user);
  /// Every instance created, ordered by (device, user id).
  std::vector<const UserDevice*> all() const;

 private:
  Engine& engine_;
  std::span<const DeviceSpec> devices_;
  std::vector<std::unordered_map<std::int64_t, std::unique_ptr<UserDevice>>> by_device_;
};

}  // namespace collabsim
