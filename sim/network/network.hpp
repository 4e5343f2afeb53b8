#pragma once
/// \file network.hpp
/// Transfers over the topology's links. A transfer follows the shortest-latency path hop by
/// hop (store and forward); each hop takes serialisation (bytes / bandwidth of that
/// direction) then propagation (the link's one-way latency).
///
/// Each link direction is one FIFO server: transfers serialise in order of arrival. A link
/// with a per-user device at either end is per-user (every user has their own radio):
/// transfers on it never queue behind another user's.

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/resource.hpp"
#include "sim/topology/topology.hpp"

namespace collabsim {

/// What one transfer took. Times are absolute (ns).
struct Transfer {
  SimTime start = 0;
  SimTime end = 0;
  double bytes = 0;
};

class Network {
 public:
  Network(Engine& engine, const Scenario& scenario, const Topology& topology);

  /// Moves `bytes` from device `from` to device `to` (device indices of the Topology).
  /// Same device: returns at once. Throws std::logic_error if no path exists (the
  /// Topology already rejected such scenarios at load).
  Task<Transfer> send(std::size_t from, std::size_t to, double bytes);

  /// Time (s) for `bytes` to cross the path from → to with no queueing.
  double unloaded_time(std::size_t from, std::size_t to, double bytes) const;

  /// Total bytes carried per link direction so far: [link][0 = up, 1 = down].
  double bytes_carried(std::size_t link, bool up) const { return carried_[2 * link + (up ? 0 : 1)]; }

 private:
  Engine& engine_;
  const Scenario& sc_;
  const Topology& topo_;
  std::vector<std::unique_ptr<Resource>> fifo_;  // [2·link + dir], null when per-user
  std::vector<double> carried_;
};

}  // namespace collabsim
