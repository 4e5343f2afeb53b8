#pragma once
/// \file dispatch.hpp
/// Which replica of a batching pool takes a new request, chosen once per deployment
/// (`deployments.<name>.dispatch`, a row of dispatch_policies(): dispatch_policy.hpp): least_loaded (fewest sequences waiting + running, ties
/// to the lowest index), round_robin, or cache_aware (the replica whose prefix cache holds
/// the longest prefix of the prompt, unless the pool is imbalanced: CacheAware below).
/// All pick only replicas that accept requests (BatchingReplica::accepting: all of a fixed
/// pool; the up, non-draining ones of an autoscaled pool) and throw std::logic_error when
/// none does.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/hardware/batching_replica.hpp"
#include "sim/hardware/dispatch_policy.hpp"

namespace collabsim {

/// What a dispatch policy may know of the request it places.
struct DispatchRequest {
  std::int64_t prompt_tokens = 0;  ///< tokens to prefill
  std::int64_t output_tokens = 0;  ///< tokens to generate
  std::span<const std::int64_t> prefix_blocks;  ///< prompt's prefix-block hash ids (may be empty)
};

class Dispatch {
 public:
  virtual ~Dispatch() = default;
  /// Index into `replicas` (non-empty, at least one accepting) of the replica for `request`.
  virtual std::size_t pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas,
                           const DispatchRequest& request) = 0;
};

class LeastLoaded final : public Dispatch {
 public:
  std::size_t pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas, const DispatchRequest&) override;
};

class RoundRobin final : public Dispatch {
 public:
  std::size_t pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas, const DispatchRequest&) override;

 private:
  std::size_t next_ = 0;
};

/// Cache-aware routing, the policy of SGLang's router (sgl-router `cache_aware`, kept as
/// the default policy of its successor SMG; Zheng et al., "SGLang", NeurIPS 2024) and in
/// spirit Mooncake's Conductor, which sends a request where the longest prefix is cached
/// (Qin et al., FAST 2025, §5). Loads L_i = sequences waiting + running of accepting
/// replicas. The pool is imbalanced when max L − min L > kBalanceAbs and max L > kBalanceRel
/// × min L: then least_loaded. Otherwise the replica with the highest match ratio =
/// tokens of the prompt's leading blocks in its cache (BatchingReplica::prefix_match_tokens)
/// / prompt tokens takes it when that ratio ≥ kCacheThreshold (ties: lower load, then lower
/// index), else least_loaded. Without prefix caching every ratio is 0: least_loaded.
class CacheAware final : public Dispatch {
 public:
  /// SMG's documented defaults (docs/concepts/routing/cache-aware.md: --cache-threshold 0.3,
  /// --balance-abs-threshold 64, --balance-rel-threshold 1.5).
  static constexpr double kCacheThreshold = 0.3;
  static constexpr double kBalanceAbs = 64;
  static constexpr double kBalanceRel = 1.5;
  std::size_t pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas,
                   const DispatchRequest& request) override;
};

}  // namespace collabsim
