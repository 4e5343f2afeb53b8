#include "sim/hardware/deployment_server.hpp"

#include <algorithm>

#include "sim/hardware/roofline.hpp"

namespace collabsim {

DeploymentServer::DeploymentServer(Engine& engine, const DeploymentSpec& dep, const DeviceSpec& dev)
    : engine_(engine), dep_(dep), dev_(dev) {
  if (!dev.per_user) pool_ = std::make_unique<Resource>(engine, dev.replicas);
}

double DeploymentServer::service_time(std::int64_t prompt, std::int64_t output) const {
  return prefill_time(dep_.model, dev_, prompt) + decode_time(dep_.model, dev_, prompt, output);
}

Task<Generation> DeploymentServer::generate(std::int64_t prompt, std::int64_t output) {
  prompt = std::max<std::int64_t>(prompt, 0);
  output = std::max<std::int64_t>(output, 0);
  Generation g;
  g.queued = engine_.now();
  g.prompt_tokens = prompt;
  g.output_tokens = output;
  if (pool_) co_await pool_->acquire();
  g.start = engine_.now();
  const double prefill = prefill_time(dep_.model, dev_, prompt);
  const double decode = decode_time(dep_.model, dev_, prompt, output);
  const double first = output > 0 ? prefill + decode_step_time(dep_.model, dev_, prompt) : prefill;
  const SimTime total = from_seconds(prefill + decode);
  g.first_token = g.start + from_seconds(first);
  co_await engine_.delay(total);
  g.end = engine_.now();
  if (pool_) pool_->release();
  const double service_s = to_seconds(total);
  g.energy = dev_.busy_power * dev_.accelerators * service_s;
  g.cost = dev_.price * dev_.accelerators * service_s + dep_.price_input * static_cast<double>(prompt) +
           dep_.price_output * static_cast<double>(output);
  busy_s_ += service_s;
  ++count_;
  co_return g;
}

}  // namespace collabsim
