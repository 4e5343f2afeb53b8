#include "sim/mechanisms/two_model.hpp"

#include "sim/core/error.hpp"
#include "sim/scenario/scenario.hpp"

namespace collabsim {

std::vector<Field> two_model_fields() {
  return {Field::text("small", "slm", "deployment of the small model (SLM)"),
          Field::text("large", "llm", "deployment of the large model (LLM)")};
}

void TwoModelMechanism::require_token_latency(const std::string& mechanism) const {
  for (std::size_t dep : {small_, large_}) {
    const DeploymentSpec& d = cx_.scenario().deployments[dep];
    if (d.latency == LatencyMode::service_time)
      throw InputError(d.latency_pos, "deployments." + d.name + ".latency",
                       mechanism + " runs token-level rounds (draft, verify, per-token hand-offs) that a "
                                   "deployment with latency = \"service_time\" cannot time: use latency = \"model\"");
  }
}

}  // namespace collabsim
