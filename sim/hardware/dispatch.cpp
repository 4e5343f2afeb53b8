#include "sim/hardware/dispatch.hpp"

#include <algorithm>
#include <stdexcept>

#include "sim/config/choice.hpp"

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

std::span<const DispatchInfo> dispatch_policies() {
  static const DispatchInfo kRows[] = {
      {"least_loaded", "fewest sequences waiting + running, ties to the lowest index",
       []() -> std::unique_ptr<Dispatch> { return std::make_unique<LeastLoaded>(); }},
      {"round_robin", "replicas in turn", []() -> std::unique_ptr<Dispatch> { return std::make_unique<RoundRobin>(); }},
      {"cache_aware",
       "the replica caching the longest prefix unless the pool is imbalanced (SGLang's router policy)",
       []() -> std::unique_ptr<Dispatch> { return std::make_unique<CacheAware>(); }},
  };
  return kRows;
}

const DispatchInfo& dispatch_named(const std::string& name) {
  return choice_row(dispatch_policies(), name, "dispatch policy");
}

}  // namespace collabsim
