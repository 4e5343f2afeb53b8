#pragma once
/// \file fleet.hpp
/// The deployments of a run as one serving layer below the mechanisms: the
/// DeploymentServers and the serving policy that spans them, fixed at construction from
/// the validated specs (the loader resolves the names into indices and rows):
/// - heterogeneous pools (`share_with`): which member serves a request (member(), the rule
///   a PoolDispatchInfo row, pool_dispatch.hpp) from the requests outstanding per member
///   (Outstanding);
/// - prefill/decode disaggregation (`decode_on`): whether a call splits (split()), the
///   deployment that decodes (decode_of()) and the KV bytes that cross (kv_handoff_bytes());
/// - admission limits (context window, KV memory: admission());
/// - the API energy estimate of priced deployments (finish() adds it up).
/// Network transfers, spans and the request's accounting stay with the caller (Context,
/// mechanisms/context.hpp), which owns one Fleet per run.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sim/core/task.hpp"
#include "sim/hardware/deployment_server.hpp"

namespace collabsim {

/// Which limit refuses a request (Admission::refused).
enum class AdmissionLimit { none, context, memory };

/// Whether a deployment takes a request, and with what prompt.
struct Admission {
  AdmissionLimit refused = AdmissionLimit::none;
  std::int64_t prompt = 0;  ///< prompt tokens it takes (< the asked prompt when truncated)
};

class Fleet {
 public:
  /// `servers[i]` serves deployment i (its spec's `pool` and `decode_index` name other
  /// indices of `servers`); `servers` must outlive the fleet.
  explicit Fleet(std::vector<std::unique_ptr<DeploymentServer>>& servers);

  DeploymentServer& server(std::size_t dep) { return *servers_[dep]; }
  const DeploymentServer& server(std::size_t dep) const { return *servers_[dep]; }

  /// The deployment that serves a request of `prompt`/`output` tokens asked of `dep`: `dep`
  /// itself, or for a heterogeneous pool (deployments.<dep>.share_with) the member m (`dep`
  /// first, then the listed ones) with the lowest score of its pool_dispatch rule
  /// (pool_dispatch.hpp) from n = outstanding(m) / c_m, c_m the replicas up (the device's
  /// replicas when fixed), and S_m = DeploymentServer::service_time (only for rules that
  /// read it); ties to the earlier member.
  std::size_t member(std::size_t dep, std::int64_t prompt, std::int64_t output) const;
  /// Requests asked of deployment `dep` and not answered yet (member()'s n before the
  /// division by replicas).
  std::int64_t outstanding(std::size_t dep) const { return outstanding_[dep]; }
  /// Counts one request outstanding at a deployment for its lifetime (asked → answered).
  class Outstanding {
   public:
    Outstanding(Fleet& fleet, std::size_t dep) : n_(++fleet.outstanding_[dep]) {}
    ~Outstanding() { --n_; }
    Outstanding(const Outstanding&) = delete;
    Outstanding& operator=(const Outstanding&) = delete;

   private:
    std::int64_t& n_;
  };

  /// The limits of deployment `dep` for a request (checked in this order):
  ///  - context: prompt + output ≤ the model's context_window (ModelCard; 0 = unknown);
  ///  - memory:  kv_bytes_per_token × (prompt + output) ≤ the replica's KV capacity
  ///    (DeploymentServer::kv_capacity: usable memory − weights; unlimited when the
  ///    device's memory is unknown). For paged KV admission the block rounding is ignored.
  /// A limit whose policy (context_policy, memory_policy) is "ignore" is not checked;
  /// "fail" refuses the request; "truncate" keeps the last N prompt tokens, N =
  /// min(prompt, L − output) with L the smallest truncating limit in tokens, and refuses it
  /// when the output alone leaves no prompt token (N < 1 for a non-empty prompt).
  Admission admission(std::size_t dep, std::int64_t prompt, std::int64_t output) const;

  /// True when a call of `prompt`/`output` tokens on `dep` splits prefill and decode: `dep`
  /// has a decode_on deployment, prompt > 0 and output > 1.
  bool split(std::size_t dep, std::int64_t prompt, std::int64_t output) const {
    return servers_[dep]->spec().decode_index != DeploymentSpec::kColocated && prompt > 0 && output > 1;
  }
  /// The deployment that decodes for `dep` (only when split() can be true).
  std::size_t decode_of(std::size_t dep) const { return servers_[dep]->spec().decode_index; }
  /// Bytes of KV that cross from `dep`'s device to its decode deployment's after a prefill
  /// that leaves `context_tokens` in the cache: ModelCard::kv_bytes_per_token each.
  double kv_handoff_bytes(std::size_t dep, std::int64_t context_tokens) const {
    return servers_[dep]->spec().model.kv_bytes_per_token() * static_cast<double>(context_tokens);
  }

  /// DeploymentServer::generate on `dep` in two calls (DeploymentServer::start/finish): the
  /// caller awaits start()'s task and passes the Generation to finish() at once. finish()
  /// sets its cost, adds it to the deployment's totals, and adds
  /// DeploymentSpec::api_energy_power() × the generation's time at the provider (start of
  /// service to last token) to the API energy estimate when the deployment has one and the
  /// generation did not fail.
  Task<Generation> start(std::size_t dep, std::int64_t prompt, std::int64_t output, std::int64_t cached,
                         double service_s, std::span<const std::int64_t> prefix_blocks);
  /// See start().
  void finish(std::size_t dep, Generation& g);
  /// Σ over the run of the API energy estimate (J): an estimate of the provider's hardware,
  /// kept apart from modelled device energy (not in energy_j).
  double api_energy_estimate_j() const { return api_energy_estimate_j_; }

 private:
  std::vector<std::unique_ptr<DeploymentServer>>& servers_;
  std::vector<std::int64_t> outstanding_;  ///< per deployment: asks in progress (sent, not answered)
  double api_energy_estimate_j_ = 0;
};

}  // namespace collabsim
