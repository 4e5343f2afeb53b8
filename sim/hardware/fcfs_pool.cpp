#include "sim/hardware/fcfs_pool.hpp"

namespace collabsim {

std::unique_ptr<Server> make_fcfs_pool(Engine& engine, const DeploymentSpec&, const DeviceSpec& dev,
                                       const LatencyModel& latency, double) {
  return std::make_unique<FcfsPool>(engine, dev, latency);
}

Task<Generation> FcfsPool::generate(std::int64_t prompt, std::int64_t output, std::int64_t cached) {
  const SimTime queued = engine_.now();
  co_await pool_.acquire();
  Generation g = co_await serve_alone(engine_, latency_, dev_, prompt, output, cached);
  pool_.release();
  g.queued = queued;
  busy_s_ += g.device_time;
  co_return g;
}

ServerLoad FcfsPool::load() const {
  ServerLoad l;
  l.busy_replicas = pool_.busy();
  l.running = static_cast<std::size_t>(pool_.busy());
  l.waiting = pool_.waiting();
  l.power_w = dev_.pool_power(l.busy_replicas);
  l.up_replicas = dev_.replicas;
  return l;
}

Task<Generation> FcfsPool::hold(std::int64_t prompt, std::int64_t output, double seconds) {
  const SimTime queued = engine_.now();
  co_await pool_.acquire();
  Generation g = co_await serve_for(engine_, dev_, prompt, output, seconds);
  pool_.release();
  g.queued = queued;
  busy_s_ += g.device_time;
  co_return g;
}

}  // namespace collabsim
