#pragma once
/// \file network.hpp
/// Transfers over the topology's links. A transfer follows the shortest-latency path hop
/// by hop (store and forward); each hop takes serialisation (bytes over the direction's
/// bandwidth, integrated over a bandwidth trace when the link has one) and then
/// propagation (latency + an exponential jitter draw with the link's mean jitter).
///
/// Each link direction is one FIFO server: transfers serialise in order of arrival. A link
/// with a per-user device at either end is per-user (every user has their own radio):
/// transfers on it never queue behind another user's.
///
/// Outages (OutageProcess, per link, both directions): a hop waits for the link to come
/// up; a serialisation cut by an outage starts again when the link returns. A transfer
/// with a deadline gives up when the deadline passes while it waits (Transfer::timed_out)
/// — the caller decides what to do, nothing is dropped silently.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/resource.hpp"
#include "sim/network/bandwidth_series.hpp"
#include "sim/network/outage_process.hpp"
#include "sim/network/link_spec.hpp"
#include "sim/topology/topology.hpp"

namespace collabsim {

/// What one transfer took. Times are absolute (ns).
struct Transfer {
  SimTime start = 0;
  SimTime end = 0;
  double bytes = 0;
  bool timed_out = false;  ///< gave up at the deadline while the link was down
  int retries = 0;         ///< serialisations restarted after an outage
};

class Network {
 public:
  /// `links` and `devices` (the ones the topology was built from) must outlive the
  /// network; `seed` seeds the per-link outage and jitter streams.
  Network(Engine& engine, std::span<const LinkSpec> links, std::span<const DeviceSpec> devices, std::uint64_t seed,
          const Topology& topology);

  /// Moves `bytes` from device `from` to device `to` (Topology device indices), giving up
  /// at absolute time `deadline` if still waiting for a link. Same device: returns at once.
  /// Jitter is drawn from one seeded stream per link direction, in event order. Throws
  /// std::logic_error if no path exists (Topology rejects such scenarios at load).
  Task<Transfer> send(std::size_t from, std::size_t to, double bytes, SimTime deadline = kTimeNever);

  /// Time (s) for `bytes` to cross the path from → to with no queueing, outage or jitter,
  /// at the bandwidths in force at time `at`.
  double unloaded_time(std::size_t from, std::size_t to, double bytes, SimTime at = 0) const;

  /// Arrival time (ns) at `to` of `bytes` sent from `from` at `at`, with no queueing or
  /// jitter but waiting out outages on each hop (used for the first streamed token).
  SimTime arrival_time(std::size_t from, std::size_t to, double bytes, SimTime at);

  /// True when every link on the path from → to is up at time t.
  bool path_up(std::size_t from, std::size_t to, SimTime t) { return path_next_up(from, to, t) == t; }
  /// Earliest time ≥ t at which every link on the path from → to is up at once.
  SimTime path_next_up(std::size_t from, std::size_t to, SimTime t);

  /// Radio energy (J) a per-user end spends to move `bytes` from → to: Σ over hops with a
  /// per-user endpoint of bytes × radio_energy_up (sender side) or radio_energy_down.
  double radio_energy(std::size_t from, std::size_t to, double bytes) const;

  /// Total bytes carried per link direction so far.
  double bytes_carried(std::size_t link, bool up) const { return carried_[2 * link + (up ? 0 : 1)]; }
  OutageProcess& outages(std::size_t link) { return *outage_[link]; }

 private:
  Engine& engine_;
  std::span<const LinkSpec> links_;
  const Topology& topo_;
  std::vector<std::unique_ptr<Resource>> fifo_;  // [2·link + dir], null when per-user
  std::vector<std::unique_ptr<OutageProcess>> outage_;
  std::vector<BandwidthSeries> bandwidth_;
  std::vector<RngStream> jitter_;  // [2·link + dir]
  std::vector<bool> per_user_;
  std::vector<bool> end_per_user_;  // [2·link + 0] from-device per-user, [2·link + 1] to-device
  std::vector<double> carried_;
};

}  // namespace collabsim
