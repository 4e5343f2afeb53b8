#pragma once
/// \file per_user_instances.hpp
/// Per-user devices (phones): every request has its own instance and runs alone (prefill,
/// then decode at batch 1); users never queue behind each other.

#include "sim/hardware/server.hpp"

namespace collabsim {

class PerUserInstances final : public Server {
 public:
  PerUserInstances(Engine& engine, const DeviceSpec& device, const LatencyModel& latency)
      : engine_(engine), dev_(device), latency_(latency) {}
  Task<Generation> generate(std::int64_t prompt, std::int64_t output, std::int64_t cached) override;
  Task<Generation> hold(std::int64_t prompt, std::int64_t output, double seconds) override;
  ServerLoad load() const override { return {}; }
  double busy_seconds() const override { return busy_s_; }

 private:
  Engine& engine_;
  const DeviceSpec& dev_;
  const LatencyModel& latency_;
  double busy_s_ = 0;
};

}  // namespace collabsim
