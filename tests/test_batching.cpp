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
