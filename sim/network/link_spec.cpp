#include "sim/network/link_spec.hpp"

#include "sim/config/params.hpp"

namespace collabsim {
namespace {
/// NR connected-inactivity (tail) default, s: an assumption (operators configure the
/// inactivity timer; 10 s is the order of the LTE value), see docs/ENERGY.md.
constexpr double kNrTailTime = 10.0;
}  // namespace

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
      // RRC state machine of a per-user end's radio (sim/network/rrc.hpp, docs/ENERGY.md).
      // LTE defaults: Huang et al., MobiSys 2012, Tables 3-4. NR: assumptions (docs/ENERGY.md).
      Field::text("radio", "none",
                  "radio state machine of the per-user end, one per request: none (per-bit energy only), "
                  "lte (idle, promotion, connected, tail), nr (as lte + RRC_INACTIVE and resume)",
                  {"none", "lte", "nr"}),
      Field::quantity("rrc_promotion_delay", "260.1 ms", Dimension::Time,
                      "radio: idle → connected promotion, waited by the transfer (LTE: Huang et al. 2012 "
                      "Tables 3-4; nr default 260.1 ms, assumption)", 0.0, 60.0),
      Field::quantity("rrc_promotion_power", "1210.7 mW", Dimension::Power,
                      "radio: power during the promotion (LTE: Huang et al. 2012 Tables 3-4; nr: same, assumption)",
                      0.0, 1e3),
      Field::quantity("rrc_active_power", "1288.04 mW", Dimension::Power,
                      "radio: base power while transferring, besides radio_energy_up/down (LTE: Huang et al. "
                      "2012 Tables 3-4, beta; nr: same, assumption)", 0.0, 1e3),
      Field::quantity("rrc_tail_time", "11.576 s", Dimension::Time,
                      "radio: connected inactivity (tail) before leaving RRC_CONNECTED (LTE: Huang et al. 2012 "
                      "Tables 3-4; nr default 10 s, assumption)", 0.0, 3600.0),
      Field::quantity("rrc_tail_power", "1060 mW", Dimension::Power,
                      "radio: power in the tail (LTE: Huang et al. 2012 Tables 3-4, tail base; nr: same, assumption)",
                      0.0, 1e3),
      Field::quantity("rrc_resume_delay", "10 ms", Dimension::Time,
                      "radio nr: RRC_INACTIVE → connected resume, waited by the transfer (3GPP TR 38.913 "
                      "§7.5 control-plane latency target, a lower bound)", 0.0, 60.0),
      Field::quantity("rrc_resume_power", "1210.7 mW", Dimension::Power,
                      "radio nr: power during the resume (assumption: the LTE promotion power)", 0.0, 1e3),
      Field::quantity("rrc_inactive_time", "60 s", Dimension::Time,
                      "radio nr: time in RRC_INACTIVE after the tail before RRC_IDLE (assumption)", 0.0, 1e6),
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
  RrcParams& r = l.rrc;
  const std::string& model = p.text("radio");
  r.model = model == "lte" ? RadioModel::lte : model == "nr" ? RadioModel::nr : RadioModel::none;
  r.promotion_delay = p.number("rrc_promotion_delay");
  r.promotion_power = p.number("rrc_promotion_power");
  r.active_power = p.number("rrc_active_power");
  r.tail_time = p.number("rrc_tail_time");
  r.tail_power = p.number("rrc_tail_power");
  r.resume_delay = p.number("rrc_resume_delay");
  r.resume_power = p.number("rrc_resume_power");
  r.inactive_time = p.number("rrc_inactive_time");
  if (r.model == RadioModel::nr && !p.given("rrc_tail_time")) r.tail_time = kNrTailTime;
  if (r.model != RadioModel::nr) r.resume_delay = r.resume_power = r.inactive_time = 0;
  if (r.model == RadioModel::none)
    for (const char* k : {"rrc_promotion_delay", "rrc_promotion_power", "rrc_active_power", "rrc_tail_time",
                          "rrc_tail_power", "rrc_resume_delay", "rrc_resume_power", "rrc_inactive_time"})
      if (p.given(k))
        throw InputError(p.pos(k), ctx + "." + k, "set radio = \"lte\" or \"nr\" for the RRC keys to apply");
  if (r.model == RadioModel::lte)
    for (const char* k : {"rrc_resume_delay", "rrc_resume_power", "rrc_inactive_time"})
      if (p.given(k)) throw InputError(p.pos(k), ctx + "." + k, "RRC_INACTIVE exists in radio = \"nr\" only");
  return l;
}

}  // namespace collabsim
