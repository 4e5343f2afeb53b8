#include "sim/network/outage_process.hpp"

#include <algorithm>

namespace collabsim {

OutageProcess::OutageProcess(double mtbf, double mttr, RngStream rng) : mtbf_(mtbf), mttr_(mttr), rng_(rng) {}

void OutageProcess::extend_past(SimTime t) {
  while (horizon_ <= t) {
    const SimTime up_len = std::max<SimTime>(1, from_seconds(rng_.exponential(mtbf_)));
    const SimTime down_len = std::max<SimTime>(1, from_seconds(rng_.exponential(mttr_)));
    const SimTime start = horizon_ + up_len;
    down_start_.push_back(start);
    down_end_.push_back(start + down_len);
    horizon_ = start + down_len;
  }
}

bool OutageProcess::up(SimTime t) { return next_up(t) == t; }

SimTime OutageProcess::next_up(SimTime t) {
  if (!enabled()) return t;
  extend_past(t);
  // Last outage starting at or before t.
  auto it = std::upper_bound(down_start_.begin(), down_start_.end(), t);
  if (it == down_start_.begin()) return t;
  const auto i = static_cast<std::size_t>(it - down_start_.begin()) - 1;
  return t < down_end_[i] ? down_end_[i] : t;
}

SimTime OutageProcess::next_down(SimTime t) {
  if (!enabled()) return kTimeNever;
  extend_past(t);
  auto it = std::upper_bound(down_start_.begin(), down_start_.end(), t);
  if (it == down_start_.end()) {
    extend_past(horizon_);
    it = std::upper_bound(down_start_.begin(), down_start_.end(), t);
  }
  return *it;
}

SimTime OutageProcess::down_time_before(SimTime t) {
  if (!enabled()) return 0;
  extend_past(t);
  SimTime total = 0;
  for (std::size_t i = 0; i < down_start_.size() && down_start_[i] < t; ++i)
    total += std::min(down_end_[i], t) - down_start_[i];
  return total;
}

}  // namespace collabsim
