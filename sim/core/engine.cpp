#include "sim/core/engine.hpp"

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace collabsim {

/// Fire-and-forget coroutine that owns a spawned Task, starts it at its time and frees
/// itself when the task ends (final_suspend = suspend_never). Its promise links itself
/// into the engine's list of unfinished drivers on creation and unlinks on destruction
/// (normal end, or ~Engine destroying a run left unfinished).
struct Engine::Driver {
  struct promise_type : DriverLink {
    promise_type(Engine& engine, Task<void>&, SimTime&) noexcept : DriverLink{&engine.drivers_, engine.drivers_.next} {
      next->prev = this;
      prev->next = this;
    }
    ~promise_type() {
      prev->next = next;
      next->prev = prev;
    }
    promise_type(const promise_type&) = delete;
    promise_type& operator=(const promise_type&) = delete;
    Driver get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }
    // Frames come from the calling thread's frame pool, like Task frames (frame_pool.hpp).
    static void* operator new(std::size_t size) { return frame_allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { frame_deallocate(p, size); }
  };
};

Engine::Driver Engine::drive(Engine& engine, Task<void> process, SimTime at) {
  try {
    co_await engine.until(at);  // may throw LimitError (start past max_time)
    co_await process;
  } catch (...) {
    if (!engine.error_) engine.error_ = std::current_exception();
  }
  --engine.live_;
}

Engine::~Engine() { destroy_processes(); }

void Engine::destroy_processes() noexcept {
  // Destroying a driver frame destroys the Task it owns, and with it every sub-task that
  // Task is awaiting, so this frees all processes a run left unfinished (each driver
  // unlinks itself). Their pending events are dropped and never resumed.
  while (drivers_.next != &drivers_) {
    auto* p = static_cast<Driver::promise_type*>(drivers_.next);
    std::coroutine_handle<Driver::promise_type>::from_promise(*p).destroy();
  }
  heap_.clear();
  fifo_.clear();
  fifo_head_ = 0;
  cancelled_.clear();
}

std::uint64_t Engine::schedule(SimTime at, std::coroutine_handle<> h) {
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
  return e.seq;
}

bool Engine::drop_cancelled(std::uint64_t seq) noexcept {
  for (auto& c : cancelled_)
    if (c == seq) {
      c = cancelled_.back();
      cancelled_.pop_back();
      return true;
    }
  return false;
}

void Engine::spawn(Task<void> process, SimTime at) {
  ++live_;
  drive(*this, std::move(process), at < now_ ? now_ : at);
}

namespace {
/// How many events ahead the engine prefetches a coroutine frame (a hint; tuned on the
/// hold model at 10^5 pending).
constexpr std::size_t kPrefetchAhead = 2;
}  // namespace

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
    } else if (fifo_head_ < fifo_.size()) {
      ev = fifo_[fifo_head_++];
      if (fifo_head_ == fifo_.size()) fifo_.clear(), fifo_head_ = 0;
    } else if (!heap_.empty()) {
      if (heap_.top().time > end) return;
      ev = heap_.pop();
    } else {
      return;
    }
    if (!cancelled_.empty() && drop_cancelled(ev.seq)) [[unlikely]]
      continue;  // a cancelled event neither runs nor moves the clock
    now_ = ev.time;
    if (processed_ >= max_events_) [[unlikely]]
      throw LimitError("run.max_events",
                       fmt::format("simulation limit exceeded: {} events processed (the cap; raise "
                                   "run.max_events) at t = {:.6g} s",
                                   processed_, to_seconds(now_)));
    ++processed_;
    // The next event is most likely the heap's new top: start loading its coroutine frame
    // now, so the miss overlaps this event's work (10^5 pending frames do not stay in
    // cache; a hint only, no effect on order or results).
    if (const Event* next = heap_.ahead(kPrefetchAhead)) __builtin_prefetch(next->handle.address());
    ev.handle.resume();
  }
}

}  // namespace collabsim
