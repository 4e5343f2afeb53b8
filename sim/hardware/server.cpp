#include "sim/hardware/server.hpp"

#include <stdexcept>

#include "sim/hardware/per_user_instances.hpp"
#include "sim/hardware/scheduler.hpp"

namespace collabsim {

Task<Generation> serve_alone(Engine& engine, const LatencyModel& latency, const DeviceSpec& device,
                             std::int64_t prompt, std::int64_t output, std::int64_t cached) {
  Generation g;
  g.queued = g.start = engine.now();
  g.prompt_tokens = prompt;
  g.output_tokens = output;
  const double first = prompt > 0 ? latency.prefill(prompt) : (output > 0 ? latency.decode_step(cached) : 0.0);
  const double rest = output > 1 ? latency.decode(cached + prompt + 1, output - 1) : 0.0;
  // Power per phase (DeviceSpec::step): the prefill (or first decode step) and the decode run.
  const StepWork w1 = prompt > 0 ? latency.prefill_work(prompt) : latency.decode_work(cached, output > 0 ? 1 : 0);
  const StepWork w2 = latency.decode_work(cached + prompt + 1, output > 1 ? output - 1 : 0);
  const PowerDraw p1 = device.step(w1.flops, w1.bytes, first, device.tp_activity_divisor(), w1.kv_bytes),
                  p2 = device.step(w2.flops, w2.bytes, rest, device.tp_activity_divisor(), w2.kv_bytes);
  const SimTime total = from_seconds(p1.seconds + p2.seconds);
  g.first_token = g.start + from_seconds(p1.seconds);
  co_await engine.delay(total);
  g.end = engine.now();
  g.device_time = to_seconds(total);
  // One power for both phases (constant model, or equal draws): energy of the rounded time.
  g.energy = p1.watts == p2.watts || rest <= 0 ? p1.watts * g.device_time
                                               : p1.watts * p1.seconds + p2.watts * p2.seconds;
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
  return dep.scheduler->make(engine, dep, dev, latency, kv_capacity);
}

}  // namespace collabsim
