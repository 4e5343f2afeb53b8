#pragma once
/// \file sorted_vector_queue.hpp
/// Sorted-vector reference queue for differential tests of the event queues.
/// Not used by any simulation: the engine's queue is RadixEventQueue (sim/core/event_queue.hpp);
/// this one is kept for bench_event_queue and the typed queue tests (bench/queues/README.md).

#include <algorithm>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "sim/core/event_queue.hpp"

namespace collabsim {

/// Reference implementation for differential tests: a vector kept sorted so that the
/// next event is at the back. push O(n), pop O(1). Not for production use.
class SortedVectorQueue {
 public:
  void reserve(std::size_t n) { v_.reserve(n); }
  bool empty() const noexcept { return v_.empty(); }
  std::size_t size() const noexcept { return v_.size(); }
  const Event& top() const noexcept { return v_.back(); }
  void push(const Event& e) {
    // Sorted descending by (time, seq): later events first, next event at the back.
    auto it = std::upper_bound(v_.begin(), v_.end(), e,
                               [](const Event& a, const Event& b) { return runs_before(b, a); });
    v_.insert(it, e);
  }
  Event pop() {
    Event out = v_.back();
    v_.pop_back();
    return out;
  }

 private:
  std::vector<Event> v_;
};

}  // namespace collabsim
