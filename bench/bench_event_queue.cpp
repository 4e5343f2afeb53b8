// Hold-model benchmark of the event core (Vaucher & Duval 1975; the classic pending-event-
// set benchmark): with N events pending, each step pops the earliest event and pushes one
// at now + an exponential increment, so the set size stays N. Reports ns per event
// (one pop + one push) for each queue implementation, and for the whole Engine (resume of
// a coroutine with an empty body that sleeps again).
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/event_queue.hpp"
#include "bench/queues/calendar_queue.hpp"
#include "bench/queues/split_heap_queue.hpp"
#include "sim/core/rng.hpp"

using namespace collabsim;

namespace {

template <class Q>
void BM_Hold(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Q q;
  q.reserve(n + 1);
  RngStream rng(1, "hold");
  std::uint64_t seq = 0;
  const auto h = std::noop_coroutine();
  for (std::size_t i = 0; i < n; ++i) q.push(Event{static_cast<SimTime>(rng.exponential(1e6)), seq++, h});
  // Pre-draw increments so the timed loop measures the queue, not the RNG.
  std::vector<SimTime> inc(1 << 16);
  for (auto& x : inc) x = static_cast<SimTime>(rng.exponential(1e6));
  std::size_t k = 0;
  for (auto _ : state) {
    const Event e = q.pop();
    q.push(Event{e.time + inc[k++ & 0xFFFF], seq++, h});
  }
  // The "Time" column is ns per event (one pop + one push).
  state.SetItemsProcessed(state.iterations());
  state.counters["pending"] = static_cast<double>(q.size());
}

Task<void> sleeper(Engine& e, const std::vector<SimTime>& inc, std::size_t offset, std::int64_t& budget) {
  std::size_t k = offset;
  while (budget-- > 0) co_await e.delay(inc[k++ & 0xFFFF]);
}

void BM_EngineHold(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  RngStream rng(2, "hold");
  std::vector<SimTime> inc(1 << 16);
  for (auto& x : inc) x = 1 + static_cast<SimTime>(rng.exponential(1e6));
  double ns = 0, events = 0;
  for (auto _ : state) {
    auto engine = std::make_unique<Engine>();
    std::int64_t budget = static_cast<std::int64_t>(n) * 8;  // events to run, shared
    for (std::size_t i = 0; i < n; ++i) engine->spawn(sleeper(*engine, inc, i * 7, budget), 0);
    engine->run(0);  // start every process: n processes now sleep, n events pending
    const auto before = engine->events_processed();
    const auto t0 = std::chrono::steady_clock::now();
    engine->run();
    const auto t1 = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(t1 - t0).count();
    state.SetIterationTime(dt);
    ns += dt * 1e9;
    events += static_cast<double>(engine->events_processed() - before);
  }
  state.counters["ns_per_event"] = ns / events;
}

}  // namespace

BENCHMARK_TEMPLATE(BM_Hold, QuaternaryHeapQueue)->RangeMultiplier(10)->Range(1000, 1000000);
BENCHMARK_TEMPLATE(BM_Hold, DaryHeapQueue<2>)->RangeMultiplier(10)->Range(1000, 1000000);
BENCHMARK_TEMPLATE(BM_Hold, DaryHeapQueue<8>)->RangeMultiplier(10)->Range(1000, 1000000);
BENCHMARK_TEMPLATE(BM_Hold, SplitQuaternaryHeapQueue)->RangeMultiplier(10)->Range(1000, 1000000);
BENCHMARK_TEMPLATE(BM_Hold, RadixEventQueue)->RangeMultiplier(10)->Range(1000, 1000000);
BENCHMARK_TEMPLATE(BM_Hold, CalendarQueue)->RangeMultiplier(10)->Range(1000, 1000000);
BENCHMARK(BM_EngineHold)->Arg(1000)->Arg(100000)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

BENCHMARK_MAIN();
