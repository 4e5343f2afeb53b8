#include "sim/hardware/dispatch.hpp"

#include <stdexcept>

namespace collabsim {

std::size_t LeastLoaded::pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < replicas.size(); ++i)
    if (replicas[i]->load() < replicas[best]->load()) best = i;
  return best;
}

std::unique_ptr<Dispatch> make_dispatch(const std::string& name) {
  if (name == "least_loaded") return std::make_unique<LeastLoaded>();
  if (name == "round_robin") return std::make_unique<RoundRobin>();
  throw std::invalid_argument("unknown dispatch policy '" + name + "'");
}

}  // namespace collabsim
