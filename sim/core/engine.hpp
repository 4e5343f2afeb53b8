#pragma once
/// \file engine.hpp
/// The discrete-event engine: a clock (integer ns), a pending-event set ordered by
/// (time, sequence) and the coroutine processes it resumes. An Engine is a plain value
/// with no global state: several engines can run side by side (sweeps run one per thread).
///
/// Zero-delay events (scheduled at the current time) take a FIFO fast path that bypasses
/// the heap; the combined order is still exactly (time, sequence).

#include <coroutine>
#include <cstdint>
#include <exception>
#include <limits>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/core/event_queue.hpp"
#include "sim/core/task.hpp"
#include "sim/core/time.hpp"

namespace collabsim {

class Engine {
 public:
  Engine() {
    heap_.reserve(1024);
    fifo_.reserve(256);
  }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine();

  /// Current simulation time (ns).
  SimTime now() const noexcept { return now_; }

  /// Number of events run so far.
  std::uint64_t events_processed() const noexcept { return processed_; }

  /// Pending events (heap and zero-delay FIFO).
  std::size_t pending() const noexcept { return heap_.size() + (fifo_.size() - fifo_head_); }

  /// Resume `h` at absolute time `at` (ns). Throws std::logic_error if `at` < now() and
  /// LimitError if `at` is later than the max_time of set_limits. Returns the event's
  /// sequence number (for cancel).
  std::uint64_t schedule(SimTime at, std::coroutine_handle<> h);

  /// Drops the pending event with sequence number `seq` (returned by schedule): it will not
  /// run, and it does not move the clock. The event must be pending (scheduled, not yet run
  /// nor cancelled). Lazy: the entry stays in the queue (pending() counts it) and is
  /// discarded when it reaches the front; cancelled events do not count as processed.
  /// For a process that sleeps past several of its own steps at once and may need to wake
  /// earlier (BatchingReplica's coalesced decode).
  void cancel(std::uint64_t seq) { cancelled_.push_back(seq); }

  /// Awaitable: suspend the calling process for `dt` ns (dt ≥ 0; dt = 0 yields to the
  /// other events already scheduled at this instant). Throws LimitError when now() + dt
  /// passes the end of the clock (instead of wrapping).
  auto delay(SimTime dt) { return Sleep{*this, add_time(now_, dt > 0 ? dt : 0)}; }

  /// Awaitable: suspend until absolute time `t` (ns); no-op wait when t ≤ now().
  auto until(SimTime t) noexcept { return Sleep{*this, t > now_ ? t : now_}; }

  /// Caps a run: scheduling an event later than `max_time` (ns, absolute), or running more
  /// than `max_events` events, throws LimitError ("simulation limit exceeded", key
  /// "run.max_sim_time" / "run.max_events") out of run(). Defaults: no limit (kTimeNever,
  /// UINT64_MAX). A process waiting at time > max_time fails at its co_await, so the error
  /// reaches run() through the process like any other exception.
  void set_limits(SimTime max_time, std::uint64_t max_events) noexcept {
    max_time_ = max_time;
    max_events_ = max_events;
  }
  SimTime max_time() const noexcept { return max_time_; }
  std::uint64_t max_events() const noexcept { return max_events_; }

  /// Start a process at absolute time `at` (default: now). The engine owns it until it
  /// finishes. An exception escaping a process stops run() and is rethrown from it.
  void spawn(Task<void> process, SimTime at = -1);

  /// Run events in order until none are left or the next is later than `end` (ns).
  /// Rethrows the first exception escaped from a process.
  void run(SimTime end = kTimeNever);

  /// Number of spawned processes that have not finished yet.
  std::uint64_t live_processes() const noexcept { return live_; }

  /// Destroys every unfinished process now (their frames, and the sub-tasks they await) and
  /// drops the pending events. Idempotent; the destructor calls it too. Call it (through
  /// ProcessScope) before destroying anything those processes reference: a run that fails
  /// mid-simulation leaves suspended processes whose frames point into its Context,
  /// mechanism and servers (issue 23, C6).
  void destroy_processes() noexcept;

 private:
  struct Sleep {
    Engine& engine;
    SimTime at;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const { engine.schedule(at, h); }
    void await_resume() const noexcept {}
  };

  /// Intrusive doubly linked list hook of an unfinished driver (the driver's promise
  /// derives from it): O(1) link on spawn and unlink when the driver frame is destroyed,
  /// with no allocation and no hashing (an unordered_set cost a node per spawn).
  struct DriverLink {
    DriverLink* prev;
    DriverLink* next;
  };

  struct Driver;
  /// Removes `seq` from cancelled_ if it is there (true: the event is dropped).
  bool drop_cancelled(std::uint64_t seq) noexcept;
  static Driver drive(Engine& engine, Task<void> process, SimTime at);

  SimTime now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t processed_ = 0;
  std::uint64_t live_ = 0;
  SimTime max_time_ = kTimeNever;
  std::uint64_t max_events_ = std::numeric_limits<std::uint64_t>::max();
  RadixEventQueue heap_;
  // Events at time == now_, in push order: fifo_[fifo_head_..]. The FIFO drains before the
  // clock moves (run()), so the vector is cleared then and its capacity reused (cheaper
  // than a deque's block bookkeeping per event).
  std::vector<Event> fifo_;
  std::size_t fifo_head_ = 0;
  std::vector<std::uint64_t> cancelled_;  // seqs of pending events to drop (few at a time)
  std::exception_ptr error_;
  DriverLink drivers_{&drivers_, &drivers_};  // sentinel of the unfinished drivers, destroyed by ~Engine
};

/// Destroys the engine's unfinished processes when it goes out of scope. Declare it after
/// the last object the processes reference: scope exit (normal or by an exception) then
/// destroys the processes first, while everything they point to is still alive.
class ProcessScope {
 public:
  explicit ProcessScope(Engine& engine) noexcept : engine_(engine) {}
  ProcessScope(const ProcessScope&) = delete;
  ProcessScope& operator=(const ProcessScope&) = delete;
  ~ProcessScope() { engine_.destroy_processes(); }

 private:
  Engine& engine_;
};

}  // namespace collabsim
