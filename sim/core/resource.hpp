#pragma once
/// \file resource.hpp
/// A pool of `c` identical servers with one FCFS waiting line (the M/G/c station).
/// Processes `co_await pool.acquire()` and call `release()` when done. A released server
/// goes straight to the head of the line (resumed by a zero-delay event), so the order of
/// service is exactly the order of arrival.
///
/// Keeps the time integral Little's law needs: ∫ (number waiting) dt.
///
/// The line is a vector read from a head index (cleared when it empties, its consumed front
/// dropped once it is over half the vector and over 64 entries), not a std::deque: a deque
/// allocates a map and a 512-byte block when constructed, and a per-user device, which
/// holds one Resource and rarely queues, paid two allocations and two frees for it (issue 26).

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "sim/core/engine.hpp"

namespace collabsim {

class Resource {
 public:
  /// `servers` ≥ 1; throws std::invalid_argument otherwise.
  Resource(Engine& engine, int servers) : engine_(engine), servers_(servers) {
    if (servers < 1) throw std::invalid_argument("Resource: need at least one server");
  }

  /// Awaitable: wait (FCFS) until a server is free and take it.
  auto acquire() noexcept { return Acquire{*this}; }

  /// Give a server back; hands it to the longest waiter if any. Throws std::logic_error
  /// when no server is held.
  void release() {
    if (busy_ == 0) throw std::logic_error("Resource::release without acquire");
    if (head_ < waiting_.size()) {
      account();
      const std::coroutine_handle<> h = waiting_[head_++];
      if (head_ == waiting_.size()) {
        waiting_.clear();
        head_ = 0;
      } else if (head_ > 64 && 2 * head_ > waiting_.size()) {
        waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
      }
      engine_.schedule(engine_.now(), h);  // server passes directly to the waiter
    } else {
      account();
      --busy_;
    }
  }

  int servers() const noexcept { return servers_; }
  int busy() const noexcept { return busy_; }
  std::size_t waiting() const noexcept { return waiting_.size() - head_; }

  /// ∫ waiting(t) dt up to now, in ns·requests.
  double waiting_integral() {
    account();
    return wait_area_;
  }

 private:
  struct Acquire {
    Resource& r;
    // Taking a free server needs no event: the process continues at once.
    bool await_ready() const noexcept {
      if (r.busy_ < r.servers_ && r.waiting() == 0) {
        r.account();
        ++r.busy_;
        return true;
      }
      return false;
    }
    void await_suspend(std::coroutine_handle<> h) {
      r.account();
      r.waiting_.push_back(h);
    }
    void await_resume() const noexcept {}
  };
  friend struct Acquire;

  void account() noexcept {
    const SimTime t = engine_.now();
    const double dt = static_cast<double>(t - last_);
    wait_area_ += dt * static_cast<double>(waiting());
    last_ = t;
  }

 private:
  Engine& engine_;
  int servers_;
  int busy_ = 0;
  std::vector<std::coroutine_handle<>> waiting_;  // the line is waiting_[head_..], in arrival order
  std::size_t head_ = 0;
  SimTime last_ = 0;
  double wait_area_ = 0;
};

}  // namespace collabsim
