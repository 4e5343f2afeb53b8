#pragma once
/// \file outage_process.hpp
/// On/off availability of a link: an alternating renewal process with exponential up
/// times (mean MTBF) and down times (mean MTTR), the standard two-state reliability model
/// (e.g. Trivedi, "Probability and Statistics with Reliability, Queuing and Computer
/// Science Applications", ch. 8). Long-run availability = MTBF / (MTBF + MTTR).
///
/// Intervals are drawn lazily, in time order, from the link's own seeded stream, so the
/// outage timeline does not depend on which transfers asked about it. Memory is bounded
/// (issue 23, M2: with mtbf = mttr = 1 ms a long run kept every interval, 4 GB): intervals
/// are drawn in blocks of kBlock; only the newest kLiveBlocks blocks are kept, and for each
/// older block only its start, its random-stream state and the down time before it
/// (~48 bytes per 4,096 outages). A query about an older time draws that block again from
/// its saved state, which gives the very same intervals.

#include <cstddef>
#include <deque>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/core/time.hpp"

namespace collabsim {

class OutageProcess {
 public:
  /// `mtbf`, `mttr` in s; mtbf ≤ 0 means the link never fails. Starts up at t = 0.
  OutageProcess(double mtbf, double mttr, RngStream rng);

  bool enabled() const { return mtbf_ > 0; }
  /// True when the link is up at time t (ns).
  bool up(SimTime t);
  /// Earliest time ≥ t at which the link is up.
  SimTime next_up(SimTime t);
  /// Start of the first outage that begins after t (kTimeNever if disabled).
  SimTime next_down(SimTime t);
  /// Total down time within [0, t) (ns), for availability checks.
  SimTime down_time_before(SimTime t);

  static constexpr std::size_t kBlock = 4096;      ///< outages per block
  static constexpr std::size_t kLiveBlocks = 4;    ///< blocks whose intervals are kept
  /// Outage intervals held in memory now (for tests of the bound).
  std::size_t intervals_held() const;

 private:
  struct Block {
    SimTime begin = 0;        ///< the horizon when the block was drawn (end of the previous outage)
    RngStream rng;            ///< the stream's state at that point
    SimTime down_before = 0;  ///< down time of every earlier block
    SimTime end = 0;          ///< end of its last outage
    SimTime down = 0;         ///< its own down time
    std::vector<SimTime> start, stop;  ///< its outages [start, stop); empty when dropped
  };
  /// Draws one block from `b.begin` and `b.rng` (fills start/stop/end/down); `after`
  /// (optional) receives the stream's state after it.
  void draw(Block& b, RngStream* after) const;
  void extend_past(SimTime t);
  /// The block whose span [begin, end) holds t (t < end of the last block).
  const Block& block_at(SimTime t);
  double mtbf_, mttr_;
  RngStream rng_;                 ///< state after the newest block
  std::vector<Block> blocks_;     ///< every block, intervals kept only for the newest
  Block cache_;                   ///< an older block drawn again for a query
  std::size_t cache_index_ = static_cast<std::size_t>(-1);
};

}  // namespace collabsim
