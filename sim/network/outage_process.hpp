#pragma once
/// \file outage_process.hpp
/// On/off availability of a link: an alternating renewal process with exponential up
/// times (mean MTBF) and down times (mean MTTR), the standard two-state reliability model
/// (e.g. Trivedi, "Probability and Statistics with Reliability, Queuing and Computer
/// Science Applications", ch. 8). Long-run availability = MTBF / (MTBF + MTTR).
///
/// Intervals are drawn lazily, in time order, from the link's own seeded stream, so the
/// outage timeline does not depend on which transfers asked about it.

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

 private:
  void extend_past(SimTime t);
  double mtbf_, mttr_;
  RngStream rng_;
  std::vector<SimTime> down_start_, down_end_;  // sorted, disjoint [start, end)
  SimTime horizon_ = 0;                         // intervals are known up to here
};

}  // namespace collabsim
