#pragma once
/// \file batching_pool.hpp
/// A shared device with scheduler "continuous": `replicas` BatchingReplica servers
/// (iteration-level continuous batching with a KV-cache limit), each request sent to the
/// replica its Dispatch policy picks.
///
/// Autoscaling (AutoscaleConfig::on; docs/ENERGY.md): `min_replicas` replicas are up at
/// t = 0 (weights loaded), the others stopped. Every `interval` while the pool has work (or
/// more than `min_replicas` up) the pool evaluates m = sequences (running + waiting) on
/// accepting replicas / (up + starting replicas):
///   m > up   and fewer than `replicas` up or starting: a draining replica is taken back
///            (no cold start), else a stopped one starts: it loads its weights for
///            `cold_start` s (drawing idle power, serving nothing), then accepts requests;
///   m < down, no replica starting, more than `min_replicas` up, and the load would still
///            be ≤ up on one replica fewer: the accepting replica with the least load
///            (highest index on ties) drains: it takes no new requests and stops at the
///            first evaluation that finds it empty (standby power from then on).
/// At most one change per evaluation (hysteresis: down < up, enforced by the loader).
/// No request is ever dropped: a draining replica finishes what it holds, and the
/// dispatch always has at least `min_replicas` ≥ 1 accepting replicas. Policy after the
/// queue-length autoscalers of serving systems (e.g. Kubernetes HPA on a queue metric,
/// the "scale on pending requests" rule of llm-d / KServe); the thresholds are scenario keys.

#include <memory>
#include <utility>
#include <vector>

#include "sim/hardware/batching_replica.hpp"
#include "sim/hardware/dispatch.hpp"
#include "sim/hardware/server.hpp"

namespace collabsim {

struct AutoscaleConfig {
  bool on = false;        ///< false = fixed provisioning (every replica up all the run)
  int min_replicas = 1;   ///< replicas always up, ≥ 1
  double interval = 10;   ///< s between evaluations
  double up = 32;         ///< sequences per up replica above which one starts
  double down = 8;        ///< sequences per up replica below which one drains (< up)
  double cold_start = 0;  ///< s to load the weights of a started replica
};

class BatchingPool final : public Server {
 public:
  /// `model`, `device` and `latency` must outlive the pool (the replicas refer to them).
  BatchingPool(Engine& engine, const ModelCard& model, const DeviceSpec& device, const LatencyModel& latency,
               BatchingConfig config, std::unique_ptr<Dispatch> dispatch, AutoscaleConfig autoscale = {});
  Task<Generation> generate(std::int64_t prompt, std::int64_t output, std::int64_t cached) override;
  /// The dispatch sees the prompt and its prefix blocks (cache_aware); the chosen replica
  /// reuses its cached prefix blocks when prefix caching is on.
  Task<Generation> generate(std::int64_t prompt, std::int64_t output, std::int64_t cached,
                            std::span<const std::int64_t> blocks) override;
  PrefixStats prefix_stats() const override;
  /// Σ over the replicas; `on` when the replicas admit paged KV (BatchingConfig::paged).
  PreemptionStats preemption_stats() const override;
  ServerLoad load() const override;
  double busy_seconds() const override;
  double sequence_seconds() const override;
  int batch_capacity() const override { return max_batch_; }
  bool autoscaled() const override { return as_.on; }
  ReplicaTime replica_time(double horizon_s) const override;
  const std::vector<std::unique_ptr<BatchingReplica>>& replicas() const { return replicas_; }
  /// Replica starts (cold starts and draining replicas taken back) and stops so far.
  int scale_ups() const { return ups_; }
  int scale_downs() const { return downs_; }

  enum class State { stopped, starting, up, draining };
  State state(std::size_t k) const { return state_[k]; }

 private:
  Task<void> autoscaler();
  Task<void> cold_start(std::size_t k);
  void evaluate();
  void set_state(std::size_t k, State s);

  Engine& engine_;
  const DeviceSpec& dev_;
  std::vector<std::unique_ptr<BatchingReplica>> replicas_;
  std::unique_ptr<Dispatch> dispatch_;
  AutoscaleConfig as_;
  int max_batch_ = 1;
  std::vector<State> state_;
  std::vector<std::vector<std::pair<SimTime, State>>> log_;  // per replica: (since, state)
  bool ticking_ = false;
  bool paged_ = false;  ///< BatchingConfig::paged of the replicas
  int ups_ = 0, downs_ = 0;
};

/// The "continuous" scheduler's factory (schedulers(), scheduler.hpp): a BatchingPool of
/// the device's replicas from the deployment's BatchingSpec (DeploymentSpec::batching, into
/// BatchingConfig and AutoscaleConfig: cold start = weight bytes /
/// DeviceSpec::weight_load_bandwidth) and its dispatch policy (BatchingSpec::dispatch).
/// Throws std::logic_error when the deployment holds no BatchingSpec.
std::unique_ptr<Server> make_batching_pool(Engine& engine, const DeploymentSpec& dep, const DeviceSpec& dev,
                                           const LatencyModel& latency, double kv_capacity);

}  // namespace collabsim
