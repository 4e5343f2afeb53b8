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

namespace {
/// A rate in bytes/s as the scenario's bandwidth keys read it ("8.2 Mbit/s", "3.1 Gbit/s").
std::string bit_rate(double bytes_per_s) {
  const double bits = bytes_per_s * 8;
  if (bits >= 1e9) return fmt::format("{:.3g} Gbit/s", bits / 1e9);
  if (bits >= 1e6) return fmt::format("{:.3g} Mbit/s", bits / 1e6);
  return fmt::format("{:.3g} kbit/s", bits / 1e3);
}
/// A byte count with its unit ("88.5 GB", "412 MB", "3.2 kB").
std::string byte_count(double bytes) {
  if (bytes >= 1e9) return fmt::format("{:.3g} GB", bytes / 1e9);
  if (bytes >= 1e6) return fmt::format("{:.3g} MB", bytes / 1e6);
  return fmt::format("{:.3g} kB", bytes / 1e3);
}
}  // namespace

std::string link_saturation_warning(const LinkSpec& link, const LinkSaturationFacts& f) {
  const std::string dir = f.up ? "up" : "down";
  const std::string& src = f.up ? link.from : link.to;
  const std::string& dst = f.up ? link.to : link.from;
  const double bandwidth = f.up ? link.up_bandwidth : link.down_bandwidth;
  const double offered = f.last_arrival_s > 0 ? f.bytes / f.last_arrival_s : 0;
  const std::string what = fmt::format("shared link '{}' {} ({} → {})", link.name, dir, src, dst);
  const std::string facts =
      fmt::format("sending {:.1f}% of its up time, {} carried ({} over the arrivals' {:.0f} s), last answer at "
                  "{:.0f} s",
                  100 * f.busy_share, byte_count(f.bytes), bit_rate(offered), f.last_arrival_s, f.last_answer_s);
  std::string fix;
  if (!f.origin_end.empty())
    fix = fmt::format("every user's transfers queue on this one link because '{}' is ONE shared instance; if each user "
                      "has their own '{}' (and radio), set devices.{}.per_user = true",
                      f.origin_end, f.origin_end, f.origin_end);
  else if (f.availability < 0.95)
    fix = fmt::format("the link is up only {:.1f}% of the run: raise links.{}.mtbf or lower links.{}.mttr, or lower "
                      "workload.rate_scale",
                      100 * f.availability, link.name, link.name);
  else if (!link.bandwidth_trace.empty())
    fix = fmt::format("its bandwidth comes from the trace {}: the direction needs more than the {} it carried over "
                      "the arrivals; use a trace with faster {} rates or lower workload.rate_scale",
                      link.bandwidth_trace.filename().string(), bit_rate(offered), dir);
  else
    fix = fmt::format("raise links.{}.{}_bandwidth (now {}) above {} (the bytes over the arrivals' span), send fewer "
                      "bytes over it, or lower workload.rate_scale",
                      link.name, dir, bit_rate(bandwidth), bit_rate(offered));
  return fmt::format("{} stayed saturated: {}; fix: {}", what, facts, fix);
}

}  // namespace collabsim
