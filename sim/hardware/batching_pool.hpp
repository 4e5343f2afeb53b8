#pragma once
/// \file batching_pool.hpp
/// A shared device with scheduler "continuous": `replicas` BatchingReplica servers
/// (iteration-level continuous batching with a KV-cache limit), each request sent to the
/// replica its Dispatch policy picks.

#include <memory>
#include <vector>

#include "sim/hardware/batching_replica.hpp"
#include "sim/hardware/dispatch.hpp"
#include "sim/hardware/server.hpp"

namespace collabsim {

class BatchingPool final : public Server {
 public:
  /// `model`, `device` and `latency` must outlive the pool (the replicas refer to them).
  BatchingPool(Engine& engine, const ModelCard& model, const DeviceSpec& device, const LatencyModel& latency,
               BatchingConfig config, std::unique_ptr<Dispatch> dispatch);
  Task<Generation> generate(std::int64_t prompt, std::int64_t output, std::int64_t cached) override;
  ServerLoad load() const override;
  double busy_seconds() const override;
  const std::vector<std::unique_ptr<BatchingReplica>>& replicas() const { return replicas_; }

 private:
  std::vector<std::unique_ptr<BatchingReplica>> replicas_;
  std::unique_ptr<Dispatch> dispatch_;
};

}  // namespace collabsim
