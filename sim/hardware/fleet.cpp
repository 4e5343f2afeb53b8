#include "sim/hardware/fleet.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/hardware/pool_dispatch.hpp"

namespace collabsim {

Fleet::Fleet(std::vector<std::unique_ptr<DeploymentServer>>& servers)
    : servers_(servers), outstanding_(servers.size(), 0) {}

std::size_t Fleet::member(std::size_t dep, std::int64_t prompt, std::int64_t output) const {
  const DeploymentSpec& spec = servers_[dep]->spec();
  if (spec.pool.empty()) return dep;
  const PoolDispatchInfo& rule = *spec.pool_dispatch;
  std::size_t best = spec.pool.front();
  double best_v = std::numeric_limits<double>::infinity();
  for (const std::size_t m : spec.pool) {
    const DeploymentServer& s = *servers_[m];
    const ServerLoad l = s.load();
    const int c = l.up_replicas > 0 ? l.up_replicas : std::max(1, s.device().replicas);
    const double n = static_cast<double>(outstanding_[m]) / c;
    const double v = rule.score(n, rule.reads_service_time ? s.service_time(prompt, output) : 0.0);
    if (v < best_v) {
      best = m;
      best_v = v;
    }
  }
  return best;
}

Admission Fleet::admission(std::size_t dep, std::int64_t prompt, std::int64_t output) const {
  const DeploymentSpec& d = servers_[dep]->spec();
  Admission ad;
  ad.prompt = prompt;
  if (d.context_policy == LimitPolicy::Ignore && d.memory_policy == LimitPolicy::Ignore) return ad;  // nothing checked
  const std::int64_t asked = prompt + output;
  std::int64_t limit = std::numeric_limits<std::int64_t>::max();  // smallest truncating limit (tokens)
  AdmissionLimit binding = AdmissionLimit::none;
  const std::int64_t w = d.model.context_window;
  if (d.context_policy != LimitPolicy::Ignore && w > 0 && asked > w) {
    if (d.context_policy == LimitPolicy::Fail) return {AdmissionLimit::context, prompt};
    limit = w;
    binding = AdmissionLimit::context;
  }
  const double kv_tok = d.model.kv_bytes_per_token();
  const double cap = servers_[dep]->kv_capacity();
  if (d.memory_policy != LimitPolicy::Ignore && kv_tok > 0 && kv_tok * static_cast<double>(asked) > cap) {
    if (d.memory_policy == LimitPolicy::Fail) return {AdmissionLimit::memory, prompt};
    const auto fit = static_cast<std::int64_t>(std::floor(cap / kv_tok));
    if (fit < limit) limit = fit, binding = AdmissionLimit::memory;
  }
  if (binding == AdmissionLimit::none) return ad;
  ad.prompt = std::min(prompt, limit - output);
  if (ad.prompt < (prompt > 0 ? 1 : 0)) return {binding, prompt};  // the output alone does not fit
  return ad;
}

Task<Generation> Fleet::start(std::size_t dep, std::int64_t prompt, std::int64_t output, std::int64_t cached,
                              double service_s, std::span<const std::int64_t> prefix_blocks) {
  // Not a coroutine, and neither is the deployment's part: the caller awaits the server's
  // task and calls finish() (two frames fewer to allocate and resume per generation).
  return servers_[dep]->start(prompt, output, cached, service_s, prefix_blocks);
}

void Fleet::finish(std::size_t dep, Generation& g) { servers_[dep]->finish(g, &api_energy_estimate_j_); }

}  // namespace collabsim
