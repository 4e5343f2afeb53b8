// Power model (DeviceSpec::activity/power/step: utilisation-dependent busy power, power
// cap), per-phase power of batching iterations, and autoscaling of a batching pool: replica
// count follows a step in load, no request is dropped, a stopped replica draws no power,
// energy by state adds up. docs/ENERGY.md.
#include <gtest/gtest.h>

#include <cmath>

#include <vector>

#include "sim/core/engine.hpp"
#include "sim/hardware/batching_pool.hpp"
#include "sim/hardware/batching_replica.hpp"
#include "sim/hardware/roofline.hpp"

using namespace collabsim;

namespace {

ModelCard llama70b() {  // Llama-3.1-70B architecture (models/llms/llama-3.1-70b.toml)
  ModelCard m;
  m.params = m.active_params = 70.6e9;
  m.layers = 80;
  m.hidden = 8192;
  m.heads = 64;
  m.kv_heads = 8;
  m.head_dim = 128;
  m.bytes_per_param = 2;
  m.kv_bytes_per_element = 2;
  return m;
}

DeviceSpec h100x4() {  // models/devices/h100_sxm.toml, 4 accelerators per replica
  DeviceSpec d;
  d.peak_flops = 989e12;
  d.memory_bandwidth = 3.35e12;
  d.memory = 80e9;
  d.busy_power = 700;
  d.idle_power = 70;
  d.compute_efficiency = 0.5;
  d.memory_efficiency = 0.8;
  d.accelerators = 4;
  d.power_model = PowerModel::utilisation;
  d.power_compute_weight = 3.52;
  d.power_memory_weight = 1.00;
  return d;
}

struct Job {
  std::int64_t prompt, output;
  SimTime at;
};

template <class S>
Task<void> client(Engine& e, S& server, Job j, Generation& out) {
  co_await e.until(j.at);
  out = co_await server.generate(j.prompt, j.output, 0);
}

}  // namespace

TEST(Power, ConstantModelDrawsBusyPowerWhateverTheWork) {
  DeviceSpec d = h100x4();
  d.power_model = PowerModel::constant;
  EXPECT_DOUBLE_EQ(d.step(1.0, 1.0, 1.0).watts, 2800.0);
  EXPECT_DOUBLE_EQ(d.step(1e15, 1e12, 1.0).watts, 2800.0);
}

TEST(Power, UtilisationModelFollowsTheFormula) {
  const DeviceSpec d = h100x4();
  // 1 s with 10% of peak FLOPs and 40% of peak bytes: α = 3.52·0.1 + 1.0·0.4 = 0.752.
  const double flops = 0.1 * 989e12 * 4, bytes = 0.4 * 3.35e12 * 4;
  EXPECT_NEAR(d.activity(flops, bytes, 1.0), 0.752, 1e-12);
  EXPECT_NEAR(d.step(flops, bytes, 1.0).watts, 4 * (70 + 0.752 * 630), 1e-9);
  EXPECT_DOUBLE_EQ(d.step(flops, bytes, 1.0).seconds, 1.0);
  // Saturates at busy power; an empty step draws idle power.
  EXPECT_DOUBLE_EQ(d.step(10 * flops, bytes, 1.0).watts, 2800.0);
  EXPECT_DOUBLE_EQ(d.step(0, 0, 1.0).watts, 280.0);
  EXPECT_DOUBLE_EQ(d.power(0.5), 4 * (70 + 0.5 * 630));
  EXPECT_DOUBLE_EQ(d.power(2.0), 2800.0);  // activity clamped to [0, 1]
}

TEST(Power, KvTrafficWeightAddsItsShareOfTheBandwidthAndZeroChangesNothing) {
  DeviceSpec d = h100x4();
  // 1 s, 10% of peak FLOPs, 40% of peak bytes of which a quarter (10% of peak) is KV cache.
  const double flops = 0.1 * 989e12 * 4, bytes = 0.4 * 3.35e12 * 4, kv = 0.1 * 3.35e12 * 4;
  const double tp = d.tp_activity_divisor();
  EXPECT_EQ(d.activity(flops, bytes, 1.0, tp, kv), d.activity(flops, bytes, 1.0));  // b_kv = 0: bit-identical
  d.power_kv_weight = 0.5;  // α = 3.52·0.1 + 1.0·0.4 + 0.5·0.1 = 0.802
  EXPECT_NEAR(d.activity(flops, bytes, 1.0, tp, kv), 0.802, 1e-12);
  EXPECT_NEAR(d.step(flops, bytes, 1.0, tp, kv).watts, 4 * (70 + 0.802 * 630), 1e-9);
  EXPECT_NEAR(d.activity(flops, bytes, 1.0), 0.752, 1e-12);  // no KV bytes given: no KV term
  // The roofline counts: a decode step's KV share is its context's KV bytes, the rest weights.
  const ModelCard m = llama70b();
  const StepWork w = decode_work(m, 2048, 1);
  EXPECT_DOUBLE_EQ(w.kv_bytes, m.kv_bytes_per_token() * 2048);
  EXPECT_DOUBLE_EQ(w.bytes - w.kv_bytes, m.weight_bytes());
}

TEST(Power, PrefillDrawsMoreThanDecodeAsSplitwiseMeasures) {
  // Splitwise (ISCA 2024): the compute-bound prompt phase draws more than the
  // memory-bound token phase. On the roofline a memory-bound step has U_memory = η_m.
  const ModelCard m = llama70b();
  const DeviceSpec d = h100x4();
  const StepWork pre = prefill_work(m, 2048), dec = decode_work(m, 2048, 1);
  const double t_pre = prefill_time(m, d, 2048), t_dec = decode_step_time(m, d, 2048);
  const PowerDraw p_pre = d.step(pre.flops, pre.bytes, t_pre), p_dec = d.step(dec.flops, dec.bytes, t_dec);
  EXPECT_DOUBLE_EQ(p_pre.watts, d.busy_watts());  // compute-bound: U_c = η_c = 0.5, α = min(1, 1.76 + …)
  EXPECT_LT(p_dec.watts, 0.9 * d.busy_watts());
  EXPECT_GT(p_dec.watts, d.idle_watts());
  // Batch-1 decode: U_m = η_m (0.8) plus a little compute.
  EXPECT_NEAR(d.activity(dec.flops, dec.bytes, t_dec), 0.8 + 3.52 * dec.flops / (989e12 * 4 * t_dec), 1e-9);
}

TEST(Power, CapClampsPowerAndStretchesOnlyStepsAboveIt) {
  DeviceSpec d = h100x4();
  d.power_cap = 490;  // 70% of TDP per accelerator
  EXPECT_DOUBLE_EQ(d.cap_watts(), 4 * 490.0);
  // A saturated step (α = 1) runs at the cap, stretched by (700 − 70)/(490 − 70) = 1.5.
  const PowerDraw hot = d.step(0.5 * 989e12 * 4, 0, 1.0);
  EXPECT_DOUBLE_EQ(hot.watts, 4 * 490.0);
  EXPECT_NEAR(hot.seconds, 630.0 / 420.0, 1e-12);
  // A step below the cap is untouched.
  const PowerDraw cool = d.step(0, 0.3 * 3.35e12 * 4, 1.0);
  EXPECT_NEAR(cool.watts, 4 * (70 + 0.3 * 630), 1e-9);
  EXPECT_DOUBLE_EQ(cool.seconds, 1.0);
  // Energy of the capped step: cap × stretched time = the uncapped dynamic work + idle × time.
  EXPECT_NEAR(hot.watts * hot.seconds, 4 * (70 * hot.seconds + 630 * 1.0), 1e-9);
}

TEST(Power, CapSlowsAPromptHeavyRequestAndChargesCapPower) {
  const ModelCard m = llama70b();
  DeviceSpec free_dev = h100x4(), capped = h100x4();
  capped.power_cap = 490;
  auto one = [&](const DeviceSpec& d) {
    Engine e;
    LatencyModel lat(m, d, nullptr);
    BatchingReplica r(e, m, d, lat, BatchingConfig{256, 0, 1e12, 0});
    Generation g;
    e.spawn(client(e, r, Job{4096, 1, 0}, g));
    e.run();
    return g;
  };
  const Generation a = one(free_dev), b = one(capped);
  EXPECT_NEAR(to_seconds(b.end - b.start) / to_seconds(a.end - a.start), 1.5, 1e-6);
  EXPECT_NEAR(b.energy / b.device_time, 4 * 490.0, 1e-6);
}

TEST(Power, ReplicaEnergyIsThePowerIntegralAndBatchRaisesPower) {
  const ModelCard m = llama70b();
  const DeviceSpec d = h100x4();
  auto run = [&](int n) {
    Engine e;
    LatencyModel lat(m, d, nullptr);
    BatchingReplica r(e, m, d, lat, BatchingConfig{256, 0, 1e12, 0});
    std::vector<Generation> gs(n);
    for (int i = 0; i < n; ++i) e.spawn(client(e, r, Job{64, 400, 0}, gs[i]));
    e.run();
    double attributed = 0;
    for (const auto& g : gs) attributed += g.energy;
    EXPECT_NEAR(attributed / r.busy_energy(), 1.0, 1e-12);
    EXPECT_GT(r.busy_energy(), d.idle_watts() * r.busy_seconds());
    EXPECT_LE(r.busy_energy(), d.busy_watts() * r.busy_seconds() * (1 + 1e-12));
    return r.busy_energy() / r.busy_seconds();  // mean W while busy
  };
  // ML.ENERGY v3: power rises with batch size (decode: U_compute grows with the batch):
  // batch 1 α ≈ 0.80, batch 8 α ≈ 0.88 → ≈ 185 W more on 4 accelerators; batch 64 saturates.
  const double w1 = run(1), w8 = run(8), w64 = run(64);
  EXPECT_GT(w8, w1 + 100.0);
  EXPECT_GT(w64, w8);
  EXPECT_LT(w1, 0.85 * d.busy_watts());
}

namespace {

struct PoolRig {
  ModelCard m = llama70b();
  DeviceSpec d = h100x4();
  Engine e;
  std::unique_ptr<LatencyModel> lat;
  std::unique_ptr<BatchingPool> pool;
  PoolRig(int replicas, AutoscaleConfig as) {
    d.replicas = replicas;
    d.standby_power = 0;
    lat = std::make_unique<LatencyModel>(m, d, nullptr);
    pool = std::make_unique<BatchingPool>(e, m, d, *lat, BatchingConfig{256, 8192, 140e9, 0},
                                          std::make_unique<LeastLoaded>(), as);
  }
};

AutoscaleConfig scaling() {
  AutoscaleConfig as;
  as.on = true;
  as.min_replicas = 1;
  as.interval = 5;
  as.up = 16;
  as.down = 4;
  as.cold_start = 20;  // 141 GB at 7 GB/s
  return as;
}

int up_replicas(const BatchingPool& p) { return p.load().up_replicas; }

Task<void> probe(Engine& e, const BatchingPool& p, SimTime at, int& out) {
  co_await e.until(at);
  out = up_replicas(p);
}

}  // namespace

TEST(Autoscale, ReplicaCountFollowsAStepInLoadAndNoRequestIsDropped) {
  PoolRig rig(4, scaling());
  // Light load (1 request / 10 s) for 200 s, heavy load (10 / s) from 200 s to 400 s,
  // light again to 1,000 s.
  std::vector<Job> jobs;
  for (SimTime t = 0; t < 200'000'000'000LL; t += 10'000'000'000LL) jobs.push_back({500, 200, t});
  for (SimTime t = 200'000'000'000LL; t < 400'000'000'000LL; t += 100'000'000LL) jobs.push_back({500, 200, t});
  for (SimTime t = 400'000'000'000LL; t < 1'000'000'000'000LL; t += 10'000'000'000LL) jobs.push_back({500, 200, t});
  std::vector<Generation> gs(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) rig.e.spawn(client(rig.e, *rig.pool, jobs[i], gs[i]));
  int before = 0, during = 0, after = 0;
  rig.e.spawn(probe(rig.e, *rig.pool, 190'000'000'000LL, before));
  rig.e.spawn(probe(rig.e, *rig.pool, 390'000'000'000LL, during));
  rig.e.spawn(probe(rig.e, *rig.pool, 900'000'000'000LL, after));
  rig.e.run();
  EXPECT_EQ(before, 1);
  EXPECT_GE(during, 3);
  EXPECT_EQ(after, 1);
  EXPECT_GT(rig.pool->scale_ups(), 0);
  EXPECT_EQ(rig.pool->scale_downs(), rig.pool->scale_ups());
  for (const auto& g : gs) {
    ASSERT_FALSE(g.failed);
    ASSERT_GE(g.end, g.queued);
    ASSERT_EQ(g.output_tokens, 200);
  }
  // A started replica serves nothing before its cold start ends: each replica's first
  // admission beyond replica 0 comes ≥ 20 s after the load step.
  for (const auto& g : gs)
    if (g.replica > 0) ASSERT_GE(g.start, 200'000'000'000LL + from_seconds(20.0));
}

TEST(Autoscale, EnergyByStateAddsUpAndAStoppedReplicaDrawsNothing) {
  PoolRig rig(3, scaling());
  std::vector<Job> jobs;
  for (SimTime t = 0; t < 100'000'000'000LL; t += 50'000'000LL) jobs.push_back({300, 100, t});
  std::vector<Generation> gs(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) rig.e.spawn(client(rig.e, *rig.pool, jobs[i], gs[i]));
  int up_at_end = -1;
  double power_at_end = -1;
  rig.e.run();
  const double horizon = to_seconds(rig.e.now());
  up_at_end = up_replicas(*rig.pool);
  power_at_end = rig.pool->load().power_w;
  // After the work: one replica up and idle, the others stopped and drawing 0 W.
  EXPECT_EQ(up_at_end, 1);
  EXPECT_DOUBLE_EQ(power_at_end, rig.d.idle_watts());
  const ReplicaTime t = rig.pool->replica_time(horizon);
  EXPECT_GT(t.stopped_s, 0.0);
  EXPECT_GT(t.starting_s, 0.0);
  // Replica-seconds are conserved: every replica is in exactly one state at every instant.
  EXPECT_NEAR(t.up_s + t.starting_s + t.stopped_s, 3 * horizon, 1e-6);
  // Busy time lies inside up time, and attributed energy is the replicas' integral.
  EXPECT_LE(rig.pool->busy_seconds(), t.up_s + 1e-9);
  double attributed = 0, replica_j = 0;
  for (const auto& g : gs) attributed += g.energy;
  for (const auto& r : rig.pool->replicas()) replica_j += r->busy_energy();
  EXPECT_NEAR(attributed / replica_j, 1.0, 1e-12);
  // With standby power the stopped replicas would draw standby_watts × stopped time.
  EXPECT_DOUBLE_EQ(rig.d.standby_watts() * t.stopped_s, 0.0);
}

TEST(Autoscale, FixedProvisioningIsUnchangedByTheAutoscaler) {
  // The same jobs on a fixed pool and on an autoscaled pool whose min = all replicas give
  // identical generations (the autoscaler never acts).
  AutoscaleConfig as = scaling();
  as.min_replicas = 2;
  PoolRig fixed(2, AutoscaleConfig{}), scaled(2, as);
  std::vector<Job> jobs;
  for (int i = 0; i < 200; ++i) jobs.push_back({200 + 13 * i, 50 + i % 40, i * 37'000'000LL});
  std::vector<Generation> a(jobs.size()), b(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    fixed.e.spawn(client(fixed.e, *fixed.pool, jobs[i], a[i]));
    scaled.e.spawn(client(scaled.e, *scaled.pool, jobs[i], b[i]));
  }
  fixed.e.run();
  scaled.e.run();
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    ASSERT_EQ(a[i].end, b[i].end);
    ASSERT_EQ(a[i].energy, b[i].energy);
    ASSERT_EQ(a[i].replica, b[i].replica);
  }
  EXPECT_EQ(scaled.pool->scale_ups(), 0);
}

TEST(Power, StaticActivityComputeExponentAndTensorParallelDerate) {
  // vLLM 0.11 form (docs/ENERGY.md): α = min(1, (c + a·U_c^γ + b·U_m) / k^δ).
  DeviceSpec d = h100x4();
  d.power_compute_weight = 0.8;
  d.power_memory_weight = 0.1;
  d.power_static_activity = 0.5;
  d.power_compute_exponent = 0.5;
  d.power_tp_exponent = 0.1;
  const double flops = 0.16 * 989e12 * 4, bytes = 0.3 * 3.35e12 * 4;  // U_c = 0.16, U_m = 0.3
  const double want = (0.5 + 0.8 * 0.4 + 0.1 * 0.3) / std::pow(4.0, 0.1);
  EXPECT_NEAR(d.activity(flops, bytes, 1.0), want, 1e-12);
  // One accelerator: no derate; the same work over 4× the hardware is a quarter of the U.
  d.accelerators = 1;
  EXPECT_NEAR(d.activity(flops / 4, bytes / 4, 1.0), 0.5 + 0.8 * 0.4 + 0.1 * 0.3, 1e-12);
  // A step with no work still draws the static part.
  EXPECT_NEAR(d.activity(0, 0, 1.0), 0.5, 1e-12);
}
