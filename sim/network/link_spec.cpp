#include "sim/network/link_spec.hpp"

#include "sim/config/params.hpp"

namespace collabsim {

std::span<const Field> link_fields() {
  static const std::vector<Field> f = {
      Field::text("from", std::nullopt, "device at the 'up' sending end"),
      Field::text("to", std::nullopt, "device at the 'up' receiving end"),
      Field::quantity("up_bandwidth", std::nullopt, Dimension::Bandwidth, "from → to bandwidth", 1e-9, 1e15),
      Field::quantity("down_bandwidth", std::nullopt, Dimension::Bandwidth, "to → from bandwidth", 1e-9, 1e15),
      Field::quantity("latency", std::nullopt, Dimension::Time, "one-way propagation latency", 0.0, 1e6),
      // Exponential draws reach ~37 × their mean: the caps keep every draw inside the clock.
      Field::quantity("jitter", "0 ms", Dimension::Time,
                      "mean of an exponential extra delay added to each traversal", 0.0, 1e6),
      Field::quantity("mtbf", "0 s", Dimension::Time,
                      "mean time between outages, exponential (0 = the link never fails)", 0.0, 1e8),
      Field::quantity("mttr", "0 s", Dimension::Time, "mean outage duration, exponential", 0.0, 1e8),
      Field::quantity("radio_energy_up", "0 nJ/bit", Dimension::EnergyPerData,
                      "energy a per-user end spends per bit sent (radio)", 0.0, 1e3),
      Field::quantity("radio_energy_down", "0 nJ/bit", Dimension::EnergyPerData,
                      "energy a per-user end spends per bit received (radio)", 0.0, 1e3),
      Field::text("bandwidth_trace", "",
                  "CSV time_s,up_mbps,down_mbps (piecewise constant), relative to this file"),
  };
  return f;
}

LinkSpec link_from(const ParamSet& p, const std::string& name, const std::string& ctx) {
  LinkSpec l;
  l.name = name;
  l.from = p.text("from");
  l.to = p.text("to");
  if (l.from == l.to) throw InputError(p.pos("to"), ctx + ".to", "a link must join two different devices");
  l.up_bandwidth = p.number("up_bandwidth");
  l.down_bandwidth = p.number("down_bandwidth");
  l.latency = p.number("latency");
  l.jitter = p.number("jitter");
  l.mtbf = p.number("mtbf");
  l.mttr = p.number("mttr");
  if ((l.mtbf > 0) != (l.mttr > 0))
    throw InputError(p.pos(l.mtbf > 0 ? "mttr" : "mtbf"), ctx + (l.mtbf > 0 ? ".mttr" : ".mtbf"),
                     "an outage process needs both mtbf and mttr > 0");
  l.radio_energy_up = p.number("radio_energy_up");
  l.radio_energy_down = p.number("radio_energy_down");
  return l;
}

}  // namespace collabsim
