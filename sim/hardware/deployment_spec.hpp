#pragma once
/// \file deployment_spec.hpp
/// A model hosted on a device (`[deployments.<name>]`): which model, where, its prices and
/// how a shared device serves it.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/hardware/device_spec.hpp"
#include "sim/hardware/dispatch_policy.hpp"
#include "sim/hardware/model_card.hpp"
#include "sim/hardware/pool_dispatch.hpp"
#include "sim/hardware/profile_table.hpp"
#include "sim/hardware/scheduler.hpp"

namespace collabsim {

/// What a deployment does with a request beyond one of its limits (context window, device
/// memory): `deployments.<name>.context_policy` / `memory_policy` = "ignore" | "fail" | "truncate".
enum class LimitPolicy { Ignore, Fail, Truncate };

/// The policy named `text` (one of the Field's allowed values); throws std::invalid_argument otherwise.
LimitPolicy limit_policy_from(const std::string& text);

/// How a deployment times its work (`deployments.<name>.latency`), read once at load:
/// `model`, step times from the latency model (roofline or profile); `service_time`, each
/// request holds a server for its workload service time ([workload.service]).
enum class LatencyMode { model, service_time };

/// A latency mode's name and help line: the `latency` field's allowed values, its parsing
/// and `collabsim list` come from latency_modes().
struct LatencyModeInfo {
  const char* name;
  LatencyMode mode;
  const char* help;
};
std::span<const LatencyModeInfo> latency_modes();
/// The mode named `text`; throws std::invalid_argument for a name latency_modes() lacks.
LatencyMode latency_mode_from(const std::string& text);

struct DeploymentSpec {
  std::string name;
  std::string device;
  ModelCard model;
  std::string quality_column;  ///< column used for per-query quality
  double price_input = 0;      ///< USD/token (API pricing; 0 = none)
  double price_output = 0;     ///< USD/token
  /// Serving on shared devices: a row of schedulers() (scheduler.hpp): "continuous"
  /// (iteration-level batching) or "fcfs" (one request at a time per replica). Per-user
  /// devices always serve one request at a time.
  const SchedulerInfo* scheduler = &schedulers().front();
  int max_batch = 256;                 ///< sequences per iteration
  std::int64_t max_prefill_tokens = 0; ///< chunked prefill: prompt tokens per iteration (0 = off)
  double kv_memory_utilization = 0.9;  ///< share of replica memory usable for weights + KV (vLLM's gpu_memory_utilization)
  double iteration_overhead = 0;       ///< s per batching iteration
  /// Replica choice of a batching pool: a row of dispatch_policies() (dispatch_policy.hpp).
  const DispatchInfo* dispatch = &dispatch_policies().front();
  /// Prefix caching on the replicas of a continuous-batching pool (prefix_cache.hpp): KV
  /// blocks of `prefix_block_tokens` tokens keyed by the requests' prefix-block hash ids
  /// (Mooncake traces: 512 tokens per id), LRU-evicted under the KV limit. Off by default.
  bool prefix_cache = false;
  /// Prefill/decode disaggregation (Splitwise, Patel et al., ISCA 2024; DistServe, Zhong et
  /// al., OSDI 2024): name of the deployment (same model, another shared device) that
  /// continues the decode. This deployment prefills the prompt and emits the first token;
  /// the prompt's KV (kv_bytes_per_token × prompt tokens) then crosses the topology's path
  /// between the two devices (Network::send: serialised per link, + latency) and the decode
  /// deployment generates the other tokens with that KV cached. "" = colocated (default).
  std::string decode_on;
  SourcePos decode_on_pos;
  /// Heterogeneous pool: other deployments of the same model (typically on devices with
  /// other cards, e.g. A100 replicas beside this H100 pool) that share the requests asked of
  /// this one. Each request goes to one member (this deployment or one listed) chosen by
  /// `pool_dispatch`; each member serves, is charged and priced on its own device. Empty =
  /// this deployment alone (default).
  std::vector<std::string> share_with;
  SourcePos share_with_pos;
  /// `share_with` resolved by the loader: the pool's deployment indices, this one first;
  /// empty = this deployment alone (Fleet::member).
  std::vector<std::size_t> pool;
  /// decode_index when the deployment decodes its own requests.
  static constexpr std::size_t kColocated = static_cast<std::size_t>(-1);
  /// `decode_on` resolved by the loader: the decode deployment's index, or kColocated.
  std::size_t decode_index = kColocated;
  /// Member choice: a row of pool_dispatch_policies() (pool_dispatch.hpp): "least_loaded"
  /// (fewest requests outstanding per replica, ties to the first member) or
  /// "expected_delay" (shortest expected delay: (n_m / c_m + 1) × S_m, S_m the member's
  /// service time of the request alone; speed-aware).
  const PoolDispatchInfo* pool_dispatch = &pool_dispatch_policies().front();
  std::int64_t prefix_block_tokens = 512;  ///< tokens per hash id (Mooncake FAST'25: 512)
  /// What a request beyond the model's context window (ModelCard::context_window) gets:
  /// "fail" (the default, as vLLM, llama.cpp's server and MLC refuse a prompt + output
  /// beyond max_model_len / n_ctx: refused with status context_exceeded; cascades skip the
  /// stage, routers take the other model) or "ignore" (answered as if it fit: the
  /// behaviour before windows were checked, an explicit simplification).
  /// "truncate": the prompt keeps its last tokens so that prompt + output fit (context and
  /// memory truncation: DeploymentSpec::memory_policy).
  LimitPolicy context_policy = LimitPolicy::Fail;
  /// What a request whose KV cache (kv_bytes_per_token × (prompt + output)) exceeds a
  /// replica's KV capacity (usable memory − weights) gets: "fail" (the default: refused
  /// with status out_of_memory before any transfer; cascades skip the stage, routers take
  /// the other model), "ignore" (the behaviour before, an explicit simplification: a
  /// continuous-batching replica fails it with status failed, per-user and fcfs devices
  /// answer it) or "truncate" (the prompt keeps its last
  /// N tokens, N = the largest that fits with the output; refused when N < 1). Truncation
  /// changes no quality score: an assumption (the answer is taken to depend on the kept
  /// tail, as for a chat client that drops the oldest turns).
  LimitPolicy memory_policy = LimitPolicy::Fail;
  /// Continuous batching KV admission (batching_replica.hpp): false = reserve prompt +
  /// output at admission; true = paged blocks of `kv_block_tokens`, preemption of the
  /// latest-admitted sequence when they run out, by recompute or (preemption_swap) swap.
  bool kv_paged = false;
  bool preemption_swap = false;
  std::int64_t kv_block_tokens = 16;
  std::filesystem::path profile;       ///< measured latency profile (empty = roofline)
  /// Autoscaling of a continuous-batching pool (docs/ENERGY.md): off = fixed provisioning
  /// (every replica up for the whole run). On: `autoscale_min_replicas` start loaded, up to
  /// the device's `replicas` are started and stopped by a queue-length policy evaluated
  /// every `autoscale_interval`: sequences (running + waiting) per up replica above
  /// `autoscale_up` start one (cold start: weights / weight_load_bandwidth), below
  /// `autoscale_down` drain one (it takes no new requests and stops when empty).
  bool autoscale = false;
  int autoscale_min_replicas = 1;
  double autoscale_interval = 10;      ///< s between evaluations
  double autoscale_up = 32;            ///< sequences per up replica that start one more
  double autoscale_down = 8;           ///< sequences per up replica that drain one
  std::string splitwise;               ///< "model/hardware/tp": profile is SplitwiseSim's perf_model.csv
  /// `profile` parsed by the loader (profile_cache.hpp), shared by every run of the spec;
  /// null = roofline.
  std::shared_ptr<const ProfileTable> profile_table;
  /// "model": step times from the latency model (roofline or profile); "service_time":
  /// each request occupies a server for its workload service time ([workload.service]),
  /// whatever its tokens (queueing studies; fcfs or per-user serving only).
  LatencyMode latency = LatencyMode::model;
  SourcePos latency_pos;
  /// API energy estimate (docs/ENERGY.md "API energy estimate"), for a deployment on a
  /// device with no power model (a priced API): the provider's assumed hardware, a device
  /// card (`api_energy_card`, e.g. "h100_sxm"), `api_energy_accelerators` of it per model
  /// replica and `api_energy_batch` sequences sharing them. Estimated power per sequence
  /// (W) = card busy_power × accelerators / batch; 0 = no estimate. The loader sets it.
  std::string api_energy_card;
  int api_energy_accelerators = 8;
  double api_energy_batch = 32;
  double api_energy_power = 0;
  SourcePos pos;

  /// Bytes of a replica of `dev` usable for weights and KV cache: replica_memory() ×
  /// kv_memory_utilization (0 when the memory is unknown).
  double usable_memory(const DeviceSpec& dev) const { return dev.replica_memory() * kv_memory_utilization; }
  /// USD of one generation: the device time at the device's price plus the API prices of
  /// its prompt and output tokens.
  double generation_cost(const DeviceSpec& dev, double device_seconds, std::int64_t prompt_tokens,
                         std::int64_t output_tokens) const {
    return dev.replica_cost(device_seconds) + price_input * static_cast<double>(prompt_tokens) +
           price_output * static_cast<double>(output_tokens);
  }
};

/// Keys of a `[deployments.<name>]` table: the common ones and batching_fields().
std::span<const Field> deployment_fields();
/// The keys that apply to a scheduler with batching only (SchedulerInfo::batching:
/// max_batch, chunked prefill, iteration overhead, KV admission and preemption, dispatch,
/// prefix caching, autoscaling): deployment_from refuses them, written, for another scheduler.
std::span<const Field> batching_fields();

/// The serving and price fields of a DeploymentSpec from validated deployment_fields()
/// values (name, device, model, quality column, profile path and position are the
/// loader's: it resolves cards and files).
DeploymentSpec deployment_from(const ParamSet& p, const std::string& name);

}  // namespace collabsim
