#include "sim/hardware/deployment_server.hpp"

#include <algorithm>
#include <limits>


namespace collabsim {

DeploymentServer::DeploymentServer(Engine& engine, const DeploymentSpec& dep, const DeviceSpec& dev)
    : engine_(engine),
      dep_(dep),
      dev_(dev),
      latency_(dep.model, dev, dep.profile.empty() ? nullptr : std::make_shared<ProfileTable>(dep.profile)) {
  if (dev.per_user) return;
  if (dep.scheduler == "fcfs") {
    pool_ = std::make_unique<Resource>(engine, dev.replicas);
    return;
  }
  BatchingConfig cfg;
  cfg.max_batch = dep.max_batch;
  cfg.max_prefill_tokens = dep.max_prefill_tokens;
  cfg.kv_capacity = kv_capacity();
  cfg.iteration_overhead = dep.iteration_overhead;
  for (int i = 0; i < dev.replicas; ++i)
    replicas_.push_back(std::make_unique<BatchingReplica>(engine, dep.model, dev, latency_, cfg));
}

double DeploymentServer::kv_capacity() const {
  if (dev_.memory <= 0) return std::numeric_limits<double>::infinity();
  return std::max(0.0, dep_.usable_memory(dev_) - dep_.model.weight_bytes());
}

double DeploymentServer::service_time(std::int64_t prompt, std::int64_t output) const {
  return latency_.prefill(prompt) + latency_.decode(prompt, output);
}

double DeploymentServer::busy_seconds() const {
  if (replicas_.empty()) return busy_s_;
  double s = 0;
  for (const auto& r : replicas_) s += r->busy_seconds();
  return s;
}

DeploymentServer::Load DeploymentServer::load() const {
  Load l;
  if (pool_) {
    l.busy_replicas = pool_->busy();
    l.running = static_cast<std::size_t>(pool_->busy());
    l.waiting = pool_->waiting();
  }
  for (const auto& r : replicas_) {
    l.busy_replicas += r->running() > 0 ? 1 : 0;
    l.running += r->running();
    l.waiting += r->waiting();
    l.kv_used += r->kv_used();
  }
  return l;
}

std::size_t DeploymentServer::pick_replica() {
  if (dep_.dispatch == "round_robin") return next_++ % replicas_.size();
  std::size_t best = 0;
  for (std::size_t i = 1; i < replicas_.size(); ++i)
    if (replicas_[i]->load() < replicas_[best]->load()) best = i;
  return best;
}

double DeploymentServer::price_of(const Generation& g, double device_seconds) const {
  return dep_.generation_cost(dev_, device_seconds, g.prompt_tokens, g.output_tokens);
}

Task<Generation> DeploymentServer::generate(std::int64_t prompt, std::int64_t output, std::int64_t cached) {
  prompt = std::max<std::int64_t>(prompt, 0);
  output = std::max<std::int64_t>(output, 0);
  cached = std::max<std::int64_t>(cached, 0);
  Generation g;
  if (!replicas_.empty()) {
    const std::size_t k = pick_replica();
    g = co_await replicas_[k]->generate(prompt, output, cached);
    g.replica = static_cast<int>(k);
    g.cost = price_of(g, g.device_time);
  } else {
    g.queued = engine_.now();
    g.prompt_tokens = prompt;
    g.output_tokens = output;
    if (pool_) co_await pool_->acquire();
    g.start = engine_.now();
    // The prefill pass emits the first token (as in the batching replica); each further
    // token is one decode step at the growing context. Attention over a cached part is
    // neglected in the prefill term here.
    // With nothing to prefill, the first token is a decode step at the cached context.
    const double first = prompt > 0 ? latency_.prefill(prompt) : (output > 0 ? latency_.decode_step(cached) : 0.0);
    const SimTime total =
        from_seconds(first + (output > 1 ? latency_.decode(cached + prompt + 1, output - 1) : 0.0));
    g.first_token = g.start + from_seconds(first);
    co_await engine_.delay(total);
    g.end = engine_.now();
    if (pool_) pool_->release();
    const double service_s = to_seconds(total);
    g.device_time = service_s;
    g.energy = dev_.busy_energy(service_s);
    g.cost = price_of(g, service_s);
    busy_s_ += service_s;
  }
  busy_j_ += g.energy;
  ++count_;
  co_return g;
}

}  // namespace collabsim
