// Core engine tests: event ordering, FIFO ties, differential queue test, processes.
#include <gtest/gtest.h>

#include <queue>
#include <random>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/event_queue.hpp"
#include "bench/queues/calendar_queue.hpp"
#include "bench/queues/sorted_vector_queue.hpp"
#include "bench/queues/split_heap_queue.hpp"
#include "sim/core/rng.hpp"
#include "sim/core/when_all.hpp"

using namespace collabsim;

namespace {

std::coroutine_handle<> fake_handle(std::uintptr_t id) {
  return std::coroutine_handle<>::from_address(reinterpret_cast<void*>(id));
}

/// Pushes the same event (time `t`, the next sequence number) into both queues.
template <class A, class B>
void push_both(A& q, B& ref, SimTime t, std::uint64_t& seq) {
  const Event e{t, seq, fake_handle(16 * (seq + 2))};
  ++seq;
  q.push(e);
  ref.push(e);
}

/// Pops one event from each queue and checks they are the same event; `now` = its time.
template <class A, class B>
void pop_same(A& q, B& ref, SimTime& now) {
  const Event a = q.pop();
  const Event b = ref.pop();
  ASSERT_EQ(a.time, b.time);
  ASSERT_EQ(a.seq, b.seq);
  ASSERT_EQ(a.handle.address(), b.handle.address());
  now = a.time;
}

template <class Q>
class QueueTest : public ::testing::Test {};
using QueueTypes = ::testing::Types<DaryHeapQueue<2>, QuaternaryHeapQueue, DaryHeapQueue<8>,
                                    SplitQuaternaryHeapQueue, SplitDaryHeapQueue<2>, CalendarQueue,
                                    RadixEventQueue, SortedVectorQueue>;
TYPED_TEST_SUITE(QueueTest, QueueTypes);

TYPED_TEST(QueueTest, PopsInTimeOrderWithFifoTies) {
  TypeParam q;
  std::uint64_t seq = 0;
  // Times with many duplicates; the id encodes push order.
  const SimTime times[] = {50, 10, 50, 10, 30, 50, 0, 10, 30, 0};
  for (std::uintptr_t i = 0; i < std::size(times); ++i)
    q.push(Event{times[i], seq++, fake_handle((i + 1) * 16)});
  std::vector<std::pair<SimTime, std::uint64_t>> got;
  while (!q.empty()) {
    auto e = q.pop();
    got.emplace_back(e.time, e.seq);
  }
  const std::vector<std::pair<SimTime, std::uint64_t>> want = {
      {0, 6}, {0, 9}, {10, 1}, {10, 3}, {10, 7}, {30, 4}, {30, 8}, {50, 0}, {50, 2}, {50, 5}};
  EXPECT_EQ(got, want);
}

TYPED_TEST(QueueTest, DifferentialAgainstSortedReference) {
  TypeParam q;
  SortedVectorQueue ref;
  std::mt19937_64 gen(7);
  std::uint64_t seq = 0;
  SimTime now = 0;
  // Hold model with interleaved bursts: random pushes at now + small offsets (many ties).
  for (int step = 0; step < 20000; ++step) {
    const int pushes = static_cast<int>(gen() % 3);
    for (int k = 0; k < pushes; ++k) {
      const SimTime t = now + static_cast<SimTime>(gen() % 20);
      push_both(q, ref, t, seq);
    }
    ASSERT_EQ(q.size(), ref.size());
    if (!q.empty() && gen() % 2 == 0) ASSERT_NO_FATAL_FAILURE(pop_same(q, ref, now));
  }
  while (!q.empty()) {
    ASSERT_EQ(q.pop().seq, ref.pop().seq);
  }
  EXPECT_TRUE(ref.empty());
}

TEST(CalendarQueue, MatchesTheHeapOverWideSpreadsGrowthShrinkAndEarlyPushes) {
  CalendarQueue q;
  QuaternaryHeapQueue ref;
  std::mt19937_64 gen(11);
  std::uint64_t seq = 0;
  SimTime now = 0;
  // Phase 1: grow to 50,000 pending with offsets spread over twelve decades of ns.
  for (int i = 0; i < 50000; ++i) {
    const SimTime t = now + static_cast<SimTime>(gen() % 1000) * (SimTime{1} << (gen() % 40));
    push_both(q, ref, t, seq);
  }
  EXPECT_GE(q.buckets(), 16384u);
  const std::size_t rebuilds_before = q.rebuilds();
  // Phase 2: hold model with exponential-like increments; every 97th push goes before the
  // last popped time (allowed by the interface, never done by the engine).
  for (int i = 0; i < 100000; ++i) {
    ASSERT_NO_FATAL_FAILURE(pop_same(q, ref, now));
    const SimTime t = (i % 97 == 0) ? now - static_cast<SimTime>(gen() % 1000) : now + static_cast<SimTime>(gen() % 5000);
    push_both(q, ref, t, seq);
    ASSERT_EQ(q.top().seq, ref.top().seq);
  }
  // A steady hold re-estimates the day width rarely (no rebuild thrash).
  EXPECT_LE(q.rebuilds() - rebuilds_before, 4u);
  // Phase 3: drain; the calendar shrinks with the size.
  while (!ref.empty()) ASSERT_NO_FATAL_FAILURE(pop_same(q, ref, now));
  EXPECT_TRUE(q.empty());
  EXPECT_LE(q.buckets(), 32u);
}

TEST(CalendarQueue, DayWidthFollowsTheEventDensity) {
  CalendarQueue q;
  std::uint64_t seq = 0;
  for (int i = 0; i < 4096; ++i) q.push(Event{SimTime{1000} * i, seq++, fake_handle(16)});
  // Mean separation 1,000 ns: days of about three separations (a power of two).
  EXPECT_GE(q.day_width(), 2048);
  EXPECT_LE(q.day_width(), 4096);
  CalendarQueue wide;
  for (int i = 0; i < 4096; ++i) wide.push(Event{SimTime{1000000} * i, seq++, fake_handle(16)});
  EXPECT_GE(wide.day_width(), 2000000);
  EXPECT_LE(wide.day_width(), 4194304);
}

Task<void> recorder(Engine& e, std::vector<std::pair<SimTime, int>>& log, int id,
                    std::vector<SimTime> waits) {
  for (SimTime w : waits) {
    co_await e.delay(w);
    log.emplace_back(e.now(), id);
  }
}

TEST(Engine, ProcessesInterleaveInTimeThenSpawnOrder) {
  Engine e;
  std::vector<std::pair<SimTime, int>> log;
  e.spawn(recorder(e, log, 1, {10, 0, 5}));
  e.spawn(recorder(e, log, 2, {10, 5}));
  e.spawn(recorder(e, log, 3, {0, 10}), 3);
  e.run();
  // At t=10 process 1 logs and yields (delay 0, FIFO fast path), process 2 logs and sleeps
  // until 15, then process 1 logs again and sleeps until 15: at 15, 2 was scheduled first.
  const std::vector<std::pair<SimTime, int>> want = {{3, 3}, {10, 1}, {10, 2}, {10, 1},
                                                     {13, 3}, {15, 2}, {15, 1}};
  EXPECT_EQ(log, want);
  EXPECT_EQ(e.live_processes(), 0u);
}

Task<int> child(Engine& e, int x) {
  co_await e.delay(7);
  co_return x * 2;
}
Task<void> parent(Engine& e, int& out, SimTime& at) {
  const int a = co_await child(e, 3);
  const int b = co_await child(e, a);
  out = b;
  at = e.now();
}

TEST(Engine, SubTasksReturnValuesWithoutExtraTime) {
  Engine e;
  int out = 0;
  SimTime at = -1;
  e.spawn(parent(e, out, at));
  e.run();
  EXPECT_EQ(out, 12);
  EXPECT_EQ(at, 14);
}

Task<int> after(Engine& e, SimTime d, int v, std::vector<int>& finished) {
  co_await e.delay(d);
  finished.push_back(v);
  co_return v;
}

Task<void> fork_join(Engine& e, std::vector<int>& got, SimTime& at, std::vector<int>& finished) {
  std::vector<Task<int>> tasks;
  tasks.push_back(after(e, 30, 1, finished));
  tasks.push_back(after(e, 10, 2, finished));
  tasks.push_back(after(e, 20, 3, finished));
  got = co_await when_all(e, std::move(tasks));
  at = e.now();
  got.push_back(static_cast<int>((co_await when_all(e, std::vector<Task<int>>{})).size()));
}

TEST(Engine, WhenAllRunsTasksConcurrentlyAndKeepsTheirOrder) {
  Engine e;
  std::vector<int> got, finished;
  SimTime at = -1;
  e.spawn(fork_join(e, got, at, finished));
  e.run();
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3, 0}));   // results in task order; none for no tasks
  EXPECT_EQ(finished, (std::vector<int>{2, 3, 1}));  // they ran at once, finishing by delay
  EXPECT_EQ(at, 30);                                 // the join waits for the slowest only
}

Task<void> thrower(Engine& e) {
  co_await e.delay(5);
  throw std::runtime_error("boom");
}

TEST(Engine, ExceptionInProcessStopsRun) {
  Engine e;
  e.spawn(thrower(e));
  EXPECT_THROW(e.run(), std::runtime_error);
}

TEST(Engine, RunUntilStopsAndDestroysUnfinished) {
  Engine e;
  std::vector<std::pair<SimTime, int>> log;
  e.spawn(recorder(e, log, 1, {10, 10, 10}));
  e.run(15);
  EXPECT_EQ(log.size(), 1u);
  EXPECT_EQ(e.now(), 10);
  EXPECT_EQ(e.live_processes(), 1u);
  // ~Engine frees the unfinished frame (checked under valgrind/ASan builds).
}

TEST(Engine, ScheduleInThePastThrows) {
  Engine e;
  std::vector<std::pair<SimTime, int>> log;
  e.spawn(recorder(e, log, 1, {10}));
  e.run();
  EXPECT_THROW(e.schedule(5, std::noop_coroutine()), std::logic_error);
}

TEST(Rng, StreamsAreReproducibleAndIndependent) {
  RngStream a(42, "arrivals", 3), b(42, "arrivals", 3), c(42, "arrivals", 4), d(43, "arrivals", 3),
      f(42, "service", 3);
  const auto x = a.next_u64();
  EXPECT_EQ(x, b.next_u64());
  EXPECT_NE(x, c.next_u64());
  EXPECT_NE(x, d.next_u64());
  EXPECT_NE(x, f.next_u64());
  // Mean and variance of uniform and exponential draws.
  RngStream r(1, "moments");
  double s = 0, s2 = 0, se = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    s += u;
    s2 += u * u;
    se += r.exponential(2.5);
  }
  EXPECT_NEAR(s / n, 0.5, 0.005);
  EXPECT_NEAR(s2 / n - (s / n) * (s / n), 1.0 / 12, 0.002);
  EXPECT_NEAR(se / n, 2.5, 0.03);
}

}  // namespace

namespace {
Task<void> mark(Engine& e, SimTime t, std::vector<SimTime>& at) {
  co_await e.until(t);
  at.push_back(e.now());
}
struct Parked {
  std::coroutine_handle<> h;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> c) noexcept { h = c; }
  void await_resume() const noexcept {}
};
Task<void> parked(Parked& p, Engine& e, std::vector<SimTime>& at) {
  co_await p;
  at.push_back(e.now());
}
}  // namespace

TEST(Engine, CancelledEventNeitherRunsNorMovesTheClock) {
  Engine e;
  std::vector<SimTime> at;
  Parked p;
  e.spawn(parked(p, e, at));
  e.spawn(mark(e, 50, at));
  e.run(10);  // parks the first process
  ASSERT_TRUE(p.h);
  const std::uint64_t late = e.schedule(1000, p.h);
  e.cancel(late);
  e.schedule(70, p.h);  // the same process, resumed earlier instead
  e.run();
  EXPECT_EQ(at, (std::vector<SimTime>{50, 70}));
  EXPECT_EQ(e.now(), 70);  // the cancelled event at 1000 did not move the clock
  EXPECT_EQ(e.pending(), 0u);
}

namespace {

/// A std::priority_queue entry ordered so that the smallest (time, seq) is on top.
struct RefEntry {
  SimTime time;
  std::uint64_t seq;
  int id;
  bool operator<(const RefEntry& o) const { return o.time < time || (o.time == time && o.seq < seq); }
};

/// Offsets (ns) with many ties, zeros, and spreads over up to 2^44 ns (every bucket).
SimTime random_offset(std::mt19937_64& gen) {
  switch (gen() % 4) {
    case 0: return 0;
    case 1: return static_cast<SimTime>(gen() % 4);
    case 2: return static_cast<SimTime>(gen() % 1000);
    default: return static_cast<SimTime>(gen() % 1000) << (gen() % 35);
  }
}

}  // namespace

TEST(RadixEventQueue, MatchesAPriorityQueueOnRandomisedMonotoneSchedules) {
  // Pushes at the last popped time, ties, wide spreads (buckets split and sorted), pushes
  // landing in the sorted bottom (at its front and inside), spills of a full bottom, and
  // growth and drain, against std::priority_queue. (Over the 20 seeds: ~150 spills, ~2,000
  // bucket splits, ~30,000 front and ~100,000 inner bottom insertions.)
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 gen(seed);
    RadixEventQueue q;
    std::priority_queue<RefEntry> ref;
    std::uint64_t seq = 0;
    SimTime now = 0;
    int target = 1;
    for (int step = 0; step < 30000; ++step) {
      // Phases of few and of many pending events: a refill while few are pending sets the
      // bottom's range wide, and the pushes that follow fill and spill it.
      if (step % 1500 == 0)
        target = step % 3000 == 0 ? static_cast<int>(gen() % 4) + 1 : static_cast<int>(gen() % 3000) + 100;
      const bool grow = static_cast<int>(ref.size()) < target ? gen() % 4 != 0 : gen() % 4 == 0;
      if (grow || ref.empty()) {
        const SimTime t = now + random_offset(gen);
        q.push(Event{t, seq, fake_handle(16 * (seq + 1))});
        ref.push(RefEntry{t, seq, 0});
        ++seq;
      } else {
        ASSERT_EQ(q.top().seq, ref.top().seq);
        const Event e = q.pop();
        ASSERT_EQ(e.time, ref.top().time) << "seed " << seed << " step " << step;
        ASSERT_EQ(e.seq, ref.top().seq) << "seed " << seed << " step " << step;
        ASSERT_EQ(e.handle.address(), fake_handle(16 * (e.seq + 1)).address());
        ASSERT_GE(e.time, now);
        now = e.time;
        ref.pop();
        // What ahead() reports is the event popped d places later, when it reports one.
        if (const Event* a = q.ahead(0)) ASSERT_EQ(a->seq, q.top().seq);
      }
      ASSERT_EQ(q.size(), ref.size());
    }
    while (!ref.empty()) {
      ASSERT_EQ(q.pop().seq, ref.top().seq);
      ref.pop();
    }
    EXPECT_TRUE(q.empty());
  }
}

namespace {
/// Sleeps the given delays (0 = yield at the current time) and logs (now, id) after each.
Task<void> wanderer(Engine& e, std::vector<std::pair<SimTime, int>>& log, int id, const std::vector<SimTime>& waits) {
  for (SimTime w : waits) {
    co_await e.delay(w);
    log.emplace_back(e.now(), id);
  }
}
}  // namespace

TEST(Engine, RandomisedProcessesRunInExactTimeThenSchedulingOrder) {
  // The engine against a reference event loop on std::priority_queue keyed (time, seq):
  // spawned processes start in spawn order at t = 0, and each wake schedules the next one.
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 gen(100 + seed);
    const int n = 50 + static_cast<int>(gen() % 2000);
    std::vector<std::vector<SimTime>> waits(n);
    for (auto& w : waits) {
      w.resize(gen() % 40);
      for (auto& x : w) x = random_offset(gen);
    }
    Engine e;
    std::vector<std::pair<SimTime, int>> log;
    for (int i = 0; i < n; ++i) e.spawn(wanderer(e, log, i, waits[i]), 0);
    e.run();

    std::priority_queue<RefEntry> ref;
    std::vector<std::size_t> step(n, 0);
    std::uint64_t seq = 0;
    for (int i = 0; i < n; ++i) ref.push(RefEntry{0, seq++, i});  // the starts
    std::vector<std::pair<SimTime, int>> want;
    std::vector<bool> started(n, false);
    while (!ref.empty()) {
      const RefEntry r = ref.top();
      ref.pop();
      if (started[r.id]) want.emplace_back(r.time, r.id);
      started[r.id] = true;
      if (step[r.id] < waits[r.id].size()) ref.push(RefEntry{r.time + waits[r.id][step[r.id]++], seq++, r.id});
    }
    ASSERT_EQ(log.size(), want.size()) << "seed " << seed;
    EXPECT_EQ(log, want) << "seed " << seed;
    EXPECT_EQ(e.live_processes(), 0u);
  }
}
