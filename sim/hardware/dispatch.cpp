#include "sim/hardware/dispatch.hpp"

#include <stdexcept>

namespace collabsim {

std::size_t LeastLoaded::pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas) {
  std::size_t best = replicas.size();
  for (std::size_t i = 0; i < replicas.size(); ++i)
    if (replicas[i]->accepting() && (best == replicas.size() || replicas[i]->load() < replicas[best]->load()))
      best = i;
  if (best == replicas.size()) throw std::logic_error("dispatch: no replica accepts requests");
  return best;
}

std::size_t RoundRobin::pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas) {
  for (std::size_t tried = 0; tried < replicas.size(); ++tried) {
    const std::size_t k = next_++ % replicas.size();
    if (replicas[k]->accepting()) return k;
  }
  throw std::logic_error("dispatch: no replica accepts requests");
}

std::unique_ptr<Dispatch> make_dispatch(const std::string& name) {
  if (name == "least_loaded") return std::make_unique<LeastLoaded>();
  if (name == "round_robin") return std::make_unique<RoundRobin>();
  throw std::invalid_argument("unknown dispatch policy '" + name + "'");
}

}  // namespace collabsim
