#pragma once
/// \file batching_spec.hpp
/// The spec of a batching scheduler (`deployments.<name>` with scheduler = "continuous"):
/// the keys that apply to iteration-level batching only, read and validated apart from the
/// deployment's common keys, as Vidur gives each scheduler its own config type
/// (vidur/config/config.py: BaseReplicaSchedulerConfig and one subclass per scheduler, e.g.
/// VllmSchedulerConfig, whose keys the CLI spells --vllm_scheduler_config_*).
/// A deployment holds one only when its scheduler batches (DeploymentSpec::batching); its
/// sub-variants (paged KV admission, autoscaling) hold their keys in their own specs, set
/// only when switched on.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "sim/config/params.hpp"
#include "sim/hardware/dispatch_policy.hpp"

namespace collabsim {

/// Paged KV admission (`kv_admission = "paged"`, as vLLM's PagedAttention): KV blocks taken
/// as sequences grow, the latest-admitted sequence preempted when they run out.
struct PagedKvSpec {
  bool swap = false;                  ///< `preemption = "swap"`: KV to host memory (else recompute)
  std::int64_t block_tokens = 16;     ///< `kv_block_tokens`: tokens per KV block (vLLM: 16)
};

/// Autoscaling of a continuous-batching pool (`autoscale = true`; docs/ENERGY.md):
/// `min_replicas` start loaded, up to the device's `replicas` are started and stopped by a
/// queue-length policy evaluated every `interval`: sequences (running + waiting) per up
/// replica above `up` start one (cold start: weights / weight_load_bandwidth), below `down`
/// drain one (it takes no new requests and stops when empty).
struct AutoscaleSpec {
  int min_replicas = 1;   ///< replicas always up (loaded at t = 0)
  double interval = 10;   ///< s between evaluations
  double up = 32;         ///< sequences per up replica that start one more
  double down = 8;        ///< sequences per up replica that drain one (< up)
};

/// Continuous (iteration-level) batching, as vLLM and SGLang serve: replicas of up to
/// `max_batch` sequences behind a dispatch policy.
struct BatchingSpec {
  int max_batch = 256;                 ///< sequences per iteration
  std::int64_t max_prefill_tokens = 0; ///< chunked prefill: prompt tokens per iteration (0 = off)
  double iteration_overhead = 0;       ///< s per batching iteration
  /// Replica choice of the pool: a row of dispatch_policies() (dispatch_policy.hpp).
  const DispatchInfo* dispatch = &dispatch_policies().front();
  /// Prefix caching on the replicas (prefix_cache.hpp): KV blocks of `prefix_block_tokens`
  /// tokens keyed by the requests' prefix-block hash ids (Mooncake traces: 512 tokens per
  /// id), LRU-evicted under the KV limit. Off by default.
  bool prefix_cache = false;
  std::int64_t prefix_block_tokens = 512;  ///< tokens per hash id (Mooncake FAST'25: 512)
  /// Set = paged KV admission; unset = reserve prompt + output at admission (no preemption).
  std::optional<PagedKvSpec> paged;
  /// Set = autoscaling; unset = fixed provisioning (every replica up for the whole run).
  std::optional<AutoscaleSpec> autoscale;
};

/// The keys of a batching scheduler (BatchingSpec, with its paged-KV and autoscaling keys):
/// max_batch, chunked prefill, iteration overhead, KV admission and preemption, dispatch,
/// prefix caching, autoscaling. Declared among deployment_fields(); the loader refuses
/// them, written, for a scheduler that does not batch.
std::span<const Field> batching_fields();

/// The BatchingSpec of validated batching_fields() values; `ctx` = "deployments.<name>".
/// Throws InputError naming the key for keys of a sub-variant that is off (preemption or
/// kv_block_tokens with kv_admission = "reserve"; autoscale_* with autoscale = false), for
/// autoscale_down ≥ autoscale_up, and for paged admission with prefix caching (not modelled).
BatchingSpec batching_from(const ParamSet& p, const std::string& ctx);

}  // namespace collabsim
