#include "sim/hardware/batching_pool.hpp"

#include <algorithm>
#include <stdexcept>

#include "sim/hardware/deployment_spec.hpp"
#include "sim/hardware/dispatch_policy.hpp"

namespace collabsim {

std::unique_ptr<Server> make_batching_pool(Engine& engine, const DeploymentSpec& dep, const DeviceSpec& dev,
                                           const LatencyModel& latency, double kv_capacity) {
  if (!dep.batching)
    throw std::logic_error("deployment " + dep.name + ": a batching pool needs the batching scheduler's spec");
  const BatchingSpec& b = *dep.batching;
  BatchingConfig cfg;
  cfg.max_batch = b.max_batch;
  cfg.max_prefill_tokens = b.max_prefill_tokens;
  cfg.kv_capacity = kv_capacity;
  cfg.iteration_overhead = b.iteration_overhead;
  cfg.prefix_block_tokens = b.prefix_cache ? b.prefix_block_tokens : 0;
  if (b.paged) {
    cfg.paged = true;
    cfg.swap = b.paged->swap;
    cfg.kv_block_tokens = b.paged->block_tokens;
  }
  cfg.swap_bandwidth = dev.swap_bandwidth;
  AutoscaleConfig as;
  if (b.autoscale) {
    as.on = true;
    as.min_replicas = b.autoscale->min_replicas;
    as.interval = b.autoscale->interval;
    as.up = b.autoscale->up;
    as.down = b.autoscale->down;
  }
  as.cold_start = dep.model.weight_bytes() / dev.weight_load_bandwidth;
  return std::make_unique<BatchingPool>(engine, dep.model, dev, latency, cfg, b.dispatch->make(), as);
}

BatchingPool::BatchingPool(Engine& engine, const ModelCard& model, const DeviceSpec& device,
                           const LatencyModel& latency, BatchingConfig config, std::unique_ptr<Dispatch> dispatch,
                           AutoscaleConfig autoscale)
    : engine_(engine),
      dev_(device),
      dispatch_(std::move(dispatch)),
      as_(autoscale),
      max_batch_(config.max_batch),
      paged_(config.paged) {
  for (int i = 0; i < device.replicas; ++i)
    replicas_.push_back(std::make_unique<BatchingReplica>(engine, model, device, latency, config, i));
  state_.assign(replicas_.size(), State::up);
  if (as_.on) log_.resize(replicas_.size());
  for (std::size_t k = 0; k < replicas_.size(); ++k) {
    const State s = !as_.on || static_cast<int>(k) < as_.min_replicas ? State::up : State::stopped;
    state_[k] = s;
    replicas_[k]->set_accepting(s == State::up);
    if (as_.on) log_[k].push_back({engine.now(), s});
  }
}

void BatchingPool::set_state(std::size_t k, State s) {
  state_[k] = s;
  replicas_[k]->set_accepting(s == State::up);
  log_[k].push_back({engine_.now(), s});  // only autoscaling changes states
}

Task<Generation> BatchingPool::generate(std::int64_t prompt, std::int64_t output, std::int64_t cached) {
  return generate(prompt, output, cached, {});
}

Task<Generation> BatchingPool::generate(std::int64_t prompt, std::int64_t output, std::int64_t cached,
                                        std::span<const std::int64_t> blocks) {
  // Not a coroutine: the replica's task is handed to the caller (one frame less to resume
  // per request; the replica stamps Generation::replica). The caller awaits it at once, so
  // the pick happens at the same point of the run as when this body ran at co_await.
  if (as_.on && !ticking_) {
    ticking_ = true;
    engine_.spawn(autoscaler());
  }
  const std::size_t k = dispatch_->pick(replicas_, DispatchRequest{prompt, output, blocks});
  return replicas_[k]->generate(prompt, output, cached, blocks);
}

Server::PrefixStats BatchingPool::prefix_stats() const {
  PrefixStats p;
  for (const auto& r : replicas_) {
    p.on = p.on || r->prefix_cache() != nullptr;
    p.prompt_tokens += r->prefix_prompt_tokens();
    p.hit_tokens += r->prefix_hit_tokens();
  }
  return p;
}

Server::PreemptionStats BatchingPool::preemption_stats() const {
  PreemptionStats p;
  p.on = paged_;
  for (const auto& r : replicas_) {
    p.preemptions += r->preemptions();
    p.recompute_tokens += r->recompute_tokens();
  }
  return p;
}

Task<void> BatchingPool::autoscaler() {
  const SimTime dt = from_seconds(as_.interval);
  for (;;) {
    co_await engine_.delay(dt);
    evaluate();
    // Rest while there is nothing left to do; the next request wakes the autoscaler.
    bool rest = true;
    int up = 0;
    for (std::size_t k = 0; k < replicas_.size(); ++k) {
      if (replicas_[k]->load() > 0 || state_[k] == State::starting || state_[k] == State::draining) rest = false;
      if (state_[k] == State::up) ++up;
    }
    // Empty, the only action left is draining down to min_replicas, and only while the
    // drain threshold is above 0 (an empty pool has 0 sequences per replica): with
    // autoscale_down = 0 nothing ever drains, so rest now (H1: it re-armed for ever).
    if (rest && (up <= as_.min_replicas || as_.down <= 0)) {
      ticking_ = false;
      co_return;
    }
  }
}

Task<void> BatchingPool::cold_start(std::size_t k) {
  co_await engine_.delay(from_seconds(as_.cold_start));
  if (state_[k] == State::starting) set_state(k, State::up);
}

void BatchingPool::evaluate() {
  // Draining replicas that emptied stop now.
  for (std::size_t k = 0; k < replicas_.size(); ++k)
    if (state_[k] == State::draining && replicas_[k]->load() == 0) {
      set_state(k, State::stopped);
      ++downs_;
    }
  std::size_t load = 0;
  int up = 0, starting = 0;
  for (std::size_t k = 0; k < replicas_.size(); ++k) {
    if (state_[k] == State::up) {
      ++up;
      load += replicas_[k]->load();
    }
    if (state_[k] == State::starting) ++starting;
  }
  const double l = static_cast<double>(load);
  const double per_replica = l / std::max(1, up + starting);
  if (per_replica > as_.up && up + starting < static_cast<int>(replicas_.size())) {
    for (std::size_t k = 0; k < replicas_.size(); ++k)  // take a draining replica back first
      if (state_[k] == State::draining) {
        set_state(k, State::up);
        ++ups_;
        return;
      }
    for (std::size_t k = 0; k < replicas_.size(); ++k)
      if (state_[k] == State::stopped) {
        set_state(k, State::starting);
        ++ups_;
        engine_.spawn(cold_start(k));
        return;
      }
  }
  if (per_replica < as_.down && starting == 0 && up > as_.min_replicas && l / (up - 1) <= as_.up) {
    std::size_t pick = replicas_.size();
    for (std::size_t k = 0; k < replicas_.size(); ++k)
      if (state_[k] == State::up && (pick == replicas_.size() || replicas_[k]->load() <= replicas_[pick]->load()))
        pick = k;
    set_state(pick, State::draining);
    if (replicas_[pick]->load() == 0) {
      set_state(pick, State::stopped);
      ++downs_;
    }
  }
}

ServerLoad BatchingPool::load() const {
  ServerLoad l;
  for (std::size_t k = 0; k < replicas_.size(); ++k) {
    const auto& r = replicas_[k];
    l.busy_replicas += r->running() > 0 ? 1 : 0;
    l.running += r->running();
    l.waiting += r->waiting();
    l.kv_used += r->kv_used();
    switch (state_[k]) {
      case State::stopped: l.power_w += dev_.standby_watts(); break;
      case State::starting: l.power_w += dev_.idle_watts(); ++l.up_replicas; break;
      case State::up:
      case State::draining:
        l.power_w += r->watts_now() > 0 ? r->watts_now() : dev_.idle_watts();
        ++l.up_replicas;
        break;
    }
  }
  return l;
}

double BatchingPool::busy_seconds() const {
  double s = 0;
  for (const auto& r : replicas_) s += r->busy_seconds();
  return s;
}

double BatchingPool::sequence_seconds() const {
  double s = 0;
  for (const auto& r : replicas_) s += r->sequence_seconds();
  return s;
}

ReplicaTime BatchingPool::replica_time(double horizon_s) const {
  ReplicaTime t;
  for (const auto& log : log_)
    for (std::size_t i = 0; i < log.size(); ++i) {
      const double from = std::min(to_seconds(log[i].first), horizon_s);
      const double to = i + 1 < log.size() ? std::min(to_seconds(log[i + 1].first), horizon_s) : horizon_s;
      const double d = std::max(0.0, to - from);
      switch (log[i].second) {
        case State::stopped: t.stopped_s += d; break;
        case State::starting: t.starting_s += d; break;
        case State::up:
        case State::draining: t.up_s += d; break;
      }
    }
  return t;
}

}  // namespace collabsim
