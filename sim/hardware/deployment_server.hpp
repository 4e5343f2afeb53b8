#pragma once
/// \file deployment_server.hpp
/// A model deployment at run time: the model on its device, the FCFS queue in front of it,
/// and the time, energy and cost each generation uses.
///
/// Shared devices (cloud, edge server) have `replicas` identical servers behind one FCFS
/// line (M/G/c); each replica runs one request at a time (continuous batching is a later
/// model). Per-user devices (phones) give every request its own instance: no queueing
/// between users. Latency comes from the roofline model (roofline.hpp).
///
/// Energy per request: busy_power × accelerators × service time (J). Idle energy of shared
/// devices is idle_power × accelerators × replicas × (horizon) − busy share, reported per
/// device at the end. Cost per request: price (USD/s per accelerator) × accelerators ×
/// service time, plus API prices per prompt/output token when the deployment has them.

#include <cstdint>
#include <memory>

#include "sim/core/engine.hpp"
#include "sim/core/resource.hpp"
#include "sim/io/scenario.hpp"

namespace collabsim {

/// What one generation took. Times are absolute simulation times (ns).
struct Generation {
  SimTime queued = 0;       ///< arrival at the deployment's queue
  SimTime start = 0;        ///< service start (prefill begins)
  SimTime first_token = 0;  ///< first output token produced (prefill + one decode step)
  SimTime end = 0;          ///< last output token produced
  std::int64_t prompt_tokens = 0;
  std::int64_t output_tokens = 0;
  double energy = 0;        ///< J, on the serving device
  double cost = 0;          ///< USD
};

class DeploymentServer {
 public:
  DeploymentServer(Engine& engine, const DeploymentSpec& dep, const DeviceSpec& dev);

  /// Queue (shared devices), then prefill `prompt_tokens` and decode `output_tokens`.
  /// Negative token counts are clamped to 0.
  Task<Generation> generate(std::int64_t prompt_tokens, std::int64_t output_tokens);

  /// Service time (s) of one request without queueing: prefill + decode.
  double service_time(std::int64_t prompt_tokens, std::int64_t output_tokens) const;

  const DeploymentSpec& spec() const { return dep_; }
  const DeviceSpec& device() const { return dev_; }
  /// Σ service time over all generations (s).
  double busy_seconds() const { return busy_s_; }
  std::int64_t generations() const { return count_; }

 private:
  Engine& engine_;
  const DeploymentSpec& dep_;
  const DeviceSpec& dev_;
  std::unique_ptr<Resource> pool_;  // null for per-user devices
  double busy_s_ = 0;
  std::int64_t count_ = 0;
};

}  // namespace collabsim
