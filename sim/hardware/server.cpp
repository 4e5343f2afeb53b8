#include "sim/hardware/server.hpp"

#include <stdexcept>

#include "sim/hardware/batching_pool.hpp"
#include "sim/hardware/fcfs_pool.hpp"
#include "sim/hardware/per_user_instances.hpp"

namespace collabsim {

Task<Generation> serve_alone(Engine& engine, const LatencyModel& latency, const DeviceSpec& device,
                             std::int64_t prompt, std::int64_t output, std::int64_t cached) {
  Generation g;
  g.queued = g.start = engine.now();
  g.prompt_tokens = prompt;
  g.output_tokens = output;
  const double first = prompt > 0 ? latency.prefill(prompt) : (output > 0 ? latency.decode_step(cached) : 0.0);
  const SimTime total = from_seconds(first + (output > 1 ? latency.decode(cached + prompt + 1, output - 1) : 0.0));
  g.first_token = g.start + from_seconds(first);
  co_await engine.delay(total);
  g.end = engine.now();
  g.device_time = to_seconds(total);
  g.energy = device.busy_energy(g.device_time);
  co_return g;
}

Task<Generation> Server::hold(std::int64_t, std::int64_t, double) {
  throw std::logic_error("this scheduler serves tokens, not service times (use scheduler = \"fcfs\")");
  co_return Generation{};
}

Task<Generation> serve_for(Engine& engine, const DeviceSpec& device, std::int64_t prompt, std::int64_t output,
                           double seconds) {
  Generation g;
  g.queued = g.start = engine.now();
  g.prompt_tokens = prompt;
  g.output_tokens = output;
  const SimTime total = from_seconds(seconds);
  co_await engine.delay(total);
  g.first_token = g.end = engine.now();
  g.device_time = to_seconds(total);
  g.energy = device.busy_energy(g.device_time);
  co_return g;
}

std::unique_ptr<Server> make_server(Engine& engine, const DeploymentSpec& dep, const DeviceSpec& dev,
                                    const LatencyModel& latency, double kv_capacity) {
  if (dev.per_user) return std::make_unique<PerUserInstances>(engine, dev, latency);
  if (dep.scheduler == "fcfs") return std::make_unique<FcfsPool>(engine, dev, latency);
  if (dep.scheduler == "continuous") {
    BatchingConfig cfg;
    cfg.max_batch = dep.max_batch;
    cfg.max_prefill_tokens = dep.max_prefill_tokens;
    cfg.kv_capacity = kv_capacity;
    cfg.iteration_overhead = dep.iteration_overhead;
    return std::make_unique<BatchingPool>(engine, dep.model, dev, latency, cfg, make_dispatch(dep.dispatch));
  }
  throw std::invalid_argument("unknown scheduler '" + dep.scheduler + "'");
}

}  // namespace collabsim
