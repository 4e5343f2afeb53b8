#pragma once
/// \file deployment_server.hpp
/// A model deployment at run time: the model on its device, its latency model, and the
/// Server that serves it, chosen once at construction (server.hpp): per-user instances,
/// an FCFS c-server pool or a continuous-batching pool with its dispatch policy.
/// Step times come from the LatencyModel: the roofline, or the deployment's measured profile.
///
/// Energy per request: the serving device's power during the steps that served it
/// (DeviceSpec::step: phase- and activity-dependent, docs/ENERGY.md) × their time
/// (batched iterations split by tokens processed). Cost per
/// request: DeploymentSpec::generation_cost (device price × accelerators × that time, plus
/// API prices per prompt and output token).
///
/// Neither copyable nor movable: its Server and the batching replicas refer to its
/// latency model and specs, so it is created in place (run_scenario holds them by
/// unique_ptr) and nothing can dangle.

#include <cstdint>
#include <memory>
#include <span>

#include "sim/core/engine.hpp"
#include "sim/hardware/deployment_spec.hpp"
#include "sim/hardware/generation.hpp"
#include "sim/hardware/latency_model.hpp"
#include "sim/hardware/server.hpp"

namespace collabsim {

class DeploymentServer {
 public:
  /// `dep` and `dev` must outlive the server. The latency profile is dep.profile_table (the
  /// loader's parse); a spec with only `profile` set is parsed here. Throws InputError for a
  /// profile that cannot be read, std::invalid_argument for an unknown scheduler or
  /// dispatch policy.
  DeploymentServer(Engine& engine, const DeploymentSpec& dep, const DeviceSpec& dev);
  DeploymentServer(const DeploymentServer&) = delete;
  DeploymentServer& operator=(const DeploymentServer&) = delete;

  /// Serves one request: `prompt_tokens` of prefill, `output_tokens` generated, after
  /// `cached_tokens` of context already in this deployment's KV cache (a continued
  /// sequence, e.g. a speculative-decoding verification round): the cached context is
  /// read by attention and held in the KV cache, but not prefilled again.
  /// Negative counts are clamped to 0. Generation::failed when it cannot be served.
  /// With latency = "service_time" the request is held for `service_s` (its workload
  /// service time, s) instead (Server::hold); std::logic_error when `service_s` < 0 then.
  /// `prefix_blocks`: the prompt's prefix-block hash ids (Request::prefix_blocks, alive
  /// until the call returns), used by a pool with prefix caching (Generation::prefix_hit_tokens).
  /// `api_energy_j` (Fleet's API energy estimate, J; null = none): when the deployment has
  /// an API energy power and the generation did not fail, api_energy_power() × (end − start)
  /// is added to it as the generation ends.
  Task<Generation> generate(std::int64_t prompt_tokens, std::int64_t output_tokens,
                            std::int64_t cached_tokens = 0, double service_s = -1,
                            std::span<const std::int64_t> prefix_blocks = {}, double* api_energy_j = nullptr);
  /// generate() in two calls, without a coroutine frame of its own (Fleet, Context::run_one):
  /// start() clamps the counts, checks `service_s` as generate() does (std::logic_error at
  /// the call) and returns the server's task; the caller passes the finished Generation to
  /// finish(), which sets its cost and adds it to this deployment's totals (and the API
  /// energy estimate, as generate()), before anything else sees it.
  Task<Generation> start(std::int64_t prompt_tokens, std::int64_t output_tokens, std::int64_t cached_tokens,
                         double service_s, std::span<const std::int64_t> prefix_blocks);
  /// See start().
  void finish(Generation& g, double* api_energy_j);

  /// Service time (s) of one request alone on an idle instance: prefill + decode.
  double service_time(std::int64_t prompt_tokens, std::int64_t output_tokens) const;

  /// KV-cache bytes available per replica: DeploymentSpec::usable_memory − weights;
  /// unlimited when the device's memory is unknown (0).
  double kv_capacity() const;

  using Load = ServerLoad;
  /// Current load (shared devices; per-user devices report zeros).
  Load load() const { return server_->load(); }

  const DeploymentSpec& spec() const { return dep_; }
  const DeviceSpec& device() const { return dev_; }
  /// Σ time the device worked (s): per-user Σ service time; shared Σ replica busy time.
  double busy_seconds() const { return server_->busy_seconds() + throttle_s_; }
  /// A per-user generation took `seconds` longer and `joules` more than served because its
  /// device was hot (hardware/thermal.hpp; Context::run_on): added to the totals above.
  void add_throttle(double seconds, double joules) {
    throttle_s_ += seconds;
    busy_j_ += joules;
  }
  /// The serving policy (autoscaling state, replica times).
  const Server& server() const { return *server_; }
  /// Σ energy attributed to requests (J).
  double busy_energy() const { return busy_j_; }
  std::int64_t generations() const { return count_; }

 private:
  const DeploymentSpec& dep_;
  const DeviceSpec& dev_;
  LatencyModel latency_;
  std::unique_ptr<Server> server_;
  double busy_j_ = 0;
  double throttle_s_ = 0;  ///< s added by add_throttle()
  std::int64_t count_ = 0;
};

}  // namespace collabsim
