#include "sim/hardware/pool_dispatch.hpp"

#include "sim/config/choice.hpp"

namespace collabsim {

std::span<const PoolDispatchInfo> pool_dispatch_policies() {
  static const PoolDispatchInfo kRows[] = {
      {"least_loaded", "fewest requests outstanding per replica", false,
       [](double n, double) { return n; }},
      {"expected_delay", "shortest expected delay (n/c + 1) × service time alone: speed-aware", true,
       [](double n, double s) { return (n + 1.0) * s; }},
  };
  return kRows;
}

const PoolDispatchInfo& pool_dispatch_named(const std::string& name) {
  return choice_row(pool_dispatch_policies(), name, "pool dispatch policy");
}

}  // namespace collabsim
