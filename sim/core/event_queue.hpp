#pragma once
/// \file event_queue.hpp
/// The engine's pending-event set: events ordered by (time, sequence number). Equal times
/// pop in the order they were pushed (FIFO tie-break, as ns-3's EventKey and OMNeT++'s
/// insertion order).
///
/// The queue interface, shared with the alternatives measured in bench/queues/ (calendar
/// queue, split-key heap, sorted-vector reference; one typed test suite runs over all of
/// them, ns-3 / OMNeT++ practice):
///   void push(const Event&);  Event pop();  const Event& top() const;
///   bool empty() const;  std::size_t size() const;  void reserve(std::size_t);
/// Entries are 24-byte PODs; no per-event heap allocation once capacity is reached.

#include <algorithm>
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
/// default) halves the depth and keeps a node's children in one cache line.
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

}  // namespace collabsim
