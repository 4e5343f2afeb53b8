#pragma once
/// \file deployment_spec.hpp
/// A model hosted on a device (`[deployments.<name>]`): which model, where, its prices and
/// how a shared device serves it.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/hardware/batching_spec.hpp"
#include "sim/hardware/device_spec.hpp"
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

/// The provider's assumed hardware of a priced API (`api_energy_card` and its keys):
/// `accelerators` of the device card `card` (e.g. "h100_sxm") per model replica and `batch`
/// sequences sharing them. Estimated power per sequence (W) = card busy_power ×
/// accelerators / batch (DeviceSpec::busy_watts_per_sequence), set by the loader from the card.
struct ApiEnergySpec {
  std::string card;
  int accelerators = 8;  ///< assumption: one 8-GPU node per model replica
  double batch = 32;     ///< sequences; assumption: the provider's mean batch
  double power = 0;      ///< W per sequence
};

/// A deployment: the keys every deployment has, and the specs of the variants it uses
/// (a batching scheduler's, an API energy estimate's), each set only when that variant is
/// chosen, as Vidur keeps one config type per scheduler.
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
  double kv_memory_utilization = 0.9;  ///< share of replica memory usable for weights + KV (vLLM's gpu_memory_utilization)
  /// The batching scheduler's own spec (batching_spec.hpp: max_batch, chunked prefill,
  /// dispatch, prefix caching, paged KV, autoscaling): set exactly when `scheduler` batches
  /// (SchedulerInfo::batching; the default scheduler, "continuous", does), so no key of one
  /// scheduler is held, or read, by a deployment of another.
  std::optional<BatchingSpec> batching = BatchingSpec{};
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
  std::filesystem::path profile;       ///< measured latency profile (empty = roofline)
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
  /// device with no power model (a priced API): set exactly when `api_energy_card` is given.
  std::optional<ApiEnergySpec> api_energy;
  SourcePos pos;

  /// Bytes of a replica of `dev` usable for weights and KV cache: replica_memory() ×
  /// kv_memory_utilization (0 when the memory is unknown).
  double usable_memory(const DeviceSpec& dev) const { return dev.replica_memory() * kv_memory_utilization; }
  /// Prefix caching on (a batching scheduler with BatchingSpec::prefix_cache).
  bool prefix_cache() const { return batching && batching->prefix_cache; }
  /// Autoscaled (a batching scheduler with BatchingSpec::autoscale set).
  bool autoscaled() const { return batching && batching->autoscale; }
  /// W per sequence of the API energy estimate (ApiEnergySpec::power); 0 = no estimate.
  double api_energy_power() const { return api_energy ? api_energy->power : 0.0; }
  /// USD of one generation: the device time at the device's price plus the API prices of
  /// its prompt and output tokens.
  double generation_cost(const DeviceSpec& dev, double device_seconds, std::int64_t prompt_tokens,
                         std::int64_t output_tokens) const {
    return dev.replica_cost(device_seconds) + price_input * static_cast<double>(prompt_tokens) +
           price_output * static_cast<double>(output_tokens);
  }
};

/// Keys of a `[deployments.<name>]` table: the common ones and batching_fields()
/// (batching_spec.hpp), which deployment_from refuses, written, for a scheduler that does
/// not batch.
std::span<const Field> deployment_fields();

/// The serving and price fields of a DeploymentSpec from validated deployment_fields()
/// values, each variant's keys into its spec (name, device, model, quality column, profile
/// path, API energy power and position are the loader's: it resolves cards and files).
/// Throws InputError naming the key for a key of a variant not chosen (a batching key
/// under a scheduler that does not batch; api_energy_accelerators/batch without
/// api_energy_card) and the checks of batching_from.
DeploymentSpec deployment_from(const ParamSet& p, const std::string& name);

}  // namespace collabsim
