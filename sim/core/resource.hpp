#pragma once
/// \file resource.hpp
/// A pool of `c` identical servers with one FCFS waiting line (the M/G/c station).
/// Processes `co_await pool.acquire()` and call `release()` when done. A released server
/// goes straight to the head of the line (resumed by a zero-delay event), so the order of
/// service is exactly the order of arrival.
///
/// Keeps the time integral Little's law needs: ∫ (number waiting) dt.

#include <coroutine>
#include <cstdint>
#include <deque>
#include <stdexcept>

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
    if (!waiting_.empty()) {
      account();
      auto h = waiting_.front();
      waiting_.pop_front();
      engine_.schedule(engine_.now(), h);  // server passes directly to the waiter
    } else {
      account();
      --busy_;
    }
  }

  int servers() const noexcept { return servers_; }
  int busy() const noexcept { return busy_; }
  std::size_t waiting() const noexcept { return waiting_.size(); }

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
      if (r.busy_ < r.servers_ && r.waiting_.empty()) {
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
    wait_area_ += dt * static_cast<double>(waiting_.size());
    last_ = t;
  }

 private:
  Engine& engine_;
  int servers_;
  int busy_ = 0;
  std::deque<std::coroutine_handle<>> waiting_;
  SimTime last_ = 0;
  double wait_area_ = 0;
};

}  // namespace collabsim
