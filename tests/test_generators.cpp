// Generated workloads (docs/WORKLOADS.md): renewal arrivals keep their rate and cv,
// diurnal modulation and ServeGen windows shape the rate over time, the service-time
// workload reproduces M/M/1, M/D/1 and M/G/1 mean waits through the CLI, a closed loop
// obeys the interactive response-time law, and bad keys name file, line and key.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <numbers>
#include <numeric>

#include "sim/core/error.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/run_scenario.hpp"
#include "sim/workload/distribution.hpp"
#include "sim/workload/generated_source.hpp"
#include "sim/workload/servegen_lengths.hpp"
#include "sim/workload/servegen_windows.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
using namespace collabsim::workload;
namespace fs = std::filesystem;

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

namespace {

/// Arrival times (s) of the first `n` requests of an open source.
std::vector<double> arrivals(RequestSource& src, std::size_t n) {
  std::vector<double> t;
  t.reserve(n);
  while (t.size() < n) {
    const auto r = src.next(0, 0);
    if (!r) break;
    t.push_back(static_cast<double>(r->arrival_ns) * 1e-9);
  }
  return t;
}

struct GapStats {
  double rate, cv;
};
GapStats gap_stats(const std::vector<double>& t) {
  double sum = 0, sq = 0, prev = 0;
  for (double x : t) {
    const double g = x - prev;
    sum += g, sq += g * g, prev = x;
  }
  const double n = static_cast<double>(t.size());
  const double mean = sum / n;
  return {1 / mean, std::sqrt(sq / n - mean * mean) / mean};
}

GeneratedWorkload renewal(const std::string& process, double rate, double cv, std::uint64_t seed = 3) {
  GeneratedWorkload w;
  w.arrivals.process = &arrival_process_named(process);
  w.arrivals.rate = rate;
  w.arrivals.cv = cv;
  w.lengths.source = &length_source_named("fixed");
  w.seed = seed;
  return w;
}

// ---------------------------------------------------------------- distributions

TEST(Generators, WeibullShapeSolvesTheCv) {
  EXPECT_NEAR(weibull_shape_for_cv(1.0), 1.0, 1e-9);  // the exponential
  for (double cv : {0.3, 0.5, 2.0, 5.0}) {
    const double k = weibull_shape_for_cv(cv);
    const double cv2 = std::exp(std::lgamma(1 + 2 / k) - 2 * std::lgamma(1 + 1 / k)) - 1;
    EXPECT_NEAR(std::sqrt(cv2), cv, 1e-9 * cv) << k;
  }
  EXPECT_THROW(weibull_shape_for_cv(0.0), std::invalid_argument);
}

TEST(ArrivalStatistics, DistributionsKeepMeanAndCv) {
  for (auto [kind, cv] : {std::pair{DistKind::Gamma, 0.5}, {DistKind::Gamma, 2.0}, {DistKind::Lognormal, 0.7},
                          {DistKind::Weibull, 0.5}, {DistKind::Exponential, 1.0}}) {
    const Distribution d(kind, 2.5, cv);
    RngStream rng(9, "dist_test");
    double sum = 0, sq = 0;
    const int n = 400'000;
    for (int i = 0; i < n; ++i) {
      const double x = d.sample(rng);
      ASSERT_GE(x, 0.0);
      sum += x, sq += x * x;
    }
    const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
    EXPECT_NEAR(mean / 2.5, 1.0, 0.02) << dist_name(kind) << " cv " << cv;
    EXPECT_NEAR(sd / mean / cv, 1.0, 0.02) << dist_name(kind) << " cv " << cv;
  }
  RngStream rng(1, "x");
  EXPECT_EQ(Distribution(DistKind::Deterministic, 1.5, 1).sample(rng), 1.5);
  EXPECT_THROW(Distribution(DistKind::Gamma, 1.0, 0.0), std::invalid_argument);
  EXPECT_THROW(Distribution(DistKind::Exponential, -1.0, 1.0), std::invalid_argument);
}

// ---------------------------------------------------------------- renewal arrivals

TEST(ArrivalStatistics, RenewalArrivalsKeepRateAndCv) {
  struct Case {
    const char* process;
    double cv;
  };
  for (const Case c : {Case{"poisson", 1.0}, Case{"gamma", 0.5}, Case{"gamma", 2.0}, Case{"weibull", 0.5},
                       Case{"weibull", 2.0}}) {
    const double rate = 4.0;
    auto src = make_generated_source(renewal(c.process, rate, c.cv), {}, {});
    const auto t = arrivals(*src, 1'000'000);
    ASSERT_EQ(t.size(), 1'000'000u);
    const GapStats s = gap_stats(t);
    EXPECT_NEAR(s.rate / rate, 1.0, 0.02) << c.process << " cv " << c.cv;
    EXPECT_NEAR(s.cv / c.cv, 1.0, 0.02) << c.process << " cv " << c.cv;
  }
}

TEST(Generators, RateScaleMultipliesTheRateAndDurationBounds) {
  GeneratedWorkload w = renewal("gamma", 2.0, 0.5);
  w.rate_scale = 3.0;
  w.duration = 1000;
  auto src = make_generated_source(w, {}, {});
  const auto t = arrivals(*src, 10'000'000);
  EXPECT_LT(t.back(), 1000.0);
  EXPECT_NEAR(static_cast<double>(t.size()) / 6000.0, 1.0, 0.02);  // 2/s × 3 × 1000 s
  EXPECT_FALSE(src->next(0, 0).has_value());                       // stays ended
}

TEST(ArrivalStatistics, DiurnalRateFollowsTheSinusoid) {
  const double rate = 5, a = 0.6, period = 1000, phase = 0;
  for (double t : {0.0, 17.3, 400.0, 2500.5})
    EXPECT_NEAR(diurnal_inverse(diurnal_integral(t, rate, a, period, phase), rate, a, period, phase), t, 1e-6);
  for (const char* process : {"poisson", "gamma"}) {
    GeneratedWorkload w = renewal(process, rate, 0.5);
    if (std::string(process) == "poisson") w.arrivals.cv = 1;
    w.arrivals.diurnal_amplitude = a;
    w.arrivals.diurnal_period = period;
    w.duration = 200 * period;
    auto src = make_generated_source(w, {}, {});
    const auto t = arrivals(*src, 100'000'000);
    // Expected share in the first half period: (P/2 + A·P/π) / P = 1/2 + A/π.
    double first = 0;
    for (double x : t) first += std::fmod(x, period) < period / 2 ? 1 : 0;
    EXPECT_NEAR(static_cast<double>(t.size()) / (rate * w.duration), 1.0, 0.02) << process;
    EXPECT_NEAR(first / static_cast<double>(t.size()) / (0.5 + a / std::numbers::pi), 1.0, 0.02) << process;
  }
}

// ---------------------------------------------------------------- ServeGen windows

/// Per-window counts of a source over `windows`.
std::vector<double> window_counts(RequestSource& src, const std::vector<ServegenWindow>& windows) {
  std::vector<double> n(windows.size(), 0);
  std::size_t k = 0;
  while (auto r = src.next(0, 0)) {
    const double t = static_cast<double>(r->arrival_ns) * 1e-9;
    while (k + 1 < windows.size() && t >= windows[k].end_s) ++k;
    n[k] += 1;
  }
  return n;
}

TEST(Generators, ServegenRatesFollowTheWindowFile) {
  TempDir dir;
  // Long windows, moderate cv: counts ≈ rate × 6000 s within 2 %.
  write_file(dir.path / "chunk-9-trace.csv",
             "0,1.0,0.5,Gamma,4,0.25\n6000,0,0,,0,0\n12000,5.0,1.5,Weibull,0.7,0.1\n18000,2.5,0.8,Gamma,1.6,0.25\n");
  auto windows = read_servegen_windows(dir.path / "chunk-9-trace.csv");
  ASSERT_EQ(windows.size(), 4u);
  EXPECT_EQ(windows[3].end_s, 24000.0);
  GeneratedWorkload w;
  w.arrivals.process = &arrival_process_named("servegen");
  w.lengths.source = &length_source_named("fixed");
  auto src = make_generated_source(w, windows, {});
  EXPECT_EQ(src->expected_requests(), 51000u);  // (1 + 0 + 5 + 2.5) × 6000
  const auto n = window_counts(*src, windows);
  EXPECT_EQ(n[1], 0);
  for (std::size_t k : {0u, 2u, 3u}) EXPECT_NEAR(n[k] / (windows[k].rate * 6000), 1.0, 0.02) << k;
}

TEST(Generators, ServegenProductionFileTotalsAndShape) {
  const fs::path f = data_dir() / "traces/servegen/language/m-large/chunk-0-trace.csv";
  COLLABSIM_NEED_DATA(f);
  const auto windows = read_servegen_windows(f);
  ASSERT_EQ(windows.size(), 2016u);  // 14 days of 600 s windows (SOURCE.md)
  GeneratedWorkload w;
  w.arrivals.process = &arrival_process_named("servegen");
  w.lengths.source = &length_source_named("fixed");
  auto src = make_generated_source(w, windows, {});
  const auto n = window_counts(*src, windows);
  double expected = 0, got = 0, sxy = 0, sxx = 0, syy = 0, mx = 0, my = 0;
  for (std::size_t k = 0; k < n.size(); ++k) {
    const double e = windows[k].rate * (windows[k].end_s - windows[k].start_s);
    if (e == 0) EXPECT_EQ(n[k], 0) << "idle window " << k << " got requests";
    expected += e, got += n[k];
  }
  EXPECT_NEAR(got / expected, 1.0, 0.02);
  mx = expected / static_cast<double>(n.size()), my = got / static_cast<double>(n.size());
  for (std::size_t k = 0; k < n.size(); ++k) {
    const double e = windows[k].rate * 600 - mx, g = n[k] - my;
    sxy += e * g, sxx += e * e, syy += g * g;
  }
  EXPECT_GT(sxy / std::sqrt(sxx * syy), 0.9);  // per-window counts track rate × 600 s
}

TEST(Generators, ServegenMalformedRowsNameTheLine) {
  TempDir dir;
  const std::string ok = "0,1.0,0.5,Gamma,4,0.25\n";
  const std::pair<std::string, std::string> cases[] = {
      {ok + "600,1.0,0.5,Gamma,4\n", "w.csv:2:20: key 'param2': missing field"},
      {ok + "600,x,0.5,Gamma,4,1\n", "w.csv:2:5: key 'rate': 'x' is not a finite number"},
      {ok + "600,-1,0.5,Gamma,4,1\n", "w.csv:2:5: key 'rate': negative value"},
      {ok + "600,1,0.5,Pareto,4,1\n", "w.csv:2:11: key 'pattern': 'Pareto' is not a ServeGen pattern"},
      {ok + "0,1,0.5,Gamma,4,1\n", "w.csv:2:1: key 'window_start_s': window start is not after"},
      {ok + "600,1,0.5,Gamma,4,1,7\n", "w.csv:2:21: key 'row': more than 6 fields"},
      {"", "w.csv: the ServeGen window file has no rows"},
  };
  for (const auto& [text, want] : cases) {
    write_file(dir.path / "w.csv", text);
    try {
      read_servegen_windows(dir.path / "w.csv");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const InputError& e) {
      EXPECT_HAS(std::string(e.what()), want);
    }
  }
}

// ---------------------------------------------------------------- lengths

TEST(Generators, LognormalLengthsDefaultToTheAzureFit) {
  GeneratedWorkload w = renewal("poisson", 1, 1);
  w.lengths = LengthSpec{};  // lognormal, Azure 2023 conversation fit
  auto src = make_generated_source(w, {}, {});
  double lp = 0, lo = 0;
  const int n = 200'000;
  for (int i = 0; i < n; ++i) {
    SourceRequest r = *src->next(0, 0);
    src->assign(static_cast<std::uint64_t>(i), r);
    ASSERT_GE(r.prompt_tokens, 1);
    lp += std::log(static_cast<double>(r.prompt_tokens));
    lo += std::log(static_cast<double>(r.output_tokens));
  }
  EXPECT_NEAR(lp / n, kAzureConvPromptMu, 0.01);
  EXPECT_NEAR(lo / n, kAzureConvOutputMu, 0.01);
}

TEST(Generators, TraceLengthsAreRowsOfTheTrace) {
  const std::vector<TraceRecord> pool = {{0, 10, 1, 2}, {5, 2000, 7, 3}, {9, 333, 44, 4}};
  GeneratedWorkload w = renewal("poisson", 1, 1);
  w.lengths.source = &length_source_named("trace");
  auto src = make_generated_source(w, {}, pool);
  std::vector<int> seen(3, 0);
  for (std::uint64_t i = 0; i < 3000; ++i) {
    SourceRequest r = *src->next(0, 0);
    src->assign(i, r);
    int hit = -1;
    for (int k = 0; k < 3; ++k)
      if (pool[k].prompt_tokens == r.prompt_tokens && pool[k].output_tokens == r.output_tokens) hit = k;
    ASSERT_GE(hit, 0) << r.prompt_tokens << "," << r.output_tokens;
    ++seen[hit];
  }
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(seen[k] / 1000.0, 1.0, 0.15);  // uniform over rows
}

// ---------------------------------------------------------------- through the CLI

/// A queueing scenario as a user writes it: one FCFS server, no language model.
std::string queue_scenario(const std::string& service, double rate, std::int64_t n) {
  return "[run]\nseed = 11\nsample_interval = \"0 s\"\n\n"
         "[workload]\nformat = \"generated\"\norigin = \"server\"\nlimit = " +
         std::to_string(n) +
         "\n\n[workload.arrivals]\nprocess = \"poisson\"\nrate = " + std::to_string(rate) +
         "\n\n[workload.lengths]\nsource = \"fixed\"\nprompt_tokens = 1\noutput_tokens = 1\n\n"
         "[workload.service]\n" +
         service +
         "\n\n[quality]\ntable = \"quality/mmlu_pro/mmlu_pro_30models_matrix.csv\"\n\n"
         "[devices.server]\ncard = \"h100_sxm\"\n\n"
         "[deployments.slm]\nmodel = \"phi-3-mini\"\ndevice = \"server\"\nscheduler = \"fcfs\"\n"
         "latency = \"service_time\"\n\n"
         "[deployments.llm]\nmodel = \"phi-3-mini\"\ndevice = \"server\"\nscheduler = \"fcfs\"\n"
         "latency = \"service_time\"\n\n[mechanism]\nname = \"small_only\"\n";
}

struct QueueRun {
  double wait = 0;        ///< mean wait in queue (s), from the /requests columns
  double lambda = 0;      ///< measured arrival rate (1/s)
  double service = 0;     ///< mean realised service time (s)
  double service_sq = 0;  ///< mean realised service time² (s²)
};

/// Runs the collabsim binary on `toml` and rebuilds every wait from /requests: on one
/// FCFS server, service of request i starts at max(arrival_i, departure_{i−1}).
QueueRun run_queue(const TempDir& dir, const std::string& name, const std::string& toml) {
  const fs::path f = dir.path / (name + ".toml"), out = dir.path / (name + ".h5");
  write_file(f, toml);
  std::string log;
  const int rc = run_cli("run " + f.string() + " --data-dir " + data_dir().string() + " -o " + out.string(), log);
  EXPECT_EQ(rc, 0) << log;
  const auto a = read_column<double>(out, "requests", "arrival_s");
  const auto l = read_column<double>(out, "requests", "latency_s");
  QueueRun q;
  double prev_departure = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double start = std::max(a[i], prev_departure), departure = a[i] + l[i];
    q.wait += start - a[i];
    q.service += departure - start;
    q.service_sq += (departure - start) * (departure - start);
    prev_departure = departure;
  }
  const double n = static_cast<double>(a.size());
  q.wait /= n, q.service /= n, q.service_sq /= n;
  q.lambda = (n - 1) / (a.back() - a.front());
  return q;
}

class GeneratorCli : public ::testing::Test {
 protected:
  void SetUp() override {
    COLLABSIM_NEED_DATA(data_dir());
  }
  TempDir dir_;
};

/// The queueing checks of the CLI runs: 10^6 requests each (label `statistical`).
class QueueingCli : public GeneratorCli {};

TEST_F(QueueingCli, MM1MeanWait) {
  const double rho = 0.7;  // S = 1 s
  const QueueRun q = run_queue(dir_, "mm1", queue_scenario("distribution = \"exponential\"\nmean = \"1 s\"", rho,
                                                           1'000'000));
  EXPECT_NEAR(q.service, 1.0, 0.01);
  EXPECT_NEAR(q.wait / (rho / (1 - rho)), 1.0, 0.03) << q.wait;  // Wq = ρS/(1−ρ)
}

TEST_F(QueueingCli, MD1MeanWait) {
  const double rho = 0.7;
  const QueueRun q = run_queue(dir_, "md1", queue_scenario("distribution = \"deterministic\"\nmean = \"1 s\"", rho,
                                                           1'000'000));
  EXPECT_NEAR(q.service, 1.0, 1e-6);
  EXPECT_NEAR(q.wait / (rho / (2 * (1 - rho))), 1.0, 0.03) << q.wait;  // Wq = ρS/(2(1−ρ))
}

TEST_F(QueueingCli, MG1LognormalCv2MeanWait) {
  // Pollaczek–Khinchine: Wq = λE[S²]/(2(1−ρ)); lognormal S, mean 1 s, cv 2 ⇒ E[S²] = 5 s².
  const double lambda = 0.5;
  const QueueRun q = run_queue(
      dir_, "mg1", queue_scenario("distribution = \"lognormal\"\nmean = \"1 s\"\ncv = 2", lambda, 1'000'000));
  // The heavy tail (E[S⁴]/E[S²]² = 625) makes E[S²] of 10⁶ draws uncertain by ±2.5 %:
  // the formula with the run's own λ, E[S], E[S²] isolates the queue (3 %); the nominal
  // moments check the generator as well (5 %).
  const double rho = q.lambda * q.service;
  EXPECT_NEAR(q.wait / (q.lambda * q.service_sq / (2 * (1 - rho))), 1.0, 0.03) << q.wait;
  EXPECT_NEAR(q.wait / (lambda * 5.0 / (2 * (1 - lambda))), 1.0, 0.05) << q.wait;
  EXPECT_NEAR(q.service, 1.0, 0.02);
}

TEST_F(GeneratorCli, ShippedMM1ScenarioRuns) {
  const fs::path out = dir_.path / "shipped.h5";
  std::string log;
  ASSERT_EQ(run_cli("run " + (source_dir() / "scenarios/mm1_service_time.toml").string() + " --data-dir " +
                        data_dir().string() + " -o " + out.string() + " --set workload.limit=100000",
                    log),
            0)
      << log;
  EXPECT_EQ(read_column<double>(out, "requests", "arrival_s").size(), 100000u);
}

TEST_F(QueueingCli, ClosedLoopObeysTheResponseTimeLaw) {
  // N users, think Z = 4 s (exponential), exponential service of 1 s on one FCFS server.
  const int users = 8;
  const double z = 4.0, duration = 100'000;
  std::string toml = queue_scenario("distribution = \"exponential\"\nmean = \"1 s\"", 1, 1);
  toml.replace(toml.find("limit = 1\n"), 10, "duration = \"100000 s\"\n");
  toml.replace(toml.find("process = \"poisson\"\nrate = 1.000000"), 36,
               "process = \"closed_loop\"\nusers = 8\nthink_time = \"4 s\"");
  const fs::path f = dir_.path / "closed.toml", out = dir_.path / "closed.h5";
  write_file(f, toml);
  std::string log;
  ASSERT_EQ(run_cli("run " + f.string() + " --data-dir " + data_dir().string() + " -o " + out.string(), log), 0)
      << log << toml;
  const auto a = read_column<double>(out, "requests", "arrival_s");
  const auto l = read_column<double>(out, "requests", "latency_s");
  const double x = static_cast<double>(a.size()) / duration;
  const double r = std::accumulate(l.begin(), l.end(), 0.0) / static_cast<double>(l.size());
  EXPECT_NEAR(x / (users / (r + z)), 1.0, 0.02) << "X " << x << " R " << r;  // X = N/(R+Z)
  // Exact mean-value analysis of the repairman model (one FCFS queue + a delay station).
  double q = 0, xm = 0, rm = 0;
  for (int n = 1; n <= users; ++n) {
    rm = 1.0 * (1 + q);
    xm = n / (rm + z);
    q = xm * rm;
  }
  EXPECT_NEAR(x / xm, 1.0, 0.03) << "MVA X " << xm;
  EXPECT_NEAR(r / rm, 1.0, 0.03) << "MVA R " << rm;
  // Each user has at most one request outstanding: no more than N requests in the system.
  std::vector<std::pair<double, int>> ev;
  for (std::size_t i = 0; i < a.size(); ++i) ev.push_back({a[i], 1}), ev.push_back({a[i] + l[i], -1});
  std::sort(ev.begin(), ev.end());
  int in_system = 0, peak = 0;
  for (const auto& [t, d] : ev) peak = std::max(peak, in_system += d);
  EXPECT_LE(peak, users);
}

TEST_F(GeneratorCli, ClosedLoopRampStaggersTheFirstRequests) {
  // ramp = 4 s over 4 users: user k's first request at k s, then back to back (no think time).
  std::string toml = queue_scenario("distribution = \"exponential\"\nmean = \"0.1 s\"", 1, 1);
  toml.replace(toml.find("limit = 1\n"), 10, "limit = 40\n");
  toml.replace(toml.find("process = \"poisson\"\nrate = 1.000000"), 36,
               "process = \"closed_loop\"\nusers = 4\nramp = \"4 s\"");
  const fs::path f = dir_.path / "ramp.toml", out = dir_.path / "ramp.h5";
  write_file(f, toml);
  std::string log;
  ASSERT_EQ(run_cli("run " + f.string() + " --data-dir " + data_dir().string() + " -o " + out.string(), log), 0)
      << log << toml;
  const auto a = read_column<double>(out, "requests", "arrival_s");
  ASSERT_EQ(a.size(), 40u);
  // Arrival order mixes users (user 0 cycles while the others wait): look for each start.
  for (int k = 0; k < 4; ++k)
    EXPECT_TRUE(std::any_of(a.begin(), a.end(), [k](double t) { return std::abs(t - k) < 1e-9; })) << k;
  // Before 1 s only user 0 has started.
  const auto early = std::count_if(a.begin(), a.end(), [](double t) { return t < 1.0; });
  EXPECT_GE(early, 1);
}

/// Peak resident memory (kB) of `collabsim <args>` run as a child (wait4's rusage of that
/// child alone), its output discarded; -1 when it does not exit 0.
long peak_rss_kb(const std::vector<std::string>& args) {
  std::vector<char*> argv{const_cast<char*>(collabsim_binary_path())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  struct rusage ru {};
  if (pid < 0 || ::wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return ru.ru_maxrss;
}

TEST_F(GeneratorCli, MillionClosedLoopUsersCostNoProcessBeforeTheirFirstRequest) {
  // Issue 23, M3: a closed loop of 10^6 users (the allowed maximum) that sends 200
  // requests peaks within 64 MB of the same run with 10^3 users. Before, every user had a
  // process and a stream from t = 0 (~1.2 KB each: 1.2 GB more at 10^6); now a user's
  // process and state begin at its first request, and the users who have not sent cost
  // their place in the order of first arrivals (16 bytes each).
  long rss[2] = {0, 0};
  const char* users[2] = {"1000", "1000000"};
  for (int i = 0; i < 2; ++i) {
    std::string toml = queue_scenario("distribution = \"exponential\"\nmean = \"0.1 s\"", 1, 1);
    toml.replace(toml.find("limit = 1\n"), 10, "limit = 200\n");
    toml.replace(toml.find("process = \"poisson\"\nrate = 1.000000"), 36,
                 std::string("process = \"closed_loop\"\nusers = ") + users[i] + "\nthink_time = \"1000 s\"");
    const fs::path f = dir_.path / (std::string("mem") + users[i] + ".toml"), out = dir_.path / (std::string("mem") + users[i] + ".h5");
    write_file(f, toml);
    rss[i] = peak_rss_kb({"run", f.string(), "--data-dir", data_dir().string(), "-o", out.string(), "--quiet"});
    ASSERT_GT(rss[i], 0) << toml;
    EXPECT_EQ(read_column<double>(out, "requests", "arrival_s").size(), 200u);
  }
  EXPECT_LT(rss[1] - rss[0], 64 * 1024) << "peak RSS " << rss[0] << " kB (10^3 users), " << rss[1] << " kB (10^6)";
}

TEST_F(GeneratorCli, SameSeedSameRequests) {
  const std::string toml = queue_scenario("distribution = \"lognormal\"\nmean = \"0.5 s\"\ncv = 1.5", 1.2, 5000);
  const fs::path f = dir_.path / "det.toml";
  write_file(f, toml);
  std::string log;
  for (const char* o : {"a.h5", "b.h5"})
    ASSERT_EQ(run_cli("run " + f.string() + " --data-dir " + data_dir().string() + " -o " + (dir_.path / o).string(),
                      log),
              0)
        << log;
  EXPECT_EQ(read_raw(dir_.path / "a.h5", "requests"), read_raw(dir_.path / "b.h5", "requests"));
}

// ---------------------------------------------------------------- bad keys

class GeneratorKeys : public ::testing::Test {
 protected:
  /// Loads the M/M/1 scenario with `sets`; returns the InputError's text ("" if none).
  std::string error(std::vector<std::string> sets, const std::string& replace_from = "",
                    const std::string& replace_to = "") {
    std::string toml = queue_scenario("distribution = \"exponential\"\nmean = \"1 s\"", 0.5, 100);
    if (!replace_from.empty()) toml.replace(toml.find(replace_from), replace_from.size(), replace_to);
    const fs::path f = dir_.path / "bad.toml";
    write_file(f, toml);
    LoadOptions opt;
    opt.overrides = std::move(sets);
    opt.data_dir = data_dir();
    try {
      load_scenario(f, opt);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  void SetUp() override {
    COLLABSIM_NEED_DATA(data_dir());
  }
  TempDir dir_;
};

TEST_F(GeneratorKeys, NameFileLineAndKey) {
  EXPECT_EQ(error({}), "");
  EXPECT_HAS(error({}, "process = \"poisson\"", "process = \"poison\""),
             "bad.toml:11:11: key 'workload.arrivals.process'");
  EXPECT_HAS(error({}, "rate = ", "rat = "), "bad.toml:12:1: key 'workload.arrivals.rat': unknown key; did you mean 'rate'?");
  EXPECT_HAS(error({}, "rate = 0.500000", "rate = 0.5\ncv = 2"),
             "bad.toml:13:6: key 'workload.arrivals.cv': a Poisson process has cv 1");
  EXPECT_HAS(error({}, "rate = 0.500000", "rate = -1"), "bad.toml:12:8: key 'workload.arrivals.rate'");
  EXPECT_HAS(error({}, "limit = 100\n", ""), "key 'workload.limit': a generated workload needs a bound");
  EXPECT_HAS(error({}, "mean = \"1 s\"", "mean = \"1 MB\""), "bad.toml:21:8: key 'workload.service.mean'");
  EXPECT_HAS(error({}, "distribution = \"exponential\"", "distribution = \"exponential\"\nsigma = 1"),
             "bad.toml:21:1: key 'workload.service.sigma': unknown key");
  EXPECT_HAS(error({"workload.service.distribution=none"}),
             "bad.toml:39:11: key 'deployments.llm.latency': latency = \"service_time\" serves each request");
  EXPECT_HAS(error({"deployments.llm.scheduler=continuous"}),
             "key 'deployments.llm.latency': latency = \"service_time\" needs scheduler = \"fcfs\"");
  EXPECT_HAS(error({"workload.arrivals.process=closed_loop"}), "key 'workload.arrivals.users'");
  EXPECT_HAS(error({"workload.arrivals.process=servegen"}), "key 'workload.arrivals.servegen_file'");
  EXPECT_HAS(error({"workload.arrivals.ramp=\"1 s\""}), "key 'workload.arrivals.ramp': only process \"closed_loop\"");
  EXPECT_HAS(error({"workload.arrivals.diurnal_amplitude=1.5"}), "key 'workload.arrivals.diurnal_amplitude'");
  EXPECT_HAS(error({"workload.repeat=2"}), "key 'workload.repeat'");
  EXPECT_HAS(error({"workload.format=azure_csv"}), "key 'workload.trace': required");
  EXPECT_HAS(error({"workload.lengths.trace=x.csv"}), "key 'workload.lengths.trace': only source = \"trace\"");
  EXPECT_HAS(error({"workload.start=\"5 s\""}), "key 'workload.start': a window of the generator's clock");
}

}  // namespace

TEST(Generators, ClosedLoopUsersHaveStateFromTheirFirstRequestOnly) {
  // Issue 23, M3: 10^6 closed-loop users (workload.arrivals.users' maximum) hold no
  // per-user stream before any request; a user's state begins with its first request and
  // ends with its stream, and the arrivals are those of one fresh stream per user.
  GeneratedWorkload w;
  w.arrivals.process = &arrival_process_named("closed_loop");
  w.arrivals.users = 1'000'000;
  w.arrivals.think_time = 30;
  w.arrivals.ramp = 10;
  w.lengths.source = &length_source_named("fixed");
  w.seed = 5;
  auto src = make_generated_source(w, {}, {});
  ASSERT_TRUE(src->closed_loop());
  EXPECT_EQ(src->streams(), 1'000'000u);
  EXPECT_EQ(src->streams_with_state(), 0u);
  const Distribution think(DistKind::Exponential, 30, 1.0);
  std::vector<StreamStart> first;
  std::int64_t prev = 0;
  for (int i = 0; i < 1000; ++i) {  // in order of first arrival: user k's first think time after k·ramp/N
    const std::optional<StreamStart> s = src->next_start();
    ASSERT_TRUE(s);
    EXPECT_GE(s->at_ns, prev);
    prev = s->at_ns;
    RngStream rng(5, "generated_think", s->stream);
    EXPECT_EQ(s->at_ns, from_seconds(think.sample(rng) + 10.0 * static_cast<double>(s->stream) / 1e6)) << s->stream;
    first.push_back(*s);
  }
  EXPECT_EQ(src->streams_with_state(), 0u);  // the order is known; no user has sent yet
  for (const StreamStart& s : first) {
    const auto r = src->next(s.stream, s.at_ns);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->arrival_ns, s.at_ns);
  }
  EXPECT_EQ(src->streams_with_state(), 1000u);  // state for the users who sent, only
  // A user's second request: its stream's second think time after the answer.
  RngStream rng(5, "generated_think", first[0].stream);
  think.sample(rng);
  const std::int64_t answer = first[0].at_ns + from_seconds(2.0);
  const auto second = src->next(first[0].stream, answer);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->arrival_ns, answer + from_seconds(think.sample(rng)));
  std::size_t starts = first.size();
  while (src->next_start()) ++starts;
  EXPECT_EQ(starts, 1'000'000u);  // every user sends (no duration)

  // With a duration, a stream that ends drops its state, and users whose first request
  // would come at or after the end never begin. Deterministic think 5 s: all at 5 s, ties by index.
  GeneratedWorkload d = w;
  d.arrivals.users = 3;
  d.arrivals.ramp = 0;
  d.arrivals.think_distribution = "deterministic";
  d.arrivals.think_time = 5;
  d.duration = 12;
  auto small = make_generated_source(d, {}, {});
  for (std::size_t u = 0; u < 3; ++u) {
    const auto s = small->next_start();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->stream, u);
    EXPECT_EQ(s->at_ns, from_seconds(5.0));
    ASSERT_TRUE(small->next(u, s->at_ns));
  }
  EXPECT_FALSE(small->next_start());
  EXPECT_EQ(small->streams_with_state(), 3u);
  EXPECT_EQ(small->next(0, from_seconds(6.0))->arrival_ns, from_seconds(11.0));
  EXPECT_FALSE(small->next(1, from_seconds(8.0)));  // 13 s ≥ 12 s: the stream ends
  EXPECT_EQ(small->streams_with_state(), 2u);
  d.arrivals.think_time = 20;  // every first request after the end: nobody begins
  EXPECT_FALSE(make_generated_source(d, {}, {})->next_start());
}

TEST(Generators, ServegenWindowsTakeADiurnalModulation) {
  TempDir dir;
  // One flat 2-day file at 1 request/s (Poisson windows), modulated with A = 0.8, period
  // 1 day: the expected count stays rate × span (whole periods), and the half-day around
  // the peak (phase + period/4) gets (1 + 2A/π)/(1 − 2A/π) = 3.1 times the trough's count.
  std::string rows;
  for (int k = 0; k < 288; ++k) rows += std::to_string(k * 600) + ",1.0,1.0,Gamma,1,1\n";
  write_file(dir.path / "chunk-1-trace.csv", rows);
  const auto windows = read_servegen_windows(dir.path / "chunk-1-trace.csv");
  GeneratedWorkload w;
  w.arrivals.process = &arrival_process_named("servegen");
  w.arrivals.diurnal_amplitude = 0.8;
  w.arrivals.diurnal_period = 86400;
  w.lengths.source = &length_source_named("fixed");
  auto src = make_generated_source(w, windows, {});
  EXPECT_NEAR(static_cast<double>(src->expected_requests()), 172800.0, 1.0);
  double peak = 0, trough = 0, total = 0;
  while (auto r = src->next(0, 0)) {
    const double t = std::fmod(static_cast<double>(r->arrival_ns) * 1e-9, 86400.0);
    (t < 43200 ? peak : trough) += 1;  // sin > 0 on (0, period/2) with phase 0
    total += 1;
  }
  EXPECT_NEAR(total / 172800.0, 1.0, 0.01);
  const double want = (1 + 2 * 0.8 / std::numbers::pi) / (1 - 2 * 0.8 / std::numbers::pi);
  EXPECT_NEAR(peak / trough, want, 0.05 * want);
}

TEST(Generators, ServegenLengthPmfsAreDrawnPerWindow) {
  TempDir dir;
  // Two windows: the first always 10 prompt tokens and 1 or 3 output tokens (p = 0.25,
  // 0.75), the second always 1000 and 7. Python-dict strings as in ServeGen's files.
  write_file(dir.path / "chunk-1-dataset.json",
             "{\n  \"0\": {\"input_tokens\": \"{10: 1.0}\", \"output_tokens\": \"{1: 0.25, 3: 0.75}\", "
             "\"reason_ratio\": \"{0.5: 1.0}\"},\n"
             "  \"3600\": {\"input_tokens\": \"{1000: 1.0}\", \"output_tokens\": \"{7: 1.0}\"}\n}\n");
  GeneratedWorkload w;
  w.arrivals.process = &arrival_process_named("poisson");
  w.arrivals.rate = 1.0;
  w.duration = 7200;
  w.lengths.source = &length_source_named("servegen");
  w.lengths.dataset = dir.path / "chunk-1-dataset.json";
  auto src = make_generated_source(w, {}, {});
  int early = 0, ones = 0, late = 0;
  std::uint64_t id = 0;
  while (auto r = src->next(0, 0)) {
    src->assign(id++, *r);
    if (r->arrival_ns < 3600'000'000'000) {
      ++early;
      EXPECT_EQ(r->prompt_tokens, 10);
      ASSERT_TRUE(r->output_tokens == 1 || r->output_tokens == 3);
      ones += r->output_tokens == 1 ? 1 : 0;
    } else {
      ++late;
      EXPECT_EQ(r->prompt_tokens, 1000);
      EXPECT_EQ(r->output_tokens, 7);
    }
  }
  EXPECT_GT(early, 3000);
  EXPECT_GT(late, 3000);
  EXPECT_NEAR(ones / double(early), 0.25, 0.03);
}

TEST(Generators, ServegenDatasetFilesOfThePoolReadAndMalformedOnesNameTheKey) {
  const fs::path f = data_dir() / "traces/servegen/reason/deepseek-r1/chunk-0-dataset.json";
  COLLABSIM_NEED_DATA(f);
  const auto windows = read_servegen_lengths(f);
  // Four windows of 21,600 s; those at 43,200 and 64,800 s have empty PMFs ("{}") and are
  // left out.
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(windows[1].start_s, 21600.0);
  EXPECT_EQ(windows[1].input_tokens.size(), 330u);
  EXPECT_EQ(windows[0].input_tokens.front(), 45);
  EXPECT_DOUBLE_EQ(windows[0].input_cdf.back(), 1.0);
  TempDir dir;
  auto error = [&](const std::string& text) {
    write_file(dir.path / "d.json", text);
    try {
      read_servegen_lengths(dir.path / "d.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_HAS(error("{\"0\": {\"input_tokens\": \"{10: 0.5}\", \"output_tokens\": \"{1: 1.0}\"}}"),
             "key '0.input_tokens': the probabilities add up to 0.5");
  EXPECT_HAS(error("{\"0\": {\"input_tokens\": \"{x: 1.0}\", \"output_tokens\": \"{1: 1.0}\"}}"),
             "key '0.input_tokens'");
  EXPECT_HAS(error("{\"0\": {\"input_tokens\": \"{10: 1.0}\"}}"), "key '0': the window has no output_tokens");
  EXPECT_HAS(error("{\n\"-5\": {}}"), "d.json:2");
  EXPECT_HAS(error("{}"), "has no window");
  EXPECT_HAS(error("{\"0\": {\"input_tokens\": \"{}\", \"output_tokens\": \"{}\"}}"), "has no window");
}
