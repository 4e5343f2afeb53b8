#pragma once
/// \file fcfs_pool.hpp
/// A shared device with scheduler "fcfs": `replicas` servers behind one FCFS line, one
/// request at a time each (the M/G/c station; the queueing validation's reference).

#include "sim/core/resource.hpp"
#include "sim/hardware/server.hpp"

namespace collabsim {

class FcfsPool final : public Server {
 public:
  FcfsPool(Engine& engine, const DeviceSpec& device, const LatencyModel& latency)
      : engine_(engine), dev_(device), latency_(latency), pool_(engine, device.replicas) {}
  Task<Generation> generate(std::int64_t prompt, std::int64_t output, std::int64_t cached) override;
  Task<Generation> hold(std::int64_t prompt, std::int64_t output, double seconds) override;
  ServerLoad load() const override;
  double busy_seconds() const override { return busy_s_; }

 private:
  Engine& engine_;
  const DeviceSpec& dev_;
  const LatencyModel& latency_;
  Resource pool_;
  double busy_s_ = 0;
};

/// The "fcfs" scheduler's factory (schedulers(), scheduler.hpp): an FcfsPool of the
/// device's replicas.
std::unique_ptr<Server> make_fcfs_pool(Engine& engine, const DeploymentSpec& dep, const DeviceSpec& dev,
                                       const LatencyModel& latency, double kv_capacity);

}  // namespace collabsim
