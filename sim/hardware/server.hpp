#pragma once
/// \file server.hpp
/// How a deployment serves its requests, behind one interface chosen once at
/// construction (DeploymentServer): PerUserInstances (every request on its own instance,
/// phones), FcfsPool (an M/G/c station: c replicas, one request at a time each, one FCFS
/// line) and BatchingPool (c continuous-batching replicas behind a Dispatch policy). A new
/// scheduler is one class implementing Server plus one row in schedulers()
/// (scheduler.hpp; docs/EXTENDING.md).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "sim/core/engine.hpp"
#include "sim/core/task.hpp"
#include "sim/hardware/deployment_spec.hpp"
#include "sim/hardware/device_spec.hpp"
#include "sim/hardware/generation.hpp"
#include "sim/hardware/latency_model.hpp"

namespace collabsim {

/// Instantaneous state of a server, for timelines.
struct ServerLoad {
  int busy_replicas = 0;      ///< replicas serving at least one request
  std::size_t running = 0;    ///< sequences (batching) or requests (fcfs) in service
  std::size_t waiting = 0;    ///< queued, not yet admitted
  double kv_used = 0;         ///< bytes of KV cache reserved (batching)
  double power_w = 0;         ///< W drawn now by the server's replicas (fcfs: DeviceSpec::pool_power, an upper bound)
  int up_replicas = 0;        ///< replicas loaded or loading (autoscaling; = replicas for a fixed pool)
};

/// Replica-seconds of a pool over [0, horizon] by state (autoscaled pools).
struct ReplicaTime {
  double up_s = 0;        ///< loaded (serving or idle, incl. draining), s
  double starting_s = 0;  ///< cold start: loading weights, drawing idle power, serving nothing, s
  double stopped_s = 0;   ///< stopped: standby power, s
};

class Server {
 public:
  virtual ~Server() = default;
  /// Serves one request (token counts ≥ 0; `cached` tokens of context already in the KV
  /// cache): fills Generation's times (ns), device_time (s) and energy (J). Cost is the
  /// caller's (DeploymentServer). Generation::failed when it can never be served.
  virtual Task<Generation> generate(std::int64_t prompt, std::int64_t output, std::int64_t cached) = 0;
  /// As above, with the prompt's prefix-block hash ids (Request::prefix_blocks; alive until
  /// the call returns). Servers without prefix caching ignore them (this default).
  virtual Task<Generation> generate(std::int64_t prompt, std::int64_t output, std::int64_t cached,
                                    std::span<const std::int64_t> blocks) {
    (void)blocks;
    return generate(prompt, output, cached);
  }
  /// Prefix caching (continuous batching with deployments.<name>.prefix_cache): prompt
  /// tokens admitted and tokens of them served from the replicas' caches. `on` false (and
  /// zeros) for servers without a prefix cache.
  struct PrefixStats {
    bool on = false;
    std::int64_t prompt_tokens = 0;  ///< tokens
    std::int64_t hit_tokens = 0;     ///< tokens
  };
  virtual PrefixStats prefix_stats() const { return {}; }
  /// Paged KV admission (continuous batching with deployments.<name>.kv_admission =
  /// "paged"): sequences preempted, and prompt + generated tokens prefilled again after
  /// recompute preemptions. `on` false (and zeros) for servers without paged admission.
  struct PreemptionStats {
    bool on = false;
    std::int64_t preemptions = 0;       ///< sequences
    std::int64_t recompute_tokens = 0;  ///< tokens
  };
  virtual PreemptionStats preemption_stats() const { return {}; }
  /// Serves one request for a given service time (`seconds` ≥ 0) instead of its tokens
  /// (deployments with latency = "service_time"): queues as generate() does, then holds a
  /// server for `seconds`; the first token is the end (the answer comes whole).
  /// `prompt`/`output` are recorded for accounting only. The default throws
  /// std::logic_error: only FcfsPool and PerUserInstances serve service times (the loader
  /// refuses the others).
  virtual Task<Generation> hold(std::int64_t prompt, std::int64_t output, double seconds);
  virtual ServerLoad load() const = 0;
  /// Σ time (s) the replicas worked.
  virtual double busy_seconds() const = 0;
  /// Σ over iterations of (sequences in the batch × iteration time), sequence-seconds: the
  /// time integral of the batch that busy_seconds() counts as "busy". Default: one request
  /// per busy replica (FCFS, per-user instances), = busy_seconds().
  virtual double sequence_seconds() const { return busy_seconds(); }
  /// Sequences one replica can serve at once (continuous batching: max_batch; else 1).
  virtual int batch_capacity() const { return 1; }
  /// Whether replicas start and stop during the run (then replica_time is defined).
  virtual bool autoscaled() const { return false; }
  /// Replica-seconds by state over [0, horizon_s] (autoscaled pools; zeros otherwise).
  virtual ReplicaTime replica_time(double /*horizon_s*/) const { return {}; }
};

/// One request alone on an idle instance: the prefill pass emits the first token (with
/// nothing to prefill, a decode step at the cached context does); each further token is
/// one decode step at the growing context. Attention over a cached part is neglected in
/// the prefill term. Power per phase from DeviceSpec::step (prefill and decode run each
/// with its roofline work); energy = Σ phase power × phase time (one power × the rounded
/// service time when both phases draw the same, e.g. the constant model). A power cap
/// stretches the phases it clamps.
Task<Generation> serve_alone(Engine& engine, const LatencyModel& latency, const DeviceSpec& device,
                             std::int64_t prompt, std::int64_t output, std::int64_t cached);

/// One request held for `seconds` on an idle server (latency = "service_time"): start =
/// now, first_token = end = now + seconds; energy device.busy_energy(seconds).
Task<Generation> serve_for(Engine& engine, const DeviceSpec& device, std::int64_t prompt, std::int64_t output,
                           double seconds);

/// The Server `deployment` asks for on `device`: PerUserInstances when the device is
/// per-user, else the one its scheduler row builds (DeploymentSpec::scheduler,
/// scheduler.hpp: FcfsPool for "fcfs", BatchingPool for "continuous"). `latency` and the
/// specs must outlive it.
std::unique_ptr<Server> make_server(Engine& engine, const DeploymentSpec& deployment, const DeviceSpec& device,
                                    const LatencyModel& latency, double kv_capacity);

}  // namespace collabsim
