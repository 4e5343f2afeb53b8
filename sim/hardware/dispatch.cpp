#include "sim/hardware/dispatch.hpp"

#include <algorithm>
#include <stdexcept>

namespace collabsim {

std::size_t LeastLoaded::pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas,
                              const DispatchRequest&) {
  std::size_t best = replicas.size();
  for (std::size_t i = 0; i < replicas.size(); ++i)
    if (replicas[i]->accepting() && (best == replicas.size() || replicas[i]->load() < replicas[best]->load()))
      best = i;
  if (best == replicas.size()) throw std::logic_error("dispatch: no replica accepts requests");
  return best;
}

std::size_t RoundRobin::pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas, const DispatchRequest&) {
  for (std::size_t tried = 0; tried < replicas.size(); ++tried) {
    const std::size_t k = next_++ % replicas.size();
    if (replicas[k]->accepting()) return k;
  }
  throw std::logic_error("dispatch: no replica accepts requests");
}

std::size_t CacheAware::pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas,
                             const DispatchRequest& request) {
  const std::size_t least = LeastLoaded{}.pick(replicas, request);
  std::size_t max_load = 0;
  for (const auto& r : replicas)
    if (r->accepting()) max_load = std::max(max_load, r->load());
  const double lo = static_cast<double>(replicas[least]->load()), hi = static_cast<double>(max_load);
  if (hi - lo > kBalanceAbs && hi > kBalanceRel * lo) return least;  // imbalanced: shortest queue
  if (request.prefix_blocks.empty() || request.prompt_tokens <= 0) return least;
  std::size_t best = least;
  std::int64_t best_hit = -1;
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    if (!replicas[i]->accepting()) continue;
    const std::int64_t hit = replicas[i]->prefix_match_tokens(request.prefix_blocks, request.prompt_tokens);
    if (hit > best_hit || (hit == best_hit && replicas[i]->load() < replicas[best]->load())) {
      best = i;
      best_hit = hit;
    }
  }
  const double ratio = static_cast<double>(best_hit) / static_cast<double>(request.prompt_tokens);
  return ratio >= kCacheThreshold ? best : least;
}

std::unique_ptr<Dispatch> make_dispatch(const std::string& name) {
  if (name == "least_loaded") return std::make_unique<LeastLoaded>();
  if (name == "round_robin") return std::make_unique<RoundRobin>();
  if (name == "cache_aware") return std::make_unique<CacheAware>();
  throw std::invalid_argument("unknown dispatch policy '" + name + "'");
}

}  // namespace collabsim
