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
///
/// Radio state (links with `radio` = "lte" | "nr", rrc.hpp): a transfer given a session
/// (Context::radio_session: the user's, kept across the user's requests when the per-user
/// device is bound to users; else the request's own) drives that session's RrcRadio of
/// every such link on its path. The hop
/// waits for the promotion before it serialises; the radio is active from the promotion's
/// end to the hop's last bit. radio_close() charges the final tail. Without a session, or
/// on links with radio = "none", nothing changes (per-bit energy only).

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "sim/core/measurement.hpp"
#include "sim/core/engine.hpp"
#include "sim/core/resource.hpp"
#include "sim/network/bandwidth_series.hpp"
#include "sim/network/outage_process.hpp"
#include "sim/network/link_spec.hpp"
#include "sim/network/rrc.hpp"
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

/// Radio energy per link over a run (J), for conservation: Σ over requests of
/// energy_radio_j = Σ over links of bits_j + rrc_j.
struct LinkRadioTotals {
  double bits_j = 0;   ///< per-bit energy (radio_energy_up/down) charged through charge_radio_bits
  double rrc_j = 0;    ///< promotion + resume + active + tail energy of closed sessions
  double tail_j = 0;   ///< of which tail
  std::int64_t promotions = 0, resumes = 0;
};

class Network {
 public:
  /// "No radio session": the transfer drives no RRC state machine.
  static constexpr std::uint64_t kNoSession = ~std::uint64_t{0};

  /// `links` and `devices` (the ones the topology was built from) must outlive the
  /// network; `seed` seeds the per-link outage and jitter streams.
  Network(Engine& engine, std::span<const LinkSpec> links, std::span<const DeviceSpec> devices, std::uint64_t seed,
          const Topology& topology);

  /// Moves `bytes` from device `from` to device `to` (Topology device indices), giving up
  /// at absolute time `deadline` if still waiting for a link. Same device: returns at once.
  /// Jitter is drawn from one seeded stream per link direction, in event order. Throws
  /// std::logic_error if no path exists (Topology rejects such scenarios at load).
  /// `session` (a request id, or kNoSession) selects the radios driven on RRC links: the
  /// hop then waits for their promotion/resume first (Transfer::end includes it).
  Task<Transfer> send(std::size_t from, std::size_t to, double bytes, SimTime deadline = kTimeNever,
                      std::uint64_t session = kNoSession);

  /// True when some link on the path from → to has an RRC radio (radio ≠ "none").
  bool rrc_on_path(std::size_t from, std::size_t to) const;
  /// Registers the start at time t (ns, may be earlier than now: a streamed answer's first
  /// token) of an activity of `session` on the RRC links of the path from → to; returns
  /// the time all are connected (≥ t; later when a promotion or resume is needed).
  SimTime radio_begin(std::uint64_t session, std::size_t from, std::size_t to, SimTime t);
  /// Ends that activity at time t.
  void radio_end(std::uint64_t session, std::size_t from, std::size_t to, SimTime t);
  /// The session is over: charges every one of its radios' final tail, adds them to the
  /// link totals and forgets the session. Returns its RRC energy (J; 0 when it never used
  /// an RRC link).
  double radio_close(std::uint64_t session);
  /// For a session kept across requests (one user's radio): what it owes since its last
  /// settle (RrcRadio::settle), added to the per-link totals; the session stays open.
  double radio_settle(std::uint64_t session);
  /// Σ over the RRC links of session's radios of RrcRadio::times() (zeros for an unknown session).
  RrcRadio::Times radio_times(std::uint64_t session) const;
  /// radio_energy() of the transfer, also added to the per-link totals (J).
  double charge_radio_bits(std::size_t from, std::size_t to, double bytes);
  const LinkRadioTotals& link_radio(std::size_t link) const { return radio_totals_[link]; }

  /// What each link records (core/measurement.hpp), at links/<name>: a timeline of
  /// bytes_up and bytes_down carried in each interval and its up state (1/0), and, for an
  /// RRC radio, the summary row of its radio energy totals (radio_energy_j = bits + RRC,
  /// radio_bits_energy_j, rrc_energy_j, rrc_tail_energy_j, rrc_promotions, rrc_resumes).
  /// The network must outlive the sources.
  std::vector<MeasurementSource> measurements();

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

  /// Serialisation time (s) link direction `up` of `link` spent sending so far, outage-cut
  /// attempts included: its busy time as a FIFO server. Only kept for shared links (a
  /// per-user link has no queue: 0).
  double busy_seconds(std::size_t link, bool up) const { return to_seconds(busy_[2 * link + (up ? 0 : 1)]); }
  /// True when the link is shared (no per-user device at either end): its directions queue.
  bool shared(std::size_t link) const { return !per_user_[link]; }

  /// Total bytes carried per link direction so far.
  double bytes_carried(std::size_t link, bool up) const { return carried_[2 * link + (up ? 0 : 1)]; }
  OutageProcess& outages(std::size_t link) { return *outage_[link]; }
  /// Bandwidth (bytes/s) of link `link` in direction `up` at time t (its trace, else constant).
  double bandwidth(std::size_t link, bool up, SimTime t) const { return bandwidth_[link].at(t, up); }

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
  std::vector<SimTime> busy_;  // [2·link + dir], shared links only
  std::vector<int> rrc_index_;  // [link] → index in a session's radios, −1 = no RRC
  std::vector<std::size_t> rrc_links_;  // links with an RRC radio
  std::unordered_map<std::uint64_t, std::vector<RrcRadio>> sessions_;
  std::vector<LinkRadioTotals> radio_totals_;
  RrcRadio* radio(std::uint64_t session, std::size_t link);
  double radio_energy_hop(const Hop& h, double bytes) const;
};

}  // namespace collabsim
