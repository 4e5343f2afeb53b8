#include "sim/study/saturation.hpp"

#include <fmt/format.h>

namespace collabsim {

std::string saturation_warning(const DeviceSpec& dev, const SaturationFacts& f) {
  const std::string what =
      f.origin ? fmt::format("the requests' origin device '{}', modelled as ONE shared instance ({} replica(s)),",
                             dev.name, dev.replicas)
               : fmt::format("shared device pool '{}' ({} replica(s) × {} accelerator(s))", dev.name, dev.replicas,
                             dev.accelerators);
  const std::string facts = fmt::format("utilisation {:.3f}, last answer at {:.0f} s for a last arrival at {:.0f} s",
                                        f.utilisation, f.last_answer_s, f.last_arrival_s);
  std::string fix;
  if (f.origin)
    fix = fmt::format("every user's requests queue on it; if each user has their own '{}', set devices.{}.per_user = "
                      "true (one instance per request origin)",
                      dev.name, dev.name);
  else if (f.autoscaled)
    fix = fmt::format("its autoscaler could not keep up: raise the deployments' autoscale ceiling "
                      "(devices.{}.replicas) or lower autoscale_up, or lower workload.rate_scale",
                      dev.name);
  else
    fix = fmt::format("add capacity (devices.{}.replicas > {}, or autoscale on its deployments) or lower "
                      "workload.rate_scale",
                      dev.name, dev.replicas);
  return fmt::format("{} stayed saturated: {}; fix: {}", what, facts, fix);
}

}  // namespace collabsim
