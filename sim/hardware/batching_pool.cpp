#include "sim/hardware/batching_pool.hpp"

namespace collabsim {

BatchingPool::BatchingPool(Engine& engine, const ModelCard& model, const DeviceSpec& device,
                           const LatencyModel& latency, BatchingConfig config, std::unique_ptr<Dispatch> dispatch)
    : dispatch_(std::move(dispatch)) {
  for (int i = 0; i < device.replicas; ++i)
    replicas_.push_back(std::make_unique<BatchingReplica>(engine, model, device, latency, config));
}

Task<Generation> BatchingPool::generate(std::int64_t prompt, std::int64_t output, std::int64_t cached) {
  const std::size_t k = dispatch_->pick(replicas_);
  Generation g = co_await replicas_[k]->generate(prompt, output, cached);
  g.replica = static_cast<int>(k);
  co_return g;
}

ServerLoad BatchingPool::load() const {
  ServerLoad l;
  for (const auto& r : replicas_) {
    l.busy_replicas += r->running() > 0 ? 1 : 0;
    l.running += r->running();
    l.waiting += r->waiting();
    l.kv_used += r->kv_used();
  }
  return l;
}

double BatchingPool::busy_seconds() const {
  double s = 0;
  for (const auto& r : replicas_) s += r->busy_seconds();
  return s;
}

}  // namespace collabsim
