#pragma once
/// \file event_queue.hpp
/// The engine's pending-event set: events ordered by (time, sequence number). Equal times
/// pop in the order they were pushed (FIFO tie-break, as ns-3's EventKey and OMNeT++'s
/// insertion order).
///
/// The engine's queue is RadixEventQueue (below). The queue interface, shared with the
/// D-ary heaps here and the alternatives measured in bench/queues/ (calendar queue,
/// split-key heap, sorted-vector reference; one typed test suite runs over all of them,
/// ns-3 / OMNeT++ practice):
///   void push(const Event&);  Event pop();  const Event& top();
///   bool empty() const;  std::size_t size() const;  void reserve(std::size_t);
/// Entries are 24-byte PODs; no per-event heap allocation once capacity is reached.

#include <algorithm>
#include <array>
#include <bit>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "sim/core/time.hpp"

namespace collabsim {

/// One pending event: resume `handle` at `time`. `seq` is the engine's global push count.
struct Event {
  SimTime time;
  std::uint64_t seq;
  std::coroutine_handle<> handle;
};

/// Strict (time, seq) order: true when `a` must run before `b`.
inline bool runs_before(const Event& a, const Event& b) noexcept {
  return a.time < b.time || (a.time == b.time && a.seq < b.seq);
}

/// Implicit D-ary min-heap in a vector. D = 2 is the binary heap; D = 4 (the engine's
/// queue until RadixEventQueue replaced it) halves the depth and keeps a node's children in one cache line.
/// push/pop O(log_D n). Popping an empty queue is undefined (check empty()).
template <unsigned D>
class DaryHeapQueue {
  static_assert(D >= 2, "arity must be at least 2");

 public:
  void reserve(std::size_t n) { heap_.reserve(n); }
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  const Event& top() const noexcept { return heap_.front(); }

  void push(const Event& e) {
    heap_.push_back(e);
    sift_up(heap_.size() - 1);
  }

  Event pop() {
    Event out = heap_.front();
    const Event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(last);
    return out;
  }

 private:
  void sift_up(std::size_t i) {
    const Event e = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / D;
      if (!runs_before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  /// Places `e` (the former last element) starting from the root.
  void sift_down(const Event& e) {
    const std::size_t n = heap_.size();
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = D * i + 1;
      if (first >= n) break;
      const std::size_t last = std::min(first + D, n);
      std::size_t best = first;
      for (std::size_t c = first + 1; c < last; ++c)
        if (runs_before(heap_[c], heap_[best])) best = c;
      if (!runs_before(heap_[best], e)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = e;
  }

  std::vector<Event> heap_;
};

using QuaternaryHeapQueue = DaryHeapQueue<4>;

/// Monotone radix queue with a sorted bottom: the engine's pending-event set.
///
/// Events later than `last_` sit in 63 unsorted buckets keyed on the bits of their time
/// (ns): bucket i holds the events whose time differs from `last_` first at bit i-1, i.e.
/// i = bit_width(time XOR last_). Every time in bucket i is below every time in bucket
/// j > i, so the lowest non-empty bucket holds the earliest of them. Events at or before
/// `last_` sit in the bottom, a short array sorted by (time, seq), next event first.
/// - Refill (bottom empty): the lowest non-empty bucket is sorted into the bottom if it
///   holds at most kSortMax events (`last_` becomes its latest time), else split around its
///   earliest time m (`last_` = m; its events move to lower buckets, those at m to the
///   bottom). Moving `last_` to an event of bucket i leaves every higher bucket's index
///   unchanged, so only the split bucket's events move.
/// - Spill (a push into a bottom of kBottomMax events, when the bottom spans a range):
///   `last_` moves down to the earliest pending time p; buckets below k = bit_width(p XOR
///   last_) all belong to bucket k relative to p and are appended to it, and the bottom's
///   events later than p go to their buckets. This bounds the sorted insertion cost when a
///   refill happened while few events were pending and many are pushed before `last_`
///   later (the ladder queue's bottom threshold, for the same reason).
///
/// Sources: the radix heap of Ahuja, Mehlhorn, Orlin and Tarjan, "Faster algorithms for the
/// shortest path problem", J. ACM 37(2), 1990, in its one-level form with buckets by the
/// highest bit that differs from the last minimum (Cherkassky, Goldberg and Silverstein,
/// "Buckets, heaps, lists, and monotone priority queues", SIAM J. Comput. 28(4), 1999); the
/// sorted bottom with a size threshold of the ladder queue (Tang, Goh and Thng, "Ladder
/// queue: an O(1) priority queue structure for large-scale discrete event simulation",
/// ACM TOMACS 15(3), 2005).
///
/// Order: exactly (time, seq), ties FIFO by seq (the bottom is sorted on the full key).
/// Precondition (monotone, as in any DES): a pushed time is >= 0 and >= the time of the
/// last popped event; a push that breaks it is undefined behaviour (Engine::schedule
/// throws before). Cost: push O(1) (a bit scan and an append) outside the bottom; pop O(1)
/// amortised per bit of the time range (an event moves down at most 63 buckets, a few in
/// practice) plus its share of a sort of at most kSortMax events. No comparison tree, so
/// few mispredicted branches, and the bottom's order tells the engine the next events
/// early enough to prefetch their coroutine frames (ahead()). Memory: 24 bytes per event
/// in the bucket and bottom arrays, which keep their capacity (no allocation once warm).
class RadixEventQueue {
 public:
  /// Largest bucket sorted straight into the bottom; larger ones are split first.
  static constexpr std::size_t kSortMax = 32;
  /// Bottom size from which a push before `last_` spills the bottom back into buckets.
  static constexpr std::size_t kBottomMax = 64;

  void reserve(std::size_t n) { bottom_.reserve(std::min<std::size_t>(n, 2 * kBottomMax)); }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  /// The next event (the queue must not be empty). Not const: may refill the bottom.
  const Event& top() {
    if (head_ == bottom_.size()) refill();
    return bottom_[head_];
  }

  void push(const Event& e) {
    ++size_;
    if (e.time > last_) {
      to_bucket(e);
      return;
    }
    if (bottom_.size() - head_ >= kBottomMax) [[unlikely]] {
      const SimTime p = std::min(e.time, bottom_[head_].time);
      if (p < last_) {
        spill(p);
        if (e.time > last_) {
          to_bucket(e);
          return;
        }
      }
    }
    // Into the sorted bottom, after every event that runs before it: at the front's free
    // slot when it runs first, else by insertion from the back.
    if (head_ > 0 && head_ < bottom_.size() && runs_before(e, bottom_[head_])) {
      bottom_[--head_] = e;
      return;
    }
    bottom_.push_back(e);
    std::size_t j = bottom_.size() - 1;
    while (j > head_ && runs_before(e, bottom_[j - 1])) {
      bottom_[j] = bottom_[j - 1];
      --j;
    }
    bottom_[j] = e;
  }

  Event pop() {
    if (head_ == bottom_.size()) refill();
    const Event out = bottom_[head_++];
    --size_;
    return out;
  }

  /// The event `d` places after the next one, if the sorted bottom already holds it (a
  /// prefetch hint; nullptr when knowing it would need a refill).
  const Event* ahead(std::size_t d) const noexcept {
    return head_ + d < bottom_.size() ? &bottom_[head_ + d] : nullptr;
  }

  /// Drops every event; capacities are kept.
  void clear() noexcept {
    bottom_.clear();
    head_ = 0;
    for (auto& b : bucket_) b.clear();
    mask_ = 0;
    last_ = 0;
    size_ = 0;
  }

 private:
  static std::uint64_t bits(SimTime t) noexcept { return static_cast<std::uint64_t>(t); }

  /// Appends `e` (time > last_) to its bucket.
  void to_bucket(const Event& e) {
    const unsigned i = static_cast<unsigned>(std::bit_width(bits(e.time) ^ bits(last_)));
    bucket_[i].push_back(e);
    mask_ |= std::uint64_t{1} << i;
  }

  // A lambda, not the function pointer, so that the comparison is inlined into the sort.
  static void sort_bottom(std::vector<Event>& v) {
    std::sort(v.begin(), v.end(), [](const Event& a, const Event& b) { return runs_before(a, b); });
  }

  /// Fills the empty bottom from the lowest non-empty bucket (size_ > 0).
  void refill() {
    bottom_.clear();
    head_ = 0;
    const unsigned i = static_cast<unsigned>(std::countr_zero(mask_));
    std::vector<Event>& b = bucket_[i];
    mask_ &= ~(std::uint64_t{1} << i);
    if (b.size() <= kSortMax) {
      bottom_.swap(b);  // b takes the bottom's (empty) storage: no copy
      sort_bottom(bottom_);
      last_ = bottom_.back().time;
      return;
    }
    SimTime m = b.front().time;
    for (const Event& e : b) m = e.time < m ? e.time : m;
    last_ = m;
    for (const Event& e : b) {
      if (e.time == m)
        bottom_.push_back(e);
      else
        to_bucket(e);
    }
    b.clear();
    sort_bottom(bottom_);  // events at m: by seq
  }

  /// Moves last_ down to `p` (every pending time >= p, p < last_): see the class comment.
  void spill(SimTime p) {
    const unsigned k = static_cast<unsigned>(std::bit_width(bits(p) ^ bits(last_)));
    std::vector<Event>& into = bucket_[k];  // empty: no event is in bucket k relative to last_
    for (unsigned j = 1; j < k; ++j) {
      if (bucket_[j].empty()) continue;
      into.insert(into.end(), bucket_[j].begin(), bucket_[j].end());
      bucket_[j].clear();
    }
    mask_ &= ~((std::uint64_t{1} << k) - 1);
    if (!into.empty()) mask_ |= std::uint64_t{1} << k;
    last_ = p;
    std::size_t keep = 0;  // events at p stay in the bottom, in order, at its start
    for (std::size_t j = head_; j < bottom_.size(); ++j) {
      if (bottom_[j].time == p)
        bottom_[keep++] = bottom_[j];
      else
        to_bucket(bottom_[j]);
    }
    bottom_.resize(keep);
    head_ = 0;
  }

  std::vector<Event> bottom_;  // bottom_[head_..]: times <= last_, sorted by (time, seq)
  std::size_t head_ = 0;
  std::array<std::vector<Event>, 64> bucket_;  // bucket_[i]: times t > last_, bit_width(t ^ last_) == i
  std::uint64_t mask_ = 0;                     // bit i set iff bucket_[i] is not empty
  SimTime last_ = 0;
  std::size_t size_ = 0;
};

}  // namespace collabsim
