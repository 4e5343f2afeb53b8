// Validation against queueing theory (truths no one here wrote): the engine and the FCFS
// Resource reproduce analytic mean waits of M/M/1, M/D/1 and M/M/c, and Little's law.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/resource.hpp"
#include "sim/core/rng.hpp"

using namespace collabsim;

namespace {

struct Stats {
  double wait_sum_ns = 0;
  std::int64_t served = 0;
};

Task<void> customer(Engine& e, Resource& r, SimTime service, Stats& st) {
  const SimTime arrived = e.now();
  co_await r.acquire();
  st.wait_sum_ns += static_cast<double>(e.now() - arrived);
  ++st.served;
  co_await e.delay(service);
  r.release();
}

/// Poisson arrivals at `mean_gap_ns`; service times from `service()`.
Task<void> source(Engine& e, Resource& r, std::int64_t n, double mean_gap_ns,
                  std::function<SimTime()> service, Stats& st, RngStream rng) {
  for (std::int64_t i = 0; i < n; ++i) {
    co_await e.delay(from_seconds(rng.exponential(mean_gap_ns) * 1e-9));
    e.spawn(customer(e, r, service(), st));
  }
}

struct Result {
  double mean_wait_ns;
  double littles_lq;       // time-average number waiting
  double littles_lambda_w; // arrival rate × mean wait
};

enum class Service { Exponential, Deterministic, Uniform };

Result simulate(int servers, double rho, Service kind, std::int64_t n, std::uint64_t seed) {
  Engine e;
  Resource r(e, servers);
  Stats st;
  const double service_mean = 1e6;  // 1 ms
  const double gap = service_mean / (rho * servers);
  RngStream srng(seed, "service");
  auto service = [&]() -> SimTime {
    switch (kind) {
      case Service::Deterministic: return static_cast<SimTime>(service_mean);
      case Service::Uniform: return from_seconds(srng.uniform() * 2 * service_mean * 1e-9);
      default: return from_seconds(srng.exponential(service_mean) * 1e-9);
    }
  };
  e.spawn(source(e, r, n, gap, service, st, RngStream(seed, "arrivals")));
  e.run();
  Result out{};
  out.mean_wait_ns = st.wait_sum_ns / static_cast<double>(st.served);
  const double horizon = static_cast<double>(e.now());
  out.littles_lq = r.waiting_integral() / horizon;
  out.littles_lambda_w = static_cast<double>(st.served) / horizon * out.mean_wait_ns;
  EXPECT_EQ(st.served, n);
  return out;
}

/// Erlang C probability of waiting for c servers at offered load a = λ/μ.
double erlang_c(int c, double a) {
  double sum = 0, term = 1;
  for (int k = 0; k < c; ++k) {
    if (k > 0) term *= a / k;
    sum += term;
  }
  const double last = term * a / c;  // a^c / c!
  const double rho = a / c;
  const double pc = last / (1 - rho);
  return pc / (sum + pc);
}

TEST(QueueingValidation, MM1MeanWaitMatchesAnalytic) {
  const double rho = 0.7;
  const auto r = simulate(1, rho, Service::Exponential, 1'000'000, 11);
  const double analytic = rho / (1 - rho) * 1e6;  // Wq = ρ/(μ−λ)
  EXPECT_NEAR(r.mean_wait_ns / analytic, 1.0, 0.03) << "sim " << r.mean_wait_ns << " ns";
}

TEST(QueueingValidation, MD1MeanWaitMatchesPollaczekKhinchine) {
  const double rho = 0.7;
  const auto r = simulate(1, rho, Service::Deterministic, 1'000'000, 12);
  const double analytic = rho / (2 * (1 - rho)) * 1e6;  // Wq = ρ S / (2(1−ρ))
  EXPECT_NEAR(r.mean_wait_ns / analytic, 1.0, 0.03) << "sim " << r.mean_wait_ns << " ns";
}

TEST(QueueingValidation, MMcMeanWaitMatchesErlangC) {
  const int c = 4;
  const double rho = 0.8;
  const auto r = simulate(c, rho, Service::Exponential, 1'000'000, 13);
  const double a = rho * c;
  const double analytic = erlang_c(c, a) / (c * (1 - rho)) * 1e6;  // Wq = C(c,a)/(cμ − λ)
  EXPECT_NEAR(r.mean_wait_ns / analytic, 1.0, 0.03) << "sim " << r.mean_wait_ns << " ns";
}

TEST(QueueingValidation, MG1MeanWaitMatchesPollaczekKhinchine) {
  // Uniform service on [0, 2S]: E[S²] = 4S²/3; Wq = λ E[S²] / (2(1 − ρ)).
  const double rho = 0.7, S = 1e6;
  const auto r = simulate(1, rho, Service::Uniform, 1'000'000, 15);
  const double lambda = rho / S;
  const double analytic = lambda * (4.0 * S * S / 3.0) / (2 * (1 - rho));
  EXPECT_NEAR(r.mean_wait_ns / analytic, 1.0, 0.03) << "sim " << r.mean_wait_ns << " ns";
}

TEST(QueueingValidation, LittlesLawHoldsForTheWaitingLine) {
  const auto r = simulate(2, 0.75, Service::Exponential, 400'000, 14);
  EXPECT_NEAR(r.littles_lq / r.littles_lambda_w, 1.0, 0.01);
}

TEST(QueueingValidation, ErlangCReferenceValue) {
  // Textbook check: c = 2, a = 1 → C = 1/3.
  EXPECT_NEAR(erlang_c(2, 1.0), 1.0 / 3.0, 1e-12);
}

// The same code paths on short runs (label `unit`; the sanitizer stage runs these, not the
// statistical suite above): every customer is served, and on a sample path where all
// customers finish, ∫ waiting dt equals the sum of the waits exactly (Little's law with no
// statistical error), so the two sides agree to rounding.
TEST(QueueingShortRuns, EveryCustomerIsServedAndWaitsAddUpExactly) {
  for (const auto kind : {Service::Exponential, Service::Deterministic, Service::Uniform}) {
    for (const int servers : {1, 3}) {
      const auto r = simulate(servers, 0.9, kind, 3000, 21);  // EXPECT_EQ(served, n) inside
      EXPECT_GT(r.mean_wait_ns, 0.0) << servers << " servers";
      EXPECT_NEAR(r.littles_lq / r.littles_lambda_w, 1.0, 1e-9) << servers << " servers";
    }
  }
}

// FCFS through a long line that never empties while it is served (the line's storage drops
// its served front once past half its size): 400 customers, one server, each served for
// 10 ns; the first 300 arrive at t = 0, the rest one every 3 ns from t = 1 ns, so the
// line is never empty until the end. Service order = arrival order, waiting() counts the
// line, and the time-integral of the line matches the waits served.
Task<void> tagged(Engine& e, Resource& r, int id, std::vector<int>& order, double& wait_ns) {
  const SimTime arrived = e.now();
  co_await r.acquire();
  order.push_back(id);
  wait_ns += static_cast<double>(e.now() - arrived);
  co_await e.delay(10);
  r.release();
}

Task<void> late_arrivals(Engine& e, Resource& r, std::vector<int>& order, double& wait_ns) {
  for (int id = 300; id < 400; ++id) {
    co_await e.delay(id == 300 ? 1 : 3);
    e.spawn(tagged(e, r, id, order, wait_ns));
  }
}

TEST(QueueingShortRuns, ALongLineIsServedInArrivalOrder) {
  Engine e;
  Resource r(e, 1);
  std::vector<int> order;
  double wait_ns = 0;
  for (int id = 0; id < 300; ++id) e.spawn(tagged(e, r, id, order, wait_ns));
  e.spawn(late_arrivals(e, r, order, wait_ns));
  e.run(5);
  EXPECT_EQ(r.waiting(), 301u);  // at 5 ns: customer 0 in service, 1..299 and 300, 301 (1 and 4 ns) waiting
  e.run();
  ASSERT_EQ(order.size(), 400u);
  for (int i = 0; i < 400; ++i) ASSERT_EQ(order[static_cast<std::size_t>(i)], i) << "position " << i;
  EXPECT_EQ(r.waiting(), 0u);
  EXPECT_EQ(r.busy(), 0);
  EXPECT_DOUBLE_EQ(r.waiting_integral(), wait_ns);  // ∫ line dt = Σ waits
}

}  // namespace
