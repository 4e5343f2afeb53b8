#pragma once
/// \file pool_dispatch.hpp
/// The registry of member choices of a heterogeneous pool (`deployments.<name>.pool_dispatch`,
/// with `share_with`): one PoolDispatchInfo row per rule (pool_dispatch_policies()), the
/// single source of the key's allowed values, its help in `collabsim list` and the rule
/// ServingPolicy::member applies. The loader reads the name into a pointer to its row once.
///
/// Each member m of the pool gets a score from n = requests outstanding at m / c_m replicas
/// up and S_m = m's service time of the request alone on an idle replica (s; computed only
/// for rules that read it); the lowest score takes the request, ties to the earlier member:
///   least_loaded:   n
///   expected_delay: (n + 1) × S_m, shortest-expected-delay routing, the classical speed-aware
///                   join rule for heterogeneous servers (Whitt, "Deciding which queue to
///                   join", Oper. Res. 1986; heterogeneous GPU serving: Mélange, Griggs et
///                   al. 2024).

#include <span>
#include <string>

namespace collabsim {

struct PoolDispatchInfo {
  const char* name;
  const char* help;
  bool reads_service_time;  ///< the score reads S_m (DeploymentServer::service_time)
  /// The member's score (lower wins) from n (requests per replica) and S_m (s; 0 when the
  /// rule does not read it).
  double (*score)(double per_replica, double service_s);
};

/// Every rule, the default ("least_loaded") first.
std::span<const PoolDispatchInfo> pool_dispatch_policies();
/// The row named `name`; throws std::invalid_argument (listing the names) otherwise.
const PoolDispatchInfo& pool_dispatch_named(const std::string& name);

}  // namespace collabsim
