#pragma once
/// \file deployment_server.hpp
/// A model deployment at run time: the model on its device and how requests are served.
///
/// - Per-user devices (phones): every request has its own instance and runs alone
///   (prefill, then decode at batch 1). No queueing between users.
/// Step times come from the LatencyModel: the roofline, or the deployment's measured profile.
/// - Shared devices, scheduler "continuous": `replicas` BatchingReplica servers
///   (iteration-level continuous batching with a KV-cache limit), chosen per request by
///   the dispatch policy (least_loaded: fewest sequences waiting + running, ties to the
///   lowest index; round_robin).
/// - Shared devices, scheduler "fcfs": `replicas` servers behind one FCFS line, one
///   request at a time each (the M/G/c station; used for queueing validation).
///
/// Energy per request: the serving device's busy power × accelerators × the time it
/// worked for the request (batched iterations split by tokens processed). Cost per
/// request: device price (USD/s per accelerator) × accelerators × that time, plus API
/// prices per prompt and output token.

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/resource.hpp"
#include "sim/hardware/batching_replica.hpp"
#include "sim/hardware/generation.hpp"
#include "sim/hardware/latency_model.hpp"
#include "sim/hardware/deployment_spec.hpp"

namespace collabsim {

class DeploymentServer {
 public:
  DeploymentServer(Engine& engine, const DeploymentSpec& dep, const DeviceSpec& dev);

  /// Serves one request: `prompt_tokens` of prefill, `output_tokens` generated, after
  /// `cached_tokens` of context already in this deployment's KV cache (a continued
  /// sequence, e.g. a speculative-decoding verification round): the cached context is
  /// read by attention and held in the KV cache, but not prefilled again.
  /// Negative counts are clamped to 0. Generation::failed when it cannot be served.
  Task<Generation> generate(std::int64_t prompt_tokens, std::int64_t output_tokens,
                            std::int64_t cached_tokens = 0);

  /// Service time (s) of one request alone on an idle instance: prefill + decode.
  double service_time(std::int64_t prompt_tokens, std::int64_t output_tokens) const;

  /// KV-cache bytes available per replica: memory × accelerators × kv_memory_utilization −
  /// weights; unlimited when the device's memory is unknown (0).
  double kv_capacity() const;

  /// Instantaneous state for timelines.
  struct Load {
    int busy_replicas = 0;      ///< replicas serving at least one request
    std::size_t running = 0;    ///< sequences in service (batching) or requests in service (fcfs)
    std::size_t waiting = 0;    ///< queued, not yet admitted
    double kv_used = 0;         ///< bytes of KV cache reserved (batching)
  };
  /// Current load (shared devices; per-user devices report zeros).
  Load load() const;

  const DeploymentSpec& spec() const { return dep_; }
  const DeviceSpec& device() const { return dev_; }
  /// Σ time the device worked (s): per-user Σ service time; shared Σ replica busy time.
  double busy_seconds() const;
  /// Σ energy attributed to requests (J).
  double busy_energy() const { return busy_j_; }
  std::int64_t generations() const { return count_; }
  const std::vector<std::unique_ptr<BatchingReplica>>& replicas() const { return replicas_; }

 private:
  std::size_t pick_replica();
  double price_of(const Generation& g, double device_seconds) const;

  Engine& engine_;
  const DeploymentSpec& dep_;
  const DeviceSpec& dev_;
  LatencyModel latency_;
  std::unique_ptr<Resource> pool_;                         // fcfs
  std::vector<std::unique_ptr<BatchingReplica>> replicas_; // continuous
  std::size_t next_ = 0;
  double busy_s_ = 0, busy_j_ = 0;
  std::int64_t count_ = 0;
};

}  // namespace collabsim
