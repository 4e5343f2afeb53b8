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
#include <new>
#include <utility>
#include <span>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/resource.hpp"
#include "sim/hardware/device_spec.hpp"
#include "sim/hardware/thermal.hpp"

namespace collabsim {

/// One user's instance of a per-user device: its queue, its heat (thermal.hpp) and its
/// battery. Allocated at the user's first request (UserDevices::bound).
///
/// Battery (DeviceSpec::battery > 0): the state of charge starts at battery_initial ×
/// capacity and falls by every joule the instance spends: its generations' energy (drain()
/// at each generation's end), the origin compute and radio energy of the user's requests
/// (Context charges them here as it charges the request), and idle power between
/// generations (DeviceSpec::idle_power, from the user's first request to the last event;
/// charged when a generation starts and by settle_idle()). It is not clamped at 0 (a
/// phone's shutdown is not modelled); below battery_floor the device stops serving
/// locally (Context::fits).
struct UserDevice {
  UserDevice(Engine& engine, const DeviceSpec& spec, std::size_t device_index, std::int64_t user_id)
      : slots(engine, spec.user_concurrency), device(device_index), user(user_id),
        thermal(spec.thermal), capacity_j(spec.battery), charge_j(spec.battery * spec.battery_initial),
        min_charge_j(charge_j), floor_j(spec.battery * spec.battery_floor), idle_power(spec.idle_power),
        idle_since(engine.now()), first_use(engine.now()) {}
  Resource slots;                 ///< generations running (≤ user_concurrency) and waiting (FIFO)
  std::size_t device = 0;         ///< device index (Scenario::devices)
  std::int64_t user = -1;         ///< user id
  std::int64_t requests = 0;      ///< requests of the user (Context::open_request)
  std::int64_t generations = 0;   ///< generations run on it
  double busy_s = 0;              ///< Σ generation device time (throttled time included), s
  double energy_j = 0;            ///< Σ device energy of its generations, J
  double queue_s = 0;             ///< Σ time generations waited for the instance (refused ones too), s
  // Heat
  ThermalState thermal;           ///< its heat (off unless the card sets thermal_tau)
  double throttle_s = 0;          ///< Σ time lost to throttling (T − W per generation), s
  double min_rate = 1;            ///< lowest rate factor f(θ) reached (at a generation's end)
  // Battery (all 0 for a mains-powered device)
  double capacity_j = 0;          ///< J, DeviceSpec::battery
  double charge_j = 0;            ///< J, state of charge now
  double min_charge_j = 0;        ///< J, lowest charge seen
  double floor_j = 0;             ///< J, below it the device stops serving locally
  double radio_j = 0;             ///< J of radio energy drawn from it
  double other_j = 0;             ///< J of origin compute outside generations (routing, scoring)
  double idle_j = 0;              ///< J of idle power drawn
  double idle_power = 0;          ///< W, DeviceSpec::idle_power
  SimTime below_floor_at = -1;    ///< first time the charge fell below the floor (−1 = never)
  std::int64_t refused_battery = 0;  ///< local generations refused because the charge was below the floor
  int running = 0;                ///< generations in progress
  SimTime idle_since = 0;         ///< end of the last generation (idle from then)
  SimTime first_use = 0;          ///< the user's first request

  /// Takes `joules` off the charge at `now` (no-op without a battery).
  void drain(double joules, SimTime now) {
    if (capacity_j <= 0) return;
    charge_j -= joules;
    if (charge_j < min_charge_j) min_charge_j = charge_j;
    if (charge_j < floor_j && below_floor_at < 0) below_floor_at = now;
  }
  /// True when a battery-powered instance's charge is below its floor.
  bool below_floor() const { return capacity_j > 0 && charge_j < floor_j; }
  /// State of charge, share of capacity (1 for a mains-powered device).
  double soc() const { return capacity_j > 0 ? charge_j / capacity_j : 1.0; }
  /// Charges idle power up to `now` when no generation runs.
  void settle_idle(SimTime now) {
    if (running > 0 || now <= idle_since) return;
    const double j = idle_power * to_seconds(now - idle_since);
    idle_j += j;
    drain(j, now);
    idle_since = now;
  }
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
  /// The instance of `device` for `user` if it exists (never creates one).
  const UserDevice* find(std::size_t device, std::int64_t user) const;
  /// Every instance created, ordered by (device, user id).
  std::vector<const UserDevice*> all() const;
  /// Charges every instance's idle power up to `now` (the end of the run).
  void settle_idle(SimTime now);

 private:
  Engine& engine_;
  std::span<const DeviceSpec> devices_;
  /// One device's instances: stored in creation order in chunks of kChunk (their addresses
  /// never change; one allocation per kChunk users: a std::deque holds one 280-byte
  /// UserDevice per 512-byte block) and found by user id through a flat array (user ids are
  /// dense, 0..N-1: workload/users and workload/attributes), null where the user has none
  /// yet; no hash lookup or per-user allocation on a request's path.
  struct PerDevice {
    static constexpr std::size_t kChunk = 64;
    struct Chunk {
      alignas(UserDevice) std::byte bytes[kChunk * sizeof(UserDevice)];
    };
    std::vector<std::unique_ptr<Chunk>> chunks;
    std::size_t count = 0;  ///< instances constructed
    std::vector<UserDevice*> by_user;

    PerDevice() = default;
    PerDevice(PerDevice&& o) noexcept
        : chunks(std::move(o.chunks)), count(std::exchange(o.count, 0)), by_user(std::move(o.by_user)) {}
    PerDevice& operator=(PerDevice&&) = delete;
    ~PerDevice() {
      for (std::size_t i = 0; i < count; ++i) at(i).~UserDevice();
    }
    UserDevice& at(std::size_t i) {
      return *std::launder(reinterpret_cast<UserDevice*>(chunks[i / kChunk]->bytes) + i % kChunk);
    }
    /// Constructs the next instance in place.
    template <class... A>
    UserDevice& emplace_back(A&&... a) {
      if (count == chunks.size() * kChunk) chunks.push_back(std::make_unique_for_overwrite<Chunk>());
      UserDevice* p = reinterpret_cast<UserDevice*>(chunks[count / kChunk]->bytes) + count % kChunk;
      ::new (static_cast<void*>(p)) UserDevice(std::forward<A>(a)...);
      ++count;
      return *p;
    }
  };
  std::vector<PerDevice> by_device_;
};

}  // namespace collabsim
