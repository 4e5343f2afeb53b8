#pragma once
/// \file calendar_queue.hpp
/// Calendar queue (R. Brown, "Calendar queues: a fast O(1) priority queue implementation
/// for the simulation event set problem", CACM 31(10), 1988): the time axis is cut into
/// days of 2^shift ns; day d's events live in bucket d mod nb, a year is nb days. Each
/// bucket is kept sorted (next event at the back), so pop scans forward day by day from
/// the current day to the first bucket whose earliest event falls on that day.
///
/// Not used by any simulation (bench/queues/README.md). Same interface and exact (time, seq)
/// order as the heap of sim/core/event_queue.hpp (FIFO ties),
/// tested by the same typed suite and differential test. Expected O(1) per operation when
/// the day width matches the event density: the bucket count doubles/halves with the size
/// and the width is re-estimated at each resize from the spread of the earliest events
/// (Brown's rule: about three times their mean separation), and again whenever scanning or
/// in-bucket insertion costs more than 8 steps per operation over a window of operations.
/// Many events at one instant fall in one bucket (O(k) insertion for k ties).
///
/// Measured (bench_event_queue, hold model, queue alone): 26 / 33 / 73 / 261 ns per event
/// at 10^3 / 10^4 / 10^5 / 10^6 pending, against 66 / 99 / 128 / 250 ns for the 4-ary
/// heap. Inside the Engine it loses: the scenario replay has tens of pending events spread
/// over nine decades of time (a few crowded buckets), and at 10^5 pending coroutines its
/// bucket vectors compete with the coroutine frames for cache (Engine hold: ~440 ns per
/// event against ~250 ns with the heap). The Engine kept DaryHeapQueue<4>, then moved to
/// RadixEventQueue (sim/core/event_queue.hpp).

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/core/event_queue.hpp"

namespace collabsim {

class CalendarQueue {
 public:
  CalendarQueue() { buckets_.resize(kMinBuckets); }

  void reserve(std::size_t) {}  // sizes itself as it grows
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  /// The next event (undefined when empty).
  const Event& top() const {
    locate();
    return buckets_[static_cast<std::size_t>(day_) & mask()].back();
  }

  void push(const Event& e) {
    const SimTime day = e.time >> shift_;
    if (size_ == 0 || day < day_) day_ = day;
    insert(buckets_[static_cast<std::size_t>(day) & mask()], e);
    ++size_;
    ++ops_;
    if (size_ > 2 * buckets_.size()) rebuild(buckets_.size() * 2);
    else maybe_recalibrate();
  }

  Event pop() {
    locate();
    auto& b = buckets_[static_cast<std::size_t>(day_) & mask()];
    const Event out = b.back();
    b.pop_back();
    --size_;
    ++ops_;
    if (buckets_.size() > kMinBuckets && size_ < buckets_.size() / 4) rebuild(buckets_.size() / 2);
    else maybe_recalibrate();
    return out;
  }

  /// Current day width in ns (for tests and benchmarks).
  SimTime day_width() const noexcept { return SimTime{1} << shift_; }
  std::size_t buckets() const noexcept { return buckets_.size(); }
  /// Times the calendar was rebuilt (resizes and width re-estimates).
  std::size_t rebuilds() const noexcept { return rebuilds_; }


 private:
  static constexpr std::size_t kMinBuckets = 16;

  std::size_t mask() const noexcept { return buckets_.size() - 1; }

  /// Sorted insertion, latest first: the next event of the bucket stays at the back.
  void insert(std::vector<Event>& b, const Event& e) {
    b.push_back(e);
    std::size_t i = b.size() - 1;
    while (i > 0 && runs_before(b[i - 1], e)) {
      b[i] = b[i - 1];
      --i;
    }
    work_ += b.size() - 1 - i;
    b[i] = e;
  }

  /// Moves day_ to the day of the earliest event (requires size_ > 0). Every event's day
  /// is ≥ day_, so the first day whose bucket's earliest event falls on it holds the
  /// minimum; after a year of empty days, a direct search over the bucket fronts.
  void locate() const {
    const std::size_t nb = buckets_.size();
    for (std::size_t k = 0; k < nb; ++k, ++day_) {
      const auto& b = buckets_[static_cast<std::size_t>(day_) & mask()];
      if (!b.empty() && (b.back().time >> shift_) == day_) {
        work_ += k;
        return;
      }
    }
    work_ += nb;
    const Event* best = nullptr;
    for (const auto& b : buckets_)
      if (!b.empty() && (!best || runs_before(b.back(), *best))) best = &b.back();
    day_ = best->time >> shift_;
  }

  void maybe_recalibrate() {
    if (ops_ >= 4 * buckets_.size() + 1024) {
      if (work_ > 8 * ops_ && size_ > 1) rebuild(buckets_.size());
      ops_ = work_ = 0;
    }
  }

  /// Re-buckets every event into `nb` buckets (a power of two) with a day width of about
  /// three mean separations of the earliest events.
  void rebuild(std::size_t nb) {
    ++rebuilds_;
    scratch_.clear();
    scratch_.reserve(size_);
    for (auto& b : buckets_) {
      scratch_.insert(scratch_.end(), b.begin(), b.end());
      b.clear();
    }
    if (scratch_.size() > 1) {
      const std::size_t k = std::min<std::size_t>(scratch_.size() - 1, std::max<std::size_t>(16, scratch_.size() / 8));
      std::nth_element(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(k), scratch_.end(), runs_before);
      const SimTime kth = scratch_[k].time;
      const SimTime first =
          std::min_element(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(k), runs_before)->time;
      const auto width = static_cast<std::uint64_t>(std::max<SimTime>(1, 3 * (kth - first) / static_cast<SimTime>(k)));
      shift_ = static_cast<int>(std::bit_width(width - 1));  // smallest power of two ≥ width
    }
    buckets_.resize(nb);
    if (buckets_.capacity() > 4 * nb) buckets_.shrink_to_fit();
    // Latest first: every bucket is then built by appends, earliest event at the back.
    std::sort(scratch_.begin(), scratch_.end(), [](const Event& a, const Event& b) { return runs_before(b, a); });
    for (const Event& e : scratch_) buckets_[static_cast<std::size_t>(e.time >> shift_) & mask()].push_back(e);
    if (!scratch_.empty()) day_ = scratch_.back().time >> shift_;
    ops_ = work_ = 0;
  }

  std::vector<std::vector<Event>> buckets_;
  std::vector<Event> scratch_;
  int shift_ = 0;
  mutable SimTime day_ = 0;
  std::size_t size_ = 0;
  std::size_t ops_ = 0;
  mutable std::size_t work_ = 0;
  std::size_t rebuilds_ = 0;
};

}  // namespace collabsim
