#include "sim/hardware/deployment_server.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "sim/hardware/profile_cache.hpp"

namespace collabsim {

DeploymentServer::DeploymentServer(Engine& engine, const DeploymentSpec& dep, const DeviceSpec& dev)
    : dep_(dep),
      dev_(dev),
      latency_(dep.model, dev,
               dep.profile_table              ? dep.profile_table
               : dep.profile.empty()          ? nullptr
                                              : load_profile(dep.profile, dep.splitwise)),
      server_(make_server(engine, dep, dev, latency_, kv_capacity())) {}

double DeploymentServer::kv_capacity() const {
  if (dev_.memory <= 0) return std::numeric_limits<double>::infinity();
  return std::max(0.0, dep_.usable_memory(dev_) - dep_.model.weight_bytes());
}

double DeploymentServer::service_time(std::int64_t prompt, std::int64_t output) const {
  return latency_.prefill(prompt) + latency_.decode(prompt, output);
}

Task<Generation> DeploymentServer::start(std::int64_t prompt, std::int64_t output, std::int64_t cached,
                                         double service_s, std::span<const std::int64_t> prefix_blocks) {
  prompt = std::max<std::int64_t>(prompt, 0);
  output = std::max<std::int64_t>(output, 0);
  cached = std::max<std::int64_t>(cached, 0);
  if (dep_.latency == LatencyMode::service_time) {
    if (!(service_s >= 0))
      throw std::logic_error("deployment '" + dep_.name + "' serves requests for their service time, but the call "
                             "carries none (a mechanism must reach it through Context::ask)");
    return server_->hold(prompt, output, service_s);
  }
  return server_->generate(prompt, output, cached, prefix_blocks);
}

void DeploymentServer::finish(Generation& g, double* api_energy_j) {
  g.cost = dep_.generation_cost(dev_, g.device_time, g.prompt_tokens, g.output_tokens);
  busy_j_ += g.energy;
  ++count_;
  if (api_energy_j)
    if (const double w = dep_.api_energy_power(); w > 0 && !g.failed) *api_energy_j += w * to_seconds(g.end - g.start);
}

Task<Generation> DeploymentServer::generate(std::int64_t prompt, std::int64_t output, std::int64_t cached,
                                            double service_s, std::span<const std::int64_t> prefix_blocks,
                                            double* api_energy_j) {
  Generation g = co_await start(prompt, output, cached, service_s, prefix_blocks);
  finish(g, api_energy_j);
  co_return g;
}

}  // namespace collabsim
