#include "sim/network/outage_process.hpp"

#include <algorithm>

namespace collabsim {

OutageProcess::OutageProcess(double mtbf, double mttr, RngStream rng)
    : mtbf_(mtbf), mttr_(mttr), rng_(rng), cache_{0, rng, 0, 0, 0, {}, {}} {}

void OutageProcess::draw(Block& b, RngStream* after) const {
  RngStream rng = b.rng;
  b.start.clear();
  b.stop.clear();
  b.start.reserve(kBlock);
  b.stop.reserve(kBlock);
  SimTime horizon = b.begin;
  b.down = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    const SimTime up_len = std::max<SimTime>(1, from_seconds(rng.exponential(mtbf_)));
    const SimTime down_len = std::max<SimTime>(1, from_seconds(rng.exponential(mttr_)));
    const SimTime start = horizon + up_len;
    b.start.push_back(start);
    b.stop.push_back(start + down_len);
    b.down += down_len;
    horizon = start + down_len;
  }
  b.end = horizon;
  if (after) *after = rng;
}

void OutageProcess::extend_past(SimTime t) {
  while (blocks_.empty() || blocks_.back().end <= t) {
    Block b{blocks_.empty() ? 0 : blocks_.back().end, rng_, 0, 0, 0, {}, {}};
    b.down_before = blocks_.empty() ? 0 : blocks_.back().down_before + blocks_.back().down;
    draw(b, &rng_);
    blocks_.push_back(std::move(b));
    if (blocks_.size() > kLiveBlocks) {  // drop the intervals of the block that left the live window
      Block& old = blocks_[blocks_.size() - 1 - kLiveBlocks];
      std::vector<SimTime>().swap(old.start);
      std::vector<SimTime>().swap(old.stop);
    }
  }
}

const OutageProcess::Block& OutageProcess::block_at(SimTime t) {
  // First block whose end is after t.
  const auto it = std::upper_bound(blocks_.begin(), blocks_.end(), t,
                                   [](SimTime x, const Block& b) { return x < b.end; });
  const auto i = static_cast<std::size_t>(it - blocks_.begin());
  const Block& b = blocks_[i];
  if (!b.start.empty()) return b;
  if (cache_index_ != i) {
    cache_ = Block{b.begin, b.rng, b.down_before, 0, 0, {}, {}};
    draw(cache_, nullptr);
    cache_index_ = i;
  }
  return cache_;
}

std::size_t OutageProcess::intervals_held() const {
  std::size_t n = cache_.start.size();
  for (const auto& b : blocks_) n += b.start.size();
  return n;
}

bool OutageProcess::up(SimTime t) { return next_up(t) == t; }

SimTime OutageProcess::next_up(SimTime t) {
  if (!enabled()) return t;
  extend_past(t);
  const Block& b = block_at(t);
  // Last outage of the block starting at or before t (none: t is in the up time before it).
  auto it = std::upper_bound(b.start.begin(), b.start.end(), t);
  if (it == b.start.begin()) return t;
  const auto i = static_cast<std::size_t>(it - b.start.begin()) - 1;
  return t < b.stop[i] ? b.stop[i] : t;
}

SimTime OutageProcess::next_down(SimTime t) {
  if (!enabled()) return kTimeNever;
  extend_past(t);
  const Block& b = block_at(t);
  const auto it = std::upper_bound(b.start.begin(), b.start.end(), t);
  if (it != b.start.end()) return *it;
  // t is in the block's last outage or after it: the next block's first outage.
  const SimTime end = b.end;
  extend_past(end);
  return block_at(end).start.front();
}

SimTime OutageProcess::down_time_before(SimTime t) {
  if (!enabled()) return 0;
  extend_past(t);
  const Block& b = block_at(t);
  SimTime total = b.down_before;
  for (std::size_t i = 0; i < b.start.size() && b.start[i] < t; ++i) total += std::min(b.stop[i], t) - b.start[i];
  return total;
}

}  // namespace collabsim
