#include "sim/core/engine.hpp"

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace collabsim {

/// Fire-and-forget coroutine that owns a spawned Task, starts it at its time and frees
/// itself when the task ends (final_suspend = suspend_never).
struct Engine::Driver {
  struct promise_type {
    Driver get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }
  };
};

namespace {
/// Awaitable that does not suspend but hands the awaiting coroutine's handle to `out`.
struct SelfHandle {
  std::coroutine_handle<>* out;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) const noexcept {
    *out = h;
    return false;
  }
  void await_resume() const noexcept {}
};
}  // namespace

Engine::Driver Engine::drive(Engine& engine, Task<void> process, SimTime at) {
  std::coroutine_handle<> self;
  co_await SelfHandle{&self};
  engine.drivers_.insert(self.address());
  try {
    co_await engine.until(at);  // may throw LimitError (start past max_time)
    co_await process;
  } catch (...) {
    if (!engine.error_) engine.error_ = std::current_exception();
  }
  --engine.live_;
  engine.drivers_.erase(self.address());
}

Engine::~Engine() {
  // Destroying a driver frame destroys the Task it owns, and with it every sub-task that
  // Task is awaiting, so this frees all processes a run left unfinished. Their pending
  // events are dropped with the queue and never resumed.
  for (void* address : drivers_) std::coroutine_handle<>::from_address(address).destroy();
}

void Engine::schedule(SimTime at, std::coroutine_handle<> h) {
  if (at < now_)
    throw std::logic_error("Engine::schedule: time " + std::to_string(at) +
                           " ns is before now " + std::to_string(now_) + " ns");
  if (at > max_time_) [[unlikely]]
    throw LimitError("run.max_sim_time",
                     fmt::format("simulation limit exceeded: an event at t = {:.6g} s is past the cap of "
                                 "{:.6g} s (raise run.max_sim_time, or look for a rate, bandwidth or "
                                 "token count that stretches simulated time)",
                                 to_seconds(at), to_seconds(max_time_)));
  const Event e{at, seq_++, h};
  if (at == now_)
    fifo_.push_back(e);
  else
    heap_.push(e);
}

void Engine::spawn(Task<void> process, SimTime at) {
  ++live_;
  drive(*this, std::move(process), at < now_ ? now_ : at);
}

void Engine::run(SimTime end) {
  for (;;) {
    if (error_) {
      auto e = std::exchange(error_, nullptr);
      std::rethrow_exception(e);
    }
    Event ev;
    // Heap events at the current instant were pushed before any FIFO event of this
    // instant (FIFO events are pushed at now_), so they run first: exact (time, seq).
    if (!heap_.empty() && heap_.top().time == now_) {
      ev = heap_.pop();
    } else if (!fifo_.empty()) {
      ev = fifo_.front();
      fifo_.pop_front();
    } else if (!heap_.empty()) {
      if (heap_.top().time > end) return;
      ev = heap_.pop();
      now_ = ev.time;
    } else {
      return;
    }
    if (processed_ >= max_events_) [[unlikely]]
      throw LimitError("run.max_events",
                       fmt::format("simulation limit exceeded: {} events processed (the cap; raise "
                                   "run.max_events) at t = {:.6g} s",
                                   processed_, to_seconds(now_)));
    ++processed_;
    ev.handle.resume();
  }
}

}  // namespace collabsim
