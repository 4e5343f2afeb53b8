// Continuous batching replica: agreement with the batch-1 roofline, throughput gain under
// load, KV-cache admission limit, chunked prefill, FCFS order and energy conservation.
#include <gtest/gtest.h>

#include <vector>

#include "sim/core/engine.hpp"
#include "sim/hardware/batching_replica.hpp"
#include "sim/hardware/deployment_server.hpp"
#include "sim/hardware/roofline.hpp"

using namespace collabsim;

namespace {

ModelCard llama8b() {
  ModelCard m;
  m.params = m.active_params = 8.03e9;
  m.layers = 32;
  m.hidden = 4096;
  m.heads = 32;
  m.kv_heads = 8;
  m.head_dim = 128;
  m.bytes_per_param = 2;
  m.kv_bytes_per_element = 2;
  return m;
}
DeviceSpec a100() {
  DeviceSpec d;
  d.peak_flops = 312e12;
  d.memory_bandwidth = 2.039e12;
  d.memory = 80e9;
  d.busy_power = 400;
  d.idle_power = 50;
  d.compute_efficiency = 0.5;
  d.memory_efficiency = 0.8;
  return d;
}

struct Job {
  std::int64_t prompt, output;
  SimTime at;
};

Task<void> client(Engine& e, BatchingReplica& r, Job j, Generation& out) {
  co_await e.until(j.at);
  out = co_await r.generate(j.prompt, j.output);
}

std::vector<Generation> serve(BatchingReplica& r, Engine& e, const std::vector<Job>& jobs) {
  std::vector<Generation> out(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) e.spawn(client(e, r, jobs[i], out[i]));
  e.run();
  return out;
}

}  // namespace

TEST(Batching, SingleSequenceMatchesBatchOneRoofline) {
  const auto m = llama8b();
  const auto d = a100();
  Engine e;
  LatencyModel lat(m, d, nullptr);
  BatchingReplica r(e, m, d, lat, BatchingConfig{256, 0, 20e9, 0});
  const auto g = serve(r, e, {{1000, 200, 0}})[0];
  const double want = prefill_time(m, d, 1000) + decode_time(m, d, 1001, 199);
  // The prefill iteration emits token 1, then 199 decode steps at contexts 1001..1199.
  // Each iteration rounds to 1 ns.
  EXPECT_NEAR(to_seconds(g.end - g.queued), want, 200e-9);
  EXPECT_NEAR(to_seconds(g.first_token - g.queued), prefill_time(m, d, 1000), 1e-9);
  EXPECT_EQ(r.iterations(), 200);
}

TEST(Batching, BatchingRaisesThroughputAndSlowsEachSequence) {
  const auto m = llama8b();
  const auto d = a100();
  Engine e;
  LatencyModel lat(m, d, nullptr);
  BatchingReplica r(e, m, d, lat, BatchingConfig{256, 0, 40e9, 0});
  std::vector<Job> jobs(32, Job{500, 100, 0});
  const auto gs = serve(r, e, jobs);
  const double alone = prefill_time(m, d, 500) + decode_time(m, d, 501, 99);
  SimTime makespan = 0;
  for (const auto& g : gs) makespan = std::max(makespan, g.end);
  EXPECT_LT(to_seconds(makespan), 0.25 * 32 * alone);  // far better than one at a time
  for (const auto& g : gs) EXPECT_GT(to_seconds(g.end - g.queued), alone);
  EXPECT_EQ(r.max_batch_seen(), 32u);
}

TEST(Batching, KvCacheLimitsConcurrencyAndRejectsOversizedRequests) {
  const auto m = llama8b();
  const auto d = a100();
  const double per_seq = m.kv_bytes_per_token() * (1000 + 100);
  Engine e;
  LatencyModel lat(m, d, nullptr);
  BatchingReplica r(e, m, d, lat, BatchingConfig{256, 0, 2.5 * per_seq, 0});
  std::vector<Job> jobs(6, Job{1000, 100, 0});
  jobs.push_back(Job{3000, 100, 0});  // needs more than the whole cache
  const auto gs = serve(r, e, jobs);
  EXPECT_EQ(r.max_batch_seen(), 2u);
  for (int i = 0; i < 6; ++i) EXPECT_FALSE(gs[i].failed);
  EXPECT_TRUE(gs[6].failed);
  // FCFS admission: pairs start together, in arrival order.
  EXPECT_EQ(gs[0].start, gs[1].start);
  EXPECT_LT(gs[1].start, gs[2].start);
  EXPECT_LE(gs[2].start, gs[4].start);
  EXPECT_DOUBLE_EQ(r.kv_used(), 0.0);
}

TEST(Batching, ChunkedPrefillSpreadsAPromptOverIterations) {
  const auto m = llama8b();
  const auto d = a100();
  Engine e;
  LatencyModel lat(m, d, nullptr);
  BatchingReplica r(e, m, d, lat, BatchingConfig{256, 512, 20e9, 0});
  const auto g = serve(r, e, {{2048, 1, 0}})[0];
  EXPECT_EQ(r.iterations(), 4);  // 4 chunks of 512, the last emits the only token
  EXPECT_EQ(g.first_token, g.end);
}

TEST(Batching, AttributedEnergyAddsUpToTheReplicaIntegral) {
  const auto m = llama8b();
  const auto d = a100();
  Engine e;
  LatencyModel lat(m, d, nullptr);
  BatchingReplica r(e, m, d, lat, BatchingConfig{8, 256, 20e9, 0});
  std::vector<Job> jobs;
  for (int i = 0; i < 40; ++i) jobs.push_back(Job{100 + 37 * i, 5 + 11 * (i % 7), (i % 10) * 100'000'000LL + (i / 10) * 2'000'000'000LL});
  const auto gs = serve(r, e, jobs);
  double attributed = 0, time = 0;
  for (const auto& g : gs) {
    attributed += g.energy;
    time += g.device_time;
  }
  EXPECT_NEAR(attributed / r.busy_energy(), 1.0, 1e-12);
  // Utilisation power model (the default): each iteration draws between idle and busy power.
  EXPECT_LT(r.busy_energy(), d.busy_power * r.busy_seconds());
  EXPECT_GT(r.busy_energy(), d.idle_power * r.busy_seconds());
  EXPECT_NEAR(time / r.busy_seconds(), 1.0, 1e-12);
  // Two-state model: the replica's integral is busy power × busy time.
  DeviceSpec two_state = d;
  two_state.power_model = PowerModel::constant;
  Engine e2;
  LatencyModel lat2(m, two_state, nullptr);
  BatchingReplica r2(e2, m, two_state, lat2, BatchingConfig{8, 256, 20e9, 0});
  double attributed2 = 0;
  for (const auto& g : serve(r2, e2, jobs)) attributed2 += g.energy;
  EXPECT_NEAR(attributed2, two_state.busy_power * r2.busy_seconds(), 1e-9 * attributed2);
  EXPECT_EQ(r2.busy_seconds(), r.busy_seconds());  // the power model changes no time
}

namespace {

/// Paged admission, per_seq tokens of capacity: prompt 500 + output 1000 each, 8 at t = 0,
/// so that admission (prompt + 1 token in 16-token blocks) takes 5 but growth runs out.
struct PagedRun {
  std::vector<Generation> gs;
  std::int64_t preemptions, recompute, generated, prefilled, iterations;
  double busy_s, busy_j, swap_bytes, kv_left;
};

PagedRun paged_run(bool swap, double swap_bandwidth, std::int64_t chunk, std::vector<Job> jobs) {
  const auto m = llama8b();
  const auto d = a100();
  Engine e;
  LatencyModel lat(m, d, nullptr);
  BatchingConfig cfg{256, chunk, 3000 * m.kv_bytes_per_token(), 0};
  cfg.paged = true;
  cfg.swap = swap;
  cfg.swap_bandwidth = swap_bandwidth;
  BatchingReplica r(e, m, d, lat, cfg);
  PagedRun out;
  out.gs = serve(r, e, jobs);
  out.preemptions = r.preemptions();
  out.recompute = r.recompute_tokens();
  out.generated = r.tokens_generated();
  out.prefilled = r.prefilled_tokens();
  out.iterations = r.iterations();
  out.busy_s = r.busy_seconds();
  out.busy_j = r.busy_energy();
  out.swap_bytes = r.swap_bytes();
  out.kv_left = r.kv_used();
  return out;
}

std::vector<Job> overload() { return std::vector<Job>(8, Job{500, 1000, 0}); }

void expect_conserved(const PagedRun& p, const std::vector<Job>& jobs) {
  std::int64_t out = 0, prompt = 0;
  double energy = 0, time = 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const auto& g = p.gs[i];
    EXPECT_FALSE(g.failed) << i;  // no request lost
    EXPECT_EQ(g.output_tokens, jobs[i].output);
    EXPECT_LE(g.start, g.first_token);
    EXPECT_LE(g.first_token, g.end);
    out += jobs[i].output;
    prompt += jobs[i].prompt;
    energy += g.energy;
    time += g.device_time;
  }
  EXPECT_EQ(p.generated, out) << "every requested output token is produced exactly once";
  EXPECT_EQ(p.prefilled, prompt + p.recompute) << "prefill = prompts + recomputed tokens";
  EXPECT_NEAR(energy / p.busy_j, 1.0, 1e-12);
  EXPECT_NEAR(time / p.busy_s, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(p.kv_left, 0.0);
}

}  // namespace

TEST(Batching, ReserveAdmissionNeverPreemptsTheOverload) {
  const auto m = llama8b();
  const auto d = a100();
  Engine e;
  LatencyModel lat(m, d, nullptr);
  BatchingReplica r(e, m, d, lat, BatchingConfig{256, 0, 3000 * m.kv_bytes_per_token(), 0});
  const auto gs = serve(r, e, overload());
  EXPECT_EQ(r.max_batch_seen(), 2u);  // 2 × 1,500 tokens reserved
  EXPECT_EQ(r.preemptions(), 0);
  EXPECT_EQ(r.tokens_generated(), 8 * 1000);
}

TEST(Batching, PagedAdmissionPreemptsTheLatestAndRecomputesIt) {
  const auto jobs = overload();
  const auto p = paged_run(false, 32e9, 0, jobs);
  EXPECT_GT(p.preemptions, 0);
  EXPECT_GT(p.recompute, 0);
  EXPECT_EQ(p.swap_bytes, 0.0);
  expect_conserved(p, jobs);
  // vLLM's policy preempts the latest-admitted sequence: the first one runs through
  // untouched and finishes first, having prefilled only its own prompt.
  for (std::size_t i = 1; i < jobs.size(); ++i) EXPECT_LE(p.gs[0].end, p.gs[i].end) << i;
  // More sequences run at once than reserve admission allows (5 admitted vs 2).
  EXPECT_LT(p.gs[4].start, p.gs[1].end);
}

TEST(Batching, RecomputeCostsTheExtraPrefillAndSwapCostsTheCopy) {
  const auto jobs = overload();
  const auto rec = paged_run(false, 32e9, 0, jobs);
  const auto fast = paged_run(true, 1e18, 0, jobs);  // swap at (almost) no cost
  const auto slow = paged_run(true, 1e9, 0, jobs);
  expect_conserved(fast, jobs);
  expect_conserved(slow, jobs);
  EXPECT_EQ(fast.recompute, 0);
  EXPECT_EQ(fast.prefilled, 8 * 500) << "a swapped sequence resumes without prefilling again";
  EXPECT_GT(rec.busy_s, fast.busy_s) << "recompute prefills prompt + generated tokens again";
  // Swap decisions do not depend on time (all arrive at t = 0): the same preemptions and
  // copies, each iteration longer by the bytes it copies / bandwidth (1 ns rounding each).
  EXPECT_EQ(slow.preemptions, fast.preemptions);
  EXPECT_GT(slow.preemptions, 0);
  EXPECT_EQ(slow.swap_bytes, fast.swap_bytes);
  EXPECT_EQ(slow.iterations, fast.iterations);
  EXPECT_NEAR(slow.busy_s - fast.busy_s, slow.swap_bytes / 1e9, 1e-9 * static_cast<double>(slow.iterations));
}

TEST(Batching, PagedChunkedPrefillWithStaggeredArrivalsConservesTokensAndEnergy) {
  std::vector<Job> jobs;
  for (int i = 0; i < 40; ++i)
    jobs.push_back(Job{100 + 37 * i, 5 + 61 * (i % 7), (i % 10) * 50'000'000LL + (i / 10) * 400'000'000LL});
  for (const bool swap : {false, true}) {
    const auto p = paged_run(swap, 32e9, 256, jobs);
    EXPECT_GT(p.preemptions, 0) << swap;
    expect_conserved(p, jobs);
  }
}

TEST(Batching, PagedAdmissionFailsOnlyWhatCanNeverFit) {
  const auto m = llama8b();
  const auto d = a100();
  Engine e;
  LatencyModel lat(m, d, nullptr);
  BatchingConfig cfg{256, 0, 3000 * m.kv_bytes_per_token(), 0};
  cfg.paged = true;
  BatchingReplica r(e, m, d, lat, cfg);
  // 2,990 tokens round up to 2,992 (187 blocks of 16) and fit; 2,995 round up to 3,008 and do not.
  const auto gs = serve(r, e, {{2900, 90, 0}, {2900, 95, 0}});
  EXPECT_FALSE(gs[0].failed);
  EXPECT_TRUE(gs[1].failed);
  EXPECT_EQ(r.preemptions(), 0);
}

namespace {

struct Served {
  std::vector<Generation> gens;
  std::vector<double> watts;  // watts_now() sampled every 0.7 ms
  std::int64_t iterations = 0, tokens = 0;
  double busy_s = 0, busy_j = 0;
  std::uint64_t events = 0;
};

Task<void> sampler(Engine& e, BatchingReplica& r, std::vector<double>& out, int n) {
  for (int i = 0; i < n; ++i) {
    co_await e.delay(700'000);
    out.push_back(r.watts_now());
  }
}

// Staggered arrivals of mixed sizes into a small batch and a tight KV cache: arrivals land
// inside decode spans (cuts), while the batch is full and while the queue head waits for
// memory.
Served serve_mixed(bool coalesce) {
  const auto m = llama8b();
  const auto d = a100();
  Engine e;
  LatencyModel lat(m, d, nullptr);
  BatchingConfig cfg{6, 0, 0.3e9, 0};
  cfg.coalesce_decode = coalesce;
  BatchingReplica r(e, m, d, lat, cfg);
  std::vector<Job> jobs;
  for (int i = 0; i < 60; ++i)
    jobs.push_back({100 + (i * 37) % 400, 5 + (i * 53) % 90, static_cast<SimTime>(i) * 3'100'000 + (i % 7) * 123'457});
  Served s;
  s.gens.resize(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) e.spawn(client(e, r, jobs[i], s.gens[i]));
  e.spawn(sampler(e, r, s.watts, 1500));  // 1,500 events
  e.run();
  s.iterations = r.iterations();
  s.tokens = r.tokens_generated();
  s.busy_s = r.busy_seconds();
  s.busy_j = r.busy_energy();
  s.events = e.events_processed();
  return s;
}

}  // namespace

TEST(Batching, CoalescedDecodeMatchesOneEventPerStep) {
  const Served one = serve_mixed(false), co = serve_mixed(true);
  ASSERT_EQ(one.gens.size(), co.gens.size());
  int waited = 0;
  for (std::size_t i = 0; i < one.gens.size(); ++i) {
    const Generation &a = one.gens[i], &b = co.gens[i];
    EXPECT_FALSE(a.failed);
    EXPECT_EQ(a.start, b.start) << i;
    EXPECT_EQ(a.first_token, b.first_token) << i;
    EXPECT_EQ(a.end, b.end) << i;
    EXPECT_NEAR(b.energy, a.energy, 1e-12 * a.energy) << i;
    EXPECT_NEAR(b.device_time, a.device_time, 1e-12 * a.device_time) << i;
    waited += a.start > a.queued ? 1 : 0;
  }
  EXPECT_GT(waited, 5);  // the batch or the KV cache was full on arrival
  EXPECT_EQ(one.iterations, co.iterations);
  EXPECT_EQ(one.tokens, co.tokens);
  EXPECT_EQ(one.busy_s, co.busy_s);  // summed step by step in both
  EXPECT_EQ(one.busy_j, co.busy_j);
  EXPECT_EQ(one.watts, co.watts);    // power of the step under way, sampled mid-span
  // The replica's own events (the sampler's 1,500 are common to both): less than half.
  EXPECT_LT((co.events - 1500) * 2, one.events - 1500);
}

namespace {

Task<void> ordered_client(Engine& e, BatchingReplica& r, Job j, Generation& out, std::vector<int>& order, int id) {
  co_await e.until(j.at);
  out = co_await r.generate(j.prompt, j.output);
  order.push_back(id);
}

}  // namespace

// A full batch with a waiting queue: only the sequences that prefill, start or finish are
// visited each iteration; decoders in between advance through counters. Sequences finishing
// in the same iteration must still complete in admission order, and prompts or outputs of
// 0 and 1 tokens (a decoder before its first token, a sequence that never decodes) must
// conserve tokens and energy.
TEST(Batching, FullBatchCompletesInAdmissionOrderAndConservesTokensAndEnergy) {
  const auto m = llama8b();
  const auto d = a100();
  Engine e;
  LatencyModel lat(m, d, nullptr);
  BatchingReplica r(e, m, d, lat, BatchingConfig{4, 0, 20e9, 0});
  std::vector<Job> jobs;
  const std::int64_t outputs[] = {6, 3, 6, 3, 0, 1, 9, 3, 3, 1, 0, 7, 2, 3, 3, 3};
  for (int i = 0; i < 16; ++i) jobs.push_back(Job{i % 5 == 4 ? 0 : 100 + 50 * (i % 2), outputs[i], (i / 8) * 30'000'000LL});
  std::vector<Generation> gs(jobs.size());
  std::vector<int> order;
  for (std::size_t i = 0; i < jobs.size(); ++i) e.spawn(ordered_client(e, r, jobs[i], gs[i], order, static_cast<int>(i)));
  e.run();
  ASSERT_EQ(order.size(), jobs.size());
  std::int64_t tokens = 0;
  double energy = 0, time = 0;
  int shared_end = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const Generation& g = gs[order[k]];
    EXPECT_FALSE(g.failed) << order[k];
    EXPECT_LE(g.start, g.first_token) << order[k];
    EXPECT_LE(g.first_token, g.end) << order[k];
    if (jobs[order[k]].output > 1) EXPECT_LT(g.first_token, g.end) << order[k];
    if (k > 0) {
      const Generation& p = gs[order[k - 1]];
      EXPECT_LE(p.end, g.end) << "completions in time order";
      if (p.end == g.end) {
        ++shared_end;
        EXPECT_LT(p.start, g.start + 1) << "same iteration: admission order";
        if (p.start == g.start) EXPECT_LT(order[k - 1], order[k]) << "admitted together: FCFS order";
      }
    }
    tokens += jobs[order[k]].output;
    energy += g.energy;
    time += g.device_time;
  }
  EXPECT_GE(shared_end, 3);  // several iterations finish more than one sequence
  EXPECT_EQ(r.tokens_generated(), tokens);
  EXPECT_EQ(r.max_batch_seen(), 4u);
  EXPECT_NEAR(energy / r.busy_energy(), 1.0, 1e-12);
  EXPECT_NEAR(time / r.busy_seconds(), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.kv_used(), 0.0);
}
