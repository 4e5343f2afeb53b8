#pragma once
/// \file split_heap_queue.hpp
/// D-ary heap with keys and coroutine handles in separate arrays.
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

/// D-ary min-heap with the keys (time, seq packed into 16 bytes) apart from the handles:
/// the D children compared at a sift-down step are D·16 contiguous bytes (a cache line for
/// D = 4 when the allocation is line-aligned), and the comparison is one 128-bit compare.
/// Same interface and order as DaryHeapQueue. Hold-model bench: faster up to 10^5 pending
/// events, slower at 10^6 (two arrays to move); the engine keeps DaryHeapQueue<4>.
template <unsigned D>
class SplitDaryHeapQueue {
  static_assert(D >= 2, "arity must be at least 2");
  // Key = time·2^64 + seq as one unsigned 128-bit integer: (time, seq) order becomes a
  // single comparison (time ≥ 0 in the engine), which compiles to branch-free code.
  __extension__ using Key = unsigned __int128;
  static Key key(const Event& e) noexcept { return (static_cast<Key>(static_cast<std::uint64_t>(e.time)) << 64) | e.seq; }
  static constexpr std::size_t kOffset = D - 1;  // children of a node start a D-aligned group

 public:
  void reserve(std::size_t n) {
    keys_.reserve(n + kOffset);
    handles_.reserve(n + kOffset);
  }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  Event top() const noexcept {
    const Key k = keys_[kOffset];
    return Event{static_cast<SimTime>(static_cast<std::uint64_t>(k >> 64)), static_cast<std::uint64_t>(k), handles_[kOffset]};
  }

  /// Throws std::invalid_argument for a negative time (the engine never schedules one).
  void push(const Event& e) {
    if (e.time < 0) throw std::invalid_argument("SplitDaryHeapQueue: negative time");
    if (keys_.empty()) {
      keys_.resize(kOffset);
      handles_.resize(kOffset);
    }
    keys_.push_back(0);
    handles_.push_back(e.handle);
    std::size_t i = size_++;
    const Key k = key(e);
    while (i > 0) {
      const std::size_t parent = (i - 1) / D;
      if (!(k < keys_[parent + kOffset])) break;
      keys_[i + kOffset] = keys_[parent + kOffset];
      handles_[i + kOffset] = handles_[parent + kOffset];
      i = parent;
    }
    keys_[i + kOffset] = k;
    handles_[i + kOffset] = e.handle;
  }

  Event pop() {
    const Event out = top();
    --size_;
    const Key last = keys_.back();
    const auto last_h = handles_.back();
    keys_.pop_back();
    handles_.pop_back();
    if (size_ == 0) return out;
    const Key* k = keys_.data() + kOffset;
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = D * i + 1;
      if (first >= size_) break;
      std::size_t best = first;
      if (first + D <= size_) {
        for (std::size_t c = first + 1; c < first + D; ++c) best = k[c] < k[best] ? c : best;
      } else {
        for (std::size_t c = first + 1; c < size_; ++c) best = k[c] < k[best] ? c : best;
      }
      if (!(k[best] < last)) break;
      keys_[i + kOffset] = k[best];
      handles_[i + kOffset] = handles_[best + kOffset];
      i = best;
    }
    keys_[i + kOffset] = last;
    handles_[i + kOffset] = last_h;
    return out;
  }

 private:
  std::vector<Key> keys_;
  std::vector<std::coroutine_handle<>> handles_;
  std::size_t size_ = 0;
};

using SplitQuaternaryHeapQueue = SplitDaryHeapQueue<4>;

}  // namespace collabsim
