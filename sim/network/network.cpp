#include "sim/network/network.hpp"

#include <stdexcept>

namespace collabsim {

Network::Network(Engine& engine, const Scenario& sc, const Topology& topo)
    : engine_(engine), sc_(sc), topo_(topo), carried_(2 * sc.links.size(), 0.0) {
  for (const auto& l : sc.links) {
    const bool per_user = sc.device(l.from).per_user || sc.device(l.to).per_user;
    for (int dir = 0; dir < 2; ++dir)
      fifo_.push_back(per_user ? nullptr : std::make_unique<Resource>(engine, 1));
  }
}

double Network::unloaded_time(std::size_t from, std::size_t to, double bytes) const {
  const auto& p = topo_.path(from, to);
  if (!p) throw std::logic_error("no path between devices");
  double t = 0;
  for (const auto& h : p->hops) {
    const auto& l = sc_.links[h.link];
    t += bytes / (h.up ? l.up_bandwidth : l.down_bandwidth) + l.latency;
  }
  return t;
}

Task<Transfer> Network::send(std::size_t from, std::size_t to, double bytes) {
  Transfer tr;
  tr.start = engine_.now();
  tr.bytes = bytes;
  const auto& p = topo_.path(from, to);
  if (!p) throw std::logic_error("no path from " + topo_.device_name(from) + " to " + topo_.device_name(to));
  for (const auto& h : p->hops) {
    const auto& l = sc_.links[h.link];
    const std::size_t slot = 2 * h.link + (h.up ? 0 : 1);
    const double bw = h.up ? l.up_bandwidth : l.down_bandwidth;
    Resource* fifo = fifo_[slot].get();
    if (fifo) co_await fifo->acquire();
    co_await engine_.delay(from_seconds(bytes / bw));
    if (fifo) fifo->release();
    carried_[slot] += bytes;
    co_await engine_.delay(from_seconds(l.latency));
  }
  tr.end = engine_.now();
  co_return tr;
}

}  // namespace collabsim
