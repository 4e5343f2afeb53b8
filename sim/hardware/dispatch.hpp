#pragma once
/// \file dispatch.hpp
/// Which replica of a batching pool takes a new request, chosen once per deployment
/// (`deployments.<name>.dispatch`): least_loaded (fewest sequences waiting + running, ties
/// to the lowest index) or round_robin. Both pick only replicas that accept requests
/// (BatchingReplica::accepting: all of a fixed pool; the up, non-draining ones of an
/// autoscaled pool) and throw std::logic_error when none does.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "sim/hardware/batching_replica.hpp"

namespace collabsim {

class Dispatch {
 public:
  virtual ~Dispatch() = default;
  /// Index into `replicas` (non-empty, at least one accepting) of the replica for the next request.
  virtual std::size_t pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas) = 0;
};

class LeastLoaded final : public Dispatch {
 public:
  std::size_t pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas) override;
};

class RoundRobin final : public Dispatch {
 public:
  std::size_t pick(const std::vector<std::unique_ptr<BatchingReplica>>& replicas) override;

 private:
  std::size_t next_ = 0;
};

/// The policy named `name` ("least_loaded" | "round_robin"); std::invalid_argument otherwise.
std::unique_ptr<Dispatch> make_dispatch(const std::string& name);

}  // namespace collabsim
