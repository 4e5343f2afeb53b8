// Issue 26 item 6: the engine's hold model against ns-3's schedulers, in one process and
// interleaved (round r runs every contender once, in turn, so a change of machine load hits
// all of them alike).
//
// Hold model (Vaucher & Duval 1975): N processes each wait an exponential time (mean 1 ms,
// pre-drawn, the same increments for every contender), so N events stay pending; each event
// resumes its process, which schedules its next wake. Timed: 8·N events after all N are
// pending. ns per event = the thread's CPU time / events (CLOCK_THREAD_CPUTIME_ID: on the
// shared 2-core machine a wall clock counts the time other processes hold the core; both
// are printed).
//   collabsim  Engine: each process is a coroutine (Task<void>) that co_awaits
//              engine.delay(); an event pops the radix queue and resumes the coroutine.
//   ns-3       Simulator with one scheduler (SetScheduler); each process is an object whose
//              member function, called by the event, schedules its next call with
//              Simulator::Schedule (ns-3's own way to write a process: an EventImpl per
//              event, reference counted, allocated on schedule).
// ns-3 from Debian's libns3-dev (3.37; install-deps.sh installs it only for this bench).
// Output: one line per contender and round, then the median of each and the ratio of the
// best ns-3 scheduler's median to the engine's (the target: >= 2).
//
// Usage: bench_hold_vs_ns3 [pending=100000] [rounds=5]
#include <ns3/calendar-scheduler.h>
#include <ns3/heap-scheduler.h>
#include <ns3/map-scheduler.h>
#include <ns3/nstime.h>
#include <ns3/object-factory.h>
#include <ns3/priority-queue-scheduler.h>
#include <ns3/simulator.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/rng.hpp"

namespace {

using Clock = std::chrono::steady_clock;

/// CPU seconds of the calling thread.
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Increments (ns, ≥ 1) shared by every contender: 2^16 exponential draws of mean 1 ms.
std::vector<std::int64_t> increments() {
  collabsim::RngStream rng(2, "hold");
  std::vector<std::int64_t> inc(1 << 16);
  for (auto& x : inc) x = 1 + static_cast<std::int64_t>(rng.exponential(1e6));
  return inc;
}

struct Result {
  double ns_per_event = 0;       ///< thread CPU ns per event
  double wall_ns_per_event = 0;  ///< wall ns per event
  std::uint64_t events = 0;
};

/// Fills `r` from the events run and the CPU and wall seconds they took.
void finish(Result& r, std::uint64_t events, double cpu_s, double wall_s) {
  r.events = events;
  r.ns_per_event = cpu_s * 1e9 / static_cast<double>(events);
  r.wall_ns_per_event = wall_s * 1e9 / static_cast<double>(events);
}

// --- collabsim ---------------------------------------------------------------------------

collabsim::Task<void> sleeper(collabsim::Engine& e, const std::vector<std::int64_t>& inc, std::size_t offset,
                              std::int64_t& budget) {
  std::size_t k = offset;
  while (budget-- > 0) co_await e.delay(inc[k++ & 0xFFFF]);
}

Result engine_hold(std::size_t n, const std::vector<std::int64_t>& inc) {
  auto engine = std::make_unique<collabsim::Engine>();
  std::int64_t budget = static_cast<std::int64_t>(n) * 8;  // wakes to run, shared
  for (std::size_t i = 0; i < n; ++i) engine->spawn(sleeper(*engine, inc, i * 7, budget), 0);
  engine->run(0);  // every process started and asleep: n events pending
  const auto before = engine->events_processed();
  const auto t0 = Clock::now();
  const double c0 = thread_cpu_s();
  engine->run();
  const double cpu = thread_cpu_s() - c0;
  const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  Result r;
  finish(r, engine->events_processed() - before, cpu, dt);
  return r;
}

// --- ns-3 --------------------------------------------------------------------------------

/// One ns-3 process: Wake() draws its next increment and schedules itself again.
class Ns3Process {
 public:
  Ns3Process(const std::vector<std::int64_t>& inc, std::size_t offset, std::int64_t& budget, std::uint64_t& events)
      : inc_(inc), k_(offset), budget_(budget), events_(events) {}
  void Wake() {
    ++events_;
    if (budget_-- > 0) ns3::Simulator::Schedule(ns3::NanoSeconds(inc_[k_++ & 0xFFFF]), &Ns3Process::Wake, this);
  }
  void Start() { ns3::Simulator::Schedule(ns3::NanoSeconds(inc_[k_++ & 0xFFFF]), &Ns3Process::Wake, this); }

 private:
  const std::vector<std::int64_t>& inc_;
  std::size_t k_;
  std::int64_t& budget_;
  std::uint64_t& events_;
};

Result ns3_hold(const std::string& scheduler, std::size_t n, const std::vector<std::int64_t>& inc) {
  ns3::ObjectFactory f;
  f.SetTypeId(scheduler);
  ns3::Simulator::SetScheduler(f);
  std::int64_t budget = static_cast<std::int64_t>(n) * 7;  // + the n started below: 8n wakes, as the engine's
  std::uint64_t events = 0;
  std::vector<Ns3Process> procs;
  procs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) procs.emplace_back(inc, i * 7, budget, events);
  for (auto& p : procs) p.Start();  // n events pending, as the engine's after run(0)
  const auto t0 = Clock::now();
  const double c0 = thread_cpu_s();
  ns3::Simulator::Run();
  const double cpu = thread_cpu_s() - c0;
  const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  ns3::Simulator::Destroy();
  Result r;
  finish(r, events, cpu, dt);
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  const auto inc = increments();
  const std::vector<std::string> schedulers = {"ns3::HeapScheduler", "ns3::MapScheduler", "ns3::CalendarScheduler",
                                               "ns3::PriorityQueueScheduler"};
  std::map<std::string, std::vector<double>> ns;
  std::printf("hold model, %zu pending, %zu events per run, %d interleaved rounds\n", n, n * 8, rounds);
  for (int r = 0; r < rounds; ++r) {
    const Result e = engine_hold(n, inc);
    ns["collabsim Engine"].push_back(e.ns_per_event);
    std::printf("round %d  %-28s %8.1f CPU ns/event, %8.1f wall (%llu events)\n", r, "collabsim Engine",
                e.ns_per_event, e.wall_ns_per_event, static_cast<unsigned long long>(e.events));
    for (const auto& s : schedulers) {
      const Result x = ns3_hold(s, n, inc);
      ns[s].push_back(x.ns_per_event);
      std::printf("round %d  %-28s %8.1f CPU ns/event, %8.1f wall (%llu events)\n", r, s.c_str(), x.ns_per_event,
                  x.wall_ns_per_event, static_cast<unsigned long long>(x.events));
    }
  }
  const double engine = median(ns["collabsim Engine"]);
  std::string best;
  double best_ns = 0;
  std::printf("median over %d rounds:\n", rounds);
  for (const auto& [name, v] : ns) {
    const double m = median(v);
    std::printf("  %-28s %8.1f CPU ns/event\n", name.c_str(), m);
    if (name != "collabsim Engine" && (best.empty() || m < best_ns)) best = name, best_ns = m;
  }
  std::printf("best ns-3 scheduler: %s, %.1f CPU ns/event; engine %.1f CPU ns/event: %.2fx faster\n", best.c_str(),
              best_ns, engine, best_ns / engine);
  return 0;
}
