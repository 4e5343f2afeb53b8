#include "sim/network/network.hpp"

#include <algorithm>
#include <stdexcept>

namespace collabsim {

Network::Network(Engine& engine, std::span<const LinkSpec> links, std::span<const DeviceSpec> devices,
                 std::uint64_t seed, const Topology& topo)
    : engine_(engine), links_(links), topo_(topo), carried_(2 * links.size(), 0.0), busy_(2 * links.size(), 0),
      radio_totals_(links.size()) {
  auto per_user_device = [&](const std::string& name) {
    for (const auto& d : devices)
      if (d.name == name) return d.per_user;
    throw std::out_of_range("no device '" + name + "'");
  };
  for (std::size_t i = 0; i < links.size(); ++i) {
    const auto& l = links[i];
    end_per_user_.push_back(per_user_device(l.from));
    end_per_user_.push_back(per_user_device(l.to));
    const bool per_user = end_per_user_[2 * i] || end_per_user_[2 * i + 1];
    per_user_.push_back(per_user);
    for (int dir = 0; dir < 2; ++dir) fifo_.push_back(per_user ? nullptr : std::make_unique<Resource>(engine, 1));
    outage_.push_back(std::make_unique<OutageProcess>(l.mtbf, l.mttr, RngStream(seed, "link_outage", i)));
    bandwidth_.emplace_back(l.bandwidth_trace, l.up_bandwidth, l.down_bandwidth);
    for (std::uint64_t dir = 0; dir < 2; ++dir) jitter_.emplace_back(seed, "link_jitter", 2 * i + dir);
    rrc_index_.push_back(l.rrc.model != RadioModel::none ? static_cast<int>(rrc_links_.size()) : -1);
    if (l.rrc.model != RadioModel::none) rrc_links_.push_back(i);
  }
}

RrcRadio* Network::radio(std::uint64_t session, std::size_t link) {
  if (session == kNoSession || rrc_index_[link] < 0) return nullptr;
  auto it = sessions_.find(session);
  if (it == sessions_.end()) {
    std::vector<RrcRadio> radios;
    for (const std::size_t l : rrc_links_) radios.emplace_back(links_[l].rrc);
    it = sessions_.emplace(session, std::move(radios)).first;
  }
  return &it->second[static_cast<std::size_t>(rrc_index_[link])];
}

bool Network::rrc_on_path(std::size_t from, std::size_t to) const {
  if (rrc_links_.empty()) return false;
  const auto& p = topo_.path(from, to);
  if (!p) throw std::logic_error("no path between devices");
  for (const auto& h : p->hops)
    if (rrc_index_[h.link] >= 0) return true;
  return false;
}

SimTime Network::radio_begin(std::uint64_t session, std::size_t from, std::size_t to, SimTime t) {
  const auto& p = topo_.path(from, to);
  if (!p) throw std::logic_error("no path between devices");
  SimTime ready = t;
  for (const auto& h : p->hops)
    if (RrcRadio* r = radio(session, h.link)) ready = std::max(ready, r->begin(t));
  return ready;
}

void Network::radio_end(std::uint64_t session, std::size_t from, std::size_t to, SimTime t) {
  const auto& p = topo_.path(from, to);
  if (!p) throw std::logic_error("no path between devices");
  for (const auto& h : p->hops)
    if (RrcRadio* r = radio(session, h.link)) r->end(t);
}

double Network::radio_close(std::uint64_t session) {
  const auto it = sessions_.find(session);
  if (it == sessions_.end()) return 0.0;
  double j = 0;
  for (std::size_t k = 0; k < rrc_links_.size(); ++k) {
    RrcRadio& r = it->second[k];
    r.close();
    LinkRadioTotals& t = radio_totals_[rrc_links_[k]];
    t.rrc_j += r.energy_j();
    t.tail_j += r.tail_j();
    t.promotions += r.promotions();
    t.resumes += r.resumes();
    j += r.energy_j();
  }
  sessions_.erase(it);
  return j;
}

RrcRadio::Times Network::radio_times(std::uint64_t session) const {
  RrcRadio::Times sum;
  const auto it = sessions_.find(session);
  if (it == sessions_.end()) return sum;
  for (const RrcRadio& r : it->second) {
    const RrcRadio::Times t = r.times();
    sum.promotion_s += t.promotion_s;
    sum.active_s += t.active_s;
    sum.tail_s += t.tail_s;
  }
  return sum;
}

double Network::radio_settle(std::uint64_t session) {
  const auto it = sessions_.find(session);
  if (it == sessions_.end()) return 0.0;
  double j = 0;
  for (std::size_t k = 0; k < rrc_links_.size(); ++k) {
    const RrcRadio::Settlement s = it->second[k].settle();
    LinkRadioTotals& t = radio_totals_[rrc_links_[k]];
    t.rrc_j += s.energy_j;
    t.tail_j += s.tail_j;
    t.promotions += s.promotions;
    t.resumes += s.resumes;
    j += s.energy_j;
  }
  return j;
}

double Network::charge_radio_bits(std::size_t from, std::size_t to, double bytes) {
  const auto& p = topo_.path(from, to);
  if (!p) throw std::logic_error("no path between devices");
  double j = 0;
  for (const auto& h : p->hops) {
    const double hop = radio_energy_hop(h, bytes);
    radio_totals_[h.link].bits_j += hop;
    j += hop;
  }
  return j;
}

SimTime Network::arrival_time(std::size_t from, std::size_t to, double bytes, SimTime at) {
  const auto& p = topo_.path(from, to);
  if (!p) throw std::logic_error("no path between devices");
  SimTime t = at;
  for (const auto& h : p->hops) {
    t = outage_[h.link]->next_up(t);
    t += from_seconds(bandwidth_[h.link].send_time(bytes, t, h.up)) + from_seconds(links_[h.link].latency);
  }
  return t;
}

SimTime Network::path_next_up(std::size_t from, std::size_t to, SimTime t) {
  const auto& p = topo_.path(from, to);
  if (!p) throw std::logic_error("no path between devices");
  for (;;) {  // advance until one instant finds every hop up
    SimTime latest = t;
    for (const auto& h : p->hops) latest = std::max(latest, outage_[h.link]->next_up(t));
    if (latest == t) return t;
    t = latest;
  }
}

double Network::radio_energy_hop(const Hop& h, double bytes) const {
  const auto& l = links_[h.link];
  const bool sender_per_user = end_per_user_[2 * h.link + (h.up ? 0 : 1)];
  const bool receiver_per_user = end_per_user_[2 * h.link + (h.up ? 1 : 0)];
  double j = 0;
  if (sender_per_user) j += bytes * l.radio_energy_up;
  if (receiver_per_user) j += bytes * l.radio_energy_down;
  return j;
}

double Network::radio_energy(std::size_t from, std::size_t to, double bytes) const {
  const auto& p = topo_.path(from, to);
  if (!p) throw std::logic_error("no path between devices");
  double j = 0;
  for (const auto& h : p->hops) j += radio_energy_hop(h, bytes);
  return j;
}

Task<Transfer> Network::send(std::size_t from, std::size_t to, double bytes, SimTime deadline,
                             std::uint64_t session) {
  Transfer tr;
  tr.start = engine_.now();
  tr.bytes = bytes;
  const auto& p = topo_.path(from, to);
  if (!p) throw std::logic_error("no path from " + topo_.device_name(from) + " to " + topo_.device_name(to));
  for (const Hop& h : p->hops) {
    const auto& l = links_[h.link];
    const std::size_t slot = 2 * h.link + (h.up ? 0 : 1);
    Resource* fifo = fifo_[slot].get();
    OutageProcess& out = *outage_[h.link];
    RrcRadio* rrc = radio(session, h.link);  // per-user link: fifo is null
    bool connected = false;
    for (;;) {
      if (fifo) co_await fifo->acquire();
      const SimTime now = engine_.now();
      const SimTime up_at = out.next_up(now);
      if (up_at > now) {  // link down: wait for it (or give up at the deadline)
        if (fifo) fifo->release();
        if (up_at > deadline) {
          co_await engine_.until(deadline);
          if (connected) rrc->end(engine_.now());
          tr.timed_out = true;
          tr.end = engine_.now();
          co_return tr;
        }
        co_await engine_.until(up_at);
        continue;
      }
      if (rrc && !connected) {  // idle or inactive radio: wait for the promotion, then look at the link again
        connected = true;
        const SimTime ready = rrc->begin(now);
        if (ready > now) {
          if (fifo) fifo->release();
          co_await engine_.until(ready);
          continue;
        }
      }
      const SimTime ser = from_seconds(bandwidth_[h.link].send_time(bytes, now, h.up));
      const SimTime down_at = out.next_down(now);
      if (down_at == kTimeNever || now + ser <= down_at) {
        co_await engine_.delay(ser);
        if (fifo) fifo->release(), busy_[slot] += ser;
        break;
      }
      co_await engine_.until(down_at);  // cut by an outage: start again when it is back
      if (fifo) fifo->release(), busy_[slot] += down_at - now;
      ++tr.retries;
    }
    carried_[slot] += bytes;
    if (rrc) rrc->end(engine_.now());
    double prop = l.latency;
    if (l.jitter > 0) prop += jitter_[slot].exponential(l.jitter);
    co_await engine_.delay(from_seconds(prop));
  }
  tr.end = engine_.now();
  co_return tr;
}

std::vector<MeasurementSource> Network::measurements() {
  std::vector<MeasurementSource> out;
  for (std::size_t l = 0; l < links_.size(); ++l) {
    MeasurementSource m;
    m.path = "links/" + links_[l].name;
    m.series = {{"bytes_up", "bytes", Aggregate::increment},
                {"bytes_down", "bytes", Aggregate::increment},
                {"up", "bool", Aggregate::level}};
    m.sample = [this, l](SimTime now, std::span<double> v) {
      v[0] = bytes_carried(l, true);
      v[1] = bytes_carried(l, false);
      v[2] = outages(l).up(now) ? 1.0 : 0.0;
    };
    if (links_[l].rrc.model != RadioModel::none)
      m.summary = [this, l](double) {
        const LinkRadioTotals& t = radio_totals_[l];
        return std::vector<NamedValue>{{"radio_energy_j", "J", t.bits_j + t.rrc_j},
                                       {"radio_bits_energy_j", "J", t.bits_j},
                                       {"rrc_energy_j", "J", t.rrc_j},
                                       {"rrc_tail_energy_j", "J", t.tail_j},
                                       {"rrc_promotions", "1", static_cast<double>(t.promotions)},
                                       {"rrc_resumes", "1", static_cast<double>(t.resumes)}};
      };
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace collabsim
