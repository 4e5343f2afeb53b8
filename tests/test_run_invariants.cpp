// Whole-run invariants on the default scenario variants: energy conservation per device,
// outages lose no request (answered + failed + timed out = all), rate scaling.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "sim/core/error.hpp"
#include "sim/study/run_scenario.hpp"
#include "sim/scenario/scenario.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

RunOutput run(const TempDir& d, const std::string& name, std::vector<std::string> sets) {
  return run_scenario_file(d, source_dir() / "scenarios" / "edge_cloud_cascade.toml", name, std::move(sets));
}

double sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

}  // namespace

TEST(RunInvariants, AttributedEnergyEqualsEachDevicesBusyEnergy) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto o = run(d, "energy", {"mechanism.name=random", "workload.limit=3000"});
  for (const char* dev : {"phone", "cloud"}) {
    const double attributed = sum(read_column<double>(o.file, "requests", std::string("energy_") + dev + "_j"));
    const double busy = read_column<double>(o.file, std::string("devices/") + dev + "/summary", "busy_energy_j")[0];
    EXPECT_GT(busy, 0.0) << dev;
    EXPECT_NEAR(attributed / busy, 1.0, 1e-9) << dev;
  }
  // Busy + idle energy of the shared cloud = ∫ power dt over the run: busy energy between
  // idle and busy power × busy time (utilisation model), idle_power·k·(replicas·makespan − busy_s),
  // and the sampled power timeline integrates to busy + idle.
  const double busy_s = read_column<double>(o.file, "devices/cloud/summary", "busy_s")[0];
  const double idle_j = read_column<double>(o.file, "devices/cloud/summary", "idle_energy_j")[0];
  const double busy_j = read_column<double>(o.file, "devices/cloud/summary", "busy_energy_j")[0];
  const double k = 4, replicas = 2;
  EXPECT_LT(busy_j, 700.0 * k * busy_s);
  EXPECT_GT(busy_j, 70.0 * k * busy_s);
  EXPECT_NEAR(idle_j, 70.0 * k * (replicas * o.s.makespan_s - busy_s), 1e-6 * std::max(idle_j, 1.0));
  const auto power = read_column<double>(o.file, "devices/cloud/timeline", "power_w");
  const auto t = read_column<double>(o.file, "devices/cloud/timeline", "time_s");
  double integral = 0;
  for (std::size_t i = 0; i + 1 < t.size(); ++i) integral += power[i] * (t[i + 1] - t[i]);
  EXPECT_NEAR(integral / (busy_j + idle_j), 1.0, 0.02);
  // Request totals: energy_j = Σ devices + radio.
  const auto total = read_column<double>(o.file, "requests", "energy_j");
  const auto phone = read_column<double>(o.file, "requests", "energy_phone_j");
  const auto cloud = read_column<double>(o.file, "requests", "energy_cloud_j");
  const auto radio = read_column<double>(o.file, "requests", "energy_radio_j");
  double battery = 0;
  for (std::size_t i = 0; i < total.size(); ++i) {
    ASSERT_NEAR(total[i], phone[i] + cloud[i] + radio[i], 1e-9 * total[i]);
    battery += (phone[i] + radio[i]) / (12.7 * 3600.0);  // iPhone card: 12.7 Wh
  }
  EXPECT_GT(read_column<double>(o.file, "summary", "radio_energy_per_request_j")[0], 0.0);
  EXPECT_NEAR(read_column<double>(o.file, "summary", "battery_share_per_request")[0], battery / total.size(),
              1e-12);
}

TEST(RunInvariants, OutagesLoseNoRequest) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const std::vector<std::string> outage = {"links.cellular.mtbf=\"120 s\"", "links.cellular.mttr=\"30 s\"",
                                           "workload.timeout=\"20 s\"", "workload.limit=4000"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), outage.begin(), outage.end());
    return extra;
  };
  const auto large = run(d, "large", with({"mechanism.name=large_only"}));
  EXPECT_EQ(large.s.n_requests, 4000);
  EXPECT_GT(large.s.n_timed_out, 0) << "30 s outages with a 20 s timeout must time some requests out";
  EXPECT_EQ(large.s.n_ok + large.s.n_failed + large.s.n_timed_out + large.s.n_context_exceeded, large.s.n_requests);
  const auto status = read_column<std::int64_t>(large.file, "requests", "status");
  std::int64_t timed_out = 0;
  for (auto st : status) timed_out += st == 2;
  EXPECT_EQ(timed_out, large.s.n_timed_out);

  const auto fb = run(d, "fallback", with({"mechanism.name=offline_fallback"}));
  EXPECT_EQ(fb.s.n_requests, 4000);
  // Every request is answered but those beyond the phone's 4k window that arrive while the
  // link is down (the LLM is out of reach, the SLM refuses them: context_exceeded).
  EXPECT_EQ(fb.s.n_ok + fb.s.n_context_exceeded, 4000) << "offline_fallback answers every request it can hold";
  EXPECT_EQ(fb.s.n_timed_out + fb.s.n_failed, 0);
  EXPECT_GT(read_column<double>(fb.file, "mechanism", "fallbacks_link_down")[0], 0.0);
  EXPECT_GT(fb.s.quality_mean, 0.0);
}

TEST(RunInvariants, RateScaleCompressesArrivals) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto base = run(d, "x1", {"mechanism.name=large_only", "workload.limit=2000"});
  const auto fast = run(d, "x4", {"mechanism.name=large_only", "workload.limit=2000", "workload.rate_scale=4"});
  const auto a1 = read_column<double>(base.file, "requests", "arrival_s");
  const auto a4 = read_column<double>(fast.file, "requests", "arrival_s");
  ASSERT_EQ(a1.size(), a4.size());
  EXPECT_NEAR(a4.back() * 4, a1.back(), 1e-6);
  EXPECT_GT(fast.s.latency_p99_s, base.s.latency_p99_s) << "4× the load must not be faster";
}

TEST(RunInvariants, TimeWindowReplaysExactlyTheRequestsArrivingInIt) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto full = run(d, "full", {"mechanism.name=small_only", "run.sample_interval=\"0 s\""});
  const auto win = run(d, "win", {"mechanism.name=small_only", "run.sample_interval=\"0 s\"", "workload.start=\"600 s\"",
                                  "workload.end=\"20 min\""});
  const auto all = read_column<double>(full.file, "requests", "arrival_s");
  const auto got = read_column<double>(win.file, "requests", "arrival_s");
  std::vector<double> want;
  for (double a : all)
    if (a >= 600.0 && a < 1200.0) want.push_back(a - 600.0);  // re-based: the window starts at 0
  ASSERT_GT(want.size(), 1000u);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-6) << i;
  // The same prompts, in the same order.
  const auto p_all = read_column<double>(full.file, "requests", "prompt_tokens");
  const auto p_win = read_column<double>(win.file, "requests", "prompt_tokens");
  std::size_t first = 0;
  while (all[first] < 600.0) ++first;
  for (std::size_t i = 0; i < p_win.size(); ++i) ASSERT_EQ(p_win[i], p_all[first + i]) << i;
  // An empty window and a reversed one are input errors naming the key.
  auto error_of = [&](std::vector<std::string> sets) {
    try {
      run(d, "bad", std::move(sets));
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of({"workload.start=\"2 h\""}).find("workload.start"), std::string::npos);
  EXPECT_NE(error_of({"workload.start=\"10 min\"", "workload.end=\"5 min\""}).find("workload.end"), std::string::npos);
}

TEST(RunInvariants, TimelinesRespectBatchKvAndPowerLimits) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto o = run(d, "timeline", {"mechanism.name=large_only", "workload.rate_scale=4", "workload.limit=6000"});
  const auto t = read_column<double>(o.file, "devices/cloud/timeline", "time_s");
  const auto running = read_column<double>(o.file, "devices/cloud/timeline", "running");
  const auto waiting = read_column<double>(o.file, "devices/cloud/timeline", "waiting");
  const auto kv = read_column<double>(o.file, "devices/cloud/timeline", "kv_used_bytes");
  const auto power = read_column<double>(o.file, "devices/cloud/timeline", "power_w");
  ASSERT_GT(t.size(), 100u);
  EXPECT_NEAR(t[1] - t[0], 1.0, 1e-9);
  // KV capacity per replica: 4 × 80 GB × 0.9 − 141.2 GB of weights; 2 replicas.
  const double kv_cap = 2 * (4 * 80e9 * 0.9 - 141.2e9);
  double max_running = 0, max_waiting = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    ASSERT_LE(running[i], 2 * 256);
    ASSERT_LE(kv[i], kv_cap * (1 + 1e-12));
    ASSERT_GE(power[i], 2 * 4 * 70.0 - 1e-9);
    ASSERT_LE(power[i], 2 * 4 * 700.0 + 1e-9);
    max_running = std::max(max_running, running[i]);
    max_waiting = std::max(max_waiting, waiting[i]);
  }
  EXPECT_GT(max_running, 50) << "4× load must batch many sequences";
  EXPECT_GT(max_waiting, 0) << "and queue behind the KV-cache limit";
  const auto up = read_column<double>(o.file, "links/cellular/timeline", "bytes_up");
  double up_sum = 0;
  for (double b : up) up_sum += b;
  EXPECT_NEAR(up_sum, o.s.bytes_up_per_request * o.s.n_requests, 1e-6 * up_sum);
}

TEST(RunInvariants, SloAttainmentAndGoodputRecomputeFromRequests) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const std::vector<std::string> base = {"mechanism.name=cascade", "workload.limit=2000"};
  const auto none = run(d, "no_slo", base);
  EXPECT_TRUE(std::isnan(none.s.slo_attainment)) << "no [slo] target: attainment is not applicable";
  EXPECT_TRUE(std::isnan(none.s.goodput_rps));

  auto sets = base;
  sets.push_back("slo.ttft=\"2 s\"");
  sets.push_back("slo.tpot=\"60 ms\"");
  const auto o = run(d, "slo", sets);
  const auto status = read_column<std::int64_t>(o.file, "requests", "status");
  const auto ttft = read_column<double>(o.file, "requests", "ttft_s");
  const auto tpot = read_column<double>(o.file, "requests", "tpot_s");
  std::int64_t met = 0, one_piece = 0;
  for (std::size_t i = 0; i < status.size(); ++i) {
    if (status[i] != 0) continue;
    if (std::isnan(tpot[i])) ++one_piece;
    if (ttft[i] <= 2.0 && (std::isnan(tpot[i]) || tpot[i] <= 0.060)) ++met;
  }
  ASSERT_GT(met, 0);
  ASSERT_LT(met, o.s.n_ok) << "the targets must separate requests for the test to mean anything";
  ASSERT_GT(one_piece, 0);
  EXPECT_DOUBLE_EQ(o.s.slo_attainment, static_cast<double>(met) / static_cast<double>(o.s.n_requests));
  EXPECT_DOUBLE_EQ(o.s.goodput_rps, static_cast<double>(met) / o.s.makespan_s);
  EXPECT_DOUBLE_EQ(read_column<double>(o.file, "summary", "slo_attainment")[0], o.s.slo_attainment);
  // The targets change no other result.
  EXPECT_EQ(o.s.latency_p99_s, none.s.latency_p99_s);
  EXPECT_EQ(o.s.quality_mean, none.s.quality_mean);

  // A looser TTFT target can only raise attainment.
  sets[2] = "slo.ttft=\"20 s\"";
  EXPECT_GT(run(d, "loose", sets).s.slo_attainment, o.s.slo_attainment);
}

// Privacy accounting for every shipped mechanism: with 30% of each prompt private, no
// request sends more private tokens than tokens it sent up, a request that sent nothing up
// sent no private token, and the mechanisms that claim to keep the private context on the
// device (small_only, pipeline de-identification, the CoGenesis sketch) send none.
TEST(RunInvariants, PrivateTokensNeverExceedWhatWentUpAndPrivacyClaimsHold) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  int checked = 0;
  for (const auto& e : fs::directory_iterator(source_dir() / "scenarios")) {
    if (e.path().extension() != ".toml") continue;
    const std::string name = e.path().stem().string();
    const auto o = run_scenario_file(d, e.path(), name, {"workload.limit=300", "workload.private_share=0.3"});
    const auto up = read_column<std::int64_t>(o.file, "requests", "bytes_up");
    const auto priv = read_column<std::int64_t>(o.file, "requests", "private_tokens_sent");
    const auto prompt = read_column<std::int64_t>(o.file, "requests", "prompt_tokens");
    for (std::size_t i = 0; i < up.size(); ++i) {
      ASSERT_LE(4 * priv[i], up[i]) << name << " request " << i << ": more private tokens than tokens sent up";
      if (up[i] == 0) ASSERT_EQ(priv[i], 0) << name << " request " << i;
      ASSERT_GE(priv[i], 0) << name;
      (void)prompt;
    }
    if (name == "privacy_deidentify" || name == "cogenesis_sketch" || name == "personal_knowledge_base" ||
        name == "personal_writing_assistant")
      EXPECT_EQ(o.s.private_tokens_per_request, 0.0) << name << " claims no private token leaves the device";
    ++checked;
  }
  EXPECT_GE(checked, 18);
  const auto small = run(d, "small", {"mechanism.name=small_only", "workload.limit=300", "workload.private_share=0.3"});
  EXPECT_EQ(small.s.private_tokens_per_request, 0.0);
  const auto large = run(d, "large", {"mechanism.name=large_only", "workload.limit=300", "workload.private_share=0.3"});
  EXPECT_GT(large.s.private_tokens_per_request, 0.0);
}

// Background work (distillation's labelling jobs) outlives the last answer: the devices are
// accounted up to its end, so utilisation stays ≤ 1 and busy + idle time = replicas × span.
TEST(RunInvariants, BackgroundWorkIsAccountedUpToItsEnd) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto o = run_scenario_file(d, source_dir() / "scenarios" / "distillation_student.toml", "distil",
                                   {"workload.limit=300"});
  const double job_end = read_column<double>(o.file, "mechanism", "label_job_end_s")[0];
  ASSERT_GT(job_end, o.s.makespan_s) << "the case needs a job that outlives the answers";
  const double util = read_column<double>(o.file, "devices/cloud/summary", "utilisation")[0];
  const double busy_s = read_column<double>(o.file, "devices/cloud/summary", "busy_s")[0];
  EXPECT_LE(util, 1.0 + 1e-12);
  EXPECT_NEAR(util, busy_s / (2.0 * job_end), 1e-12);
}

TEST(RunInvariants, AutoscalingDropsNoRequestAndConservesEnergy) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const std::vector<std::string> base = {"mechanism.name=large_only", "workload.limit=4000"};
  auto sets = base;
  sets.insert(sets.end(), {"deployments.llm.autoscale=true", "deployments.llm.autoscale_up=8",
                           "deployments.llm.autoscale_down=2", "devices.cloud.replicas=3",
                           "devices.cloud.standby_power=\"20 W\""});
  const auto o = run(d, "autoscale", sets);
  const auto fixed = run(d, "fixed", base);
  // Nothing dropped: every request answered, as with fixed provisioning.
  EXPECT_EQ(o.s.n_requests, fixed.s.n_requests);
  EXPECT_EQ(o.s.n_ok, o.s.n_requests);
  EXPECT_EQ(o.s.n_failed, 0);
  const std::string sum_path = "devices/cloud/summary";
  const double busy_j = read_column<double>(o.file, sum_path, "busy_energy_j")[0];
  const double idle_j = read_column<double>(o.file, sum_path, "idle_energy_j")[0];
  const double startup_j = read_column<double>(o.file, sum_path, "startup_energy_j")[0];
  const double standby_j = read_column<double>(o.file, sum_path, "standby_energy_j")[0];
  const double up_s = read_column<double>(o.file, sum_path, "up_replica_s")[0];
  const double busy_s = read_column<double>(o.file, sum_path, "busy_s")[0];
  // Per-device energy = Σ per-request energy + idle (+ cold starts + standby).
  EXPECT_NEAR(sum(read_column<double>(o.file, "requests", "energy_cloud_j")) / busy_j, 1.0, 1e-9);
  const double k = 4;
  EXPECT_NEAR(idle_j, 70.0 * k * (up_s - busy_s), 1e-6 * std::max(idle_j, 1.0));
  // Replica-seconds: up + starting + stopped = replicas × makespan.
  EXPECT_GT(startup_j, 0.0);
  EXPECT_GT(standby_j, 0.0);
  EXPECT_NEAR(up_s + startup_j / (70.0 * k) + standby_j / (20.0 * k), 3 * o.s.makespan_s, 1e-6 * o.s.makespan_s);
  // The sampled power timeline integrates to the four terms.
  const auto power = read_column<double>(o.file, "devices/cloud/timeline", "power_w");
  const auto t = read_column<double>(o.file, "devices/cloud/timeline", "time_s");
  const auto up = read_column<double>(o.file, "devices/cloud/timeline", "up_replicas");
  double integral = 0;
  for (std::size_t i = 0; i + 1 < t.size(); ++i) integral += power[i] * (t[i + 1] - t[i]);
  EXPECT_NEAR(integral / (busy_j + idle_j + startup_j + standby_j), 1.0, 0.03);
  EXPECT_EQ(*std::min_element(up.begin(), up.end()), 1.0);
  EXPECT_GT(*std::max_element(up.begin(), up.end()), 1.0);
  // Deterministic: the same scenario and seed give bit-identical rows.
  const auto again = run(d, "autoscale_again", sets);
  EXPECT_EQ(read_column<double>(again.file, "requests", "energy_j"), read_column<double>(o.file, "requests", "energy_j"));
  EXPECT_EQ(read_column<double>(again.file, "requests", "latency_s"), read_column<double>(o.file, "requests", "latency_s"));
}

// Average and marginal energy per request (docs/ENERGY.md): average = Σ request energy +
// the shared pools' unattributed energy, / n; marginal = average − what the pools draw with
// no traffic. For a fixed pool that is Σ energy_j − idle W × busy s (the traffic's energy
// above idle), written out here independently. Batch occupancy: sequence-seconds over the
// pool's slot-seconds, checked against the sampled timeline's running sequences.
TEST(RunInvariants, AverageAndMarginalEnergyAndBatchOccupancy) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto o = run(d, "fixed", {"mechanism.name=large_only", "workload.limit=3000"});
  const std::string dev = "devices/cloud/summary";
  const double n = static_cast<double>(o.s.n_requests);
  const double idle_w = 70.0 * 4, replicas = 2, slots = 256;  // H100 card: 70 W idle × 4 GPUs; max_batch 256
  const double busy_s = read_column<double>(o.file, dev, "busy_s")[0];
  const double idle_j = read_column<double>(o.file, dev, "idle_energy_j")[0];
  const double no_traffic = read_column<double>(o.file, dev, "no_traffic_energy_j")[0];
  const double energy = sum(read_column<double>(o.file, "requests", "energy_j"));
  EXPECT_NEAR(no_traffic, idle_w * replicas * o.s.makespan_s, 1e-9 * no_traffic);
  const double average = read_column<double>(o.file, "summary", "energy_average_per_request_j")[0];
  const double marginal = read_column<double>(o.file, "summary", "energy_marginal_per_request_j")[0];
  EXPECT_NEAR(average, (energy + idle_j) / n, 1e-9 * average);
  EXPECT_NEAR(marginal, (energy - idle_w * busy_s) / n, 1e-6 * marginal);
  EXPECT_LT(marginal, o.s.energy_per_request_j);  // the idle share of busy time is not the traffic's
  EXPECT_GT(marginal, 0.0);
  // Batch occupancy: exact from the replicas, and the sampled timeline's time average.
  EXPECT_EQ(read_column<double>(o.file, dev, "batch_capacity")[0], slots);
  const double occ = read_column<double>(o.file, dev, "batch_occupancy")[0];
  const double mean_batch = read_column<double>(o.file, dev, "mean_batch")[0];
  const double util = read_column<double>(o.file, dev, "utilisation")[0];
  EXPECT_NEAR(occ * slots * replicas * o.s.makespan_s, mean_batch * busy_s, 1e-9 * mean_batch * busy_s);
  EXPECT_GE(mean_batch, 1.0);
  EXPECT_LT(occ, util);  // busy replicas hold fewer than 256 sequences on average
  const auto t = read_column<double>(o.file, "devices/cloud/timeline", "time_s");
  const auto running = read_column<double>(o.file, "devices/cloud/timeline", "running");
  const auto share = read_column<double>(o.file, "devices/cloud/timeline", "batch_share");
  double seq_s = 0;
  for (std::size_t i = 0; i + 1 < t.size(); ++i) {
    seq_s += running[i] * (t[i + 1] - t[i]);
    ASSERT_DOUBLE_EQ(share[i], running[i] / (slots * replicas)) << i;
  }
  EXPECT_NEAR(seq_s / (slots * replicas * o.s.makespan_s) / occ, 1.0, 0.05);

  // Autoscaled (3 replicas, min 1, 20 W standby per GPU): without traffic one replica
  // idles and two stand by.
  const auto a = run(d, "autoscaled", {"mechanism.name=large_only", "workload.limit=3000",
                                       "deployments.llm.autoscale=true", "devices.cloud.replicas=3",
                                       "devices.cloud.standby_power=\"20 W\""});
  const double a_no_traffic = read_column<double>(a.file, dev, "no_traffic_energy_j")[0];
  EXPECT_NEAR(a_no_traffic, (idle_w + 2 * 20.0 * 4) * a.s.makespan_s, 1e-9 * a_no_traffic);
  double a_pool = 0;
  for (const char* c : {"busy_energy_j", "idle_energy_j", "startup_energy_j", "standby_energy_j"})
    a_pool += read_column<double>(a.file, dev, c)[0];
  const double a_phone = read_column<double>(a.file, "devices/phone/summary", "busy_energy_j")[0];
  const double a_radio = sum(read_column<double>(a.file, "requests", "energy_radio_j"));
  EXPECT_NEAR(read_column<double>(a.file, "summary", "energy_marginal_per_request_j")[0],
              (a_pool + a_phone + a_radio - a_no_traffic) / static_cast<double>(a.s.n_requests), 1e-6 * a_pool / 3000);
}

// Context windows (ModelCard::context_window): Phi-3-mini-4k holds 4,096 tokens. A 5k-token
// prompt is refused by the small model with status context_exceeded before anything is
// sent or computed (the default policy, as vLLM, llama.cpp and MLC refuse it); a cascade
// skips that stage and a router sends it to the 128k LLM. "ignore" is the explicit opt-out.
TEST(RunInvariants, ContextWindowRefusesOrRoutesAroundLongPrompts) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const fs::path trace = d.path / "long.csv";
  write_file(trace,
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-11-16 18:15:46.6805900,5000,100\n"   // 5,100 > 4,096: beyond Phi-3-mini-4k
             "2023-11-16 18:15:47.6805900,1000,100\n"   // fits
             "2023-11-16 18:15:48.6805900,3996,100\n"   // exactly 4,096: fits
             "2023-11-16 18:15:49.6805900,3997,100\n");  // 4,097: beyond
  const std::string t = "workload.trace=\"" + trace.string() + "\"";
  // "ignore" answers as if the window were not there (the behaviour before limits were on).
  EXPECT_EQ(run(d, "ignored", {t, "deployments.slm.context_policy=\"ignore\"", "mechanism.name=small_only"})
                .s.n_context_exceeded,
            0);
  const std::string fail = "deployments.slm.context_policy=\"fail\"";
  const auto small = run(d, "small", {t, "mechanism.name=small_only"});  // the default refuses
  EXPECT_EQ(small.s.n_requests, 4);
  EXPECT_EQ(small.s.n_context_exceeded, 2);
  EXPECT_EQ(small.s.n_ok + small.s.n_failed + small.s.n_timed_out + small.s.n_context_exceeded, small.s.n_requests);
  const auto status = read_column<std::int64_t>(small.file, "requests", "status");
  const auto energy = read_column<double>(small.file, "requests", "energy_j");
  const auto tokens = read_column<std::int64_t>(small.file, "requests", "tokens_slm");
  ASSERT_EQ(status, (std::vector<std::int64_t>{3, 0, 0, 3}));
  EXPECT_EQ(energy[0], 0.0) << "a refused request computes nothing";
  EXPECT_EQ(tokens[0], 0);
  EXPECT_EQ(read_column<double>(small.file, "requests", "quality")[0], 0.0);

  const auto cascade = run(d, "cascade", {t, fail, "mechanism.name=cascade"});
  EXPECT_EQ(cascade.s.n_context_exceeded, 0);
  EXPECT_EQ(cascade.s.n_ok, 4);
  const auto c_slm = read_column<std::int64_t>(cascade.file, "requests", "tokens_slm");
  const auto c_route = read_column<std::int64_t>(cascade.file, "requests", "route");
  EXPECT_EQ(c_slm[0], 0) << "the 4k stage is skipped, not asked";
  EXPECT_EQ(c_route[0], 1);
  EXPECT_EQ(c_slm[3], 0);
  EXPECT_GT(c_slm[1], 0);

  const auto router = run(d, "router", {t, fail, "mechanism.name=router", "mechanism.router.threshold=0"});  // all small
  EXPECT_EQ(router.s.n_context_exceeded, 0);
  EXPECT_EQ(read_column<std::int64_t>(router.file, "requests", "route"), (std::vector<std::int64_t>{1, 0, 0, 1}));
}

// Device memory (DeploymentSpec::memory_policy): the phone's usable memory (8 GB × 0.9)
// less Phi-3-mini's 4-bit weights (2.14 GB) holds 12,874 tokens of its KV cache (384 KiB
// per token). A 20k-token prompt is refused with status out_of_memory, truncated to the
// last 12,774 prompt tokens under "truncate", or sent to the LLM by a cascade or router.
TEST(RunInvariants, DeviceMemoryRefusesTruncatesOrRoutesAroundLongPrompts) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const fs::path trace = d.path / "huge.csv";
  write_file(trace,
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-11-16 18:15:46.6805900,5000,100\n"    // beyond the 4k window, within memory
             "2023-11-16 18:15:47.6805900,20000,100\n"   // 20,100 tokens of KV > 12,874
             "2023-11-16 18:15:48.6805900,1000,100\n"    // fits both
             "2023-11-16 18:15:49.6805900,12774,100\n"   // exactly 12,874: fits memory
             "2023-11-16 18:15:50.6805900,12775,100\n");  // one token over
  const std::string t = "workload.trace=\"" + trace.string() + "\"";
  // The memory limit alone: the context window (checked first) is set to "ignore".
  const std::string mem_fail = "deployments.slm.memory_policy=\"fail\"";
  const std::string ctx_off = "deployments.slm.context_policy=\"ignore\"";
  auto counted = [](const RunOutput& o) {
    EXPECT_EQ(o.s.n_ok + o.s.n_failed + o.s.n_timed_out + o.s.n_context_exceeded + o.s.n_out_of_memory,
              o.s.n_requests);
  };
  EXPECT_EQ(run(d, "mem_ignored", {t, ctx_off, "deployments.slm.memory_policy=\"ignore\"", "mechanism.name=small_only"})
                .s.n_out_of_memory,
            0);
  const auto small = run(d, "mem_small", {t, ctx_off, "mechanism.name=small_only"});  // the default refuses
  counted(small);
  EXPECT_EQ(small.s.n_out_of_memory, 2);
  ASSERT_EQ(read_column<std::int64_t>(small.file, "requests", "status"), (std::vector<std::int64_t>{0, 4, 0, 0, 4}));
  EXPECT_EQ(read_column<double>(small.file, "requests", "energy_j")[1], 0.0) << "a refused request computes nothing";

  // Both limits on (the defaults): the context window is checked first.
  const auto both = run(d, "mem_both", {t, "mechanism.name=small_only"});
  counted(both);
  EXPECT_EQ(read_column<std::int64_t>(both.file, "requests", "status"), (std::vector<std::int64_t>{3, 3, 0, 3, 3}));

  // Truncation keeps the last tokens that fit: the answer comes, from a shorter prompt.
  const auto cut =
      run(d, "mem_truncate", {t, ctx_off, "deployments.slm.memory_policy=\"truncate\"", "mechanism.name=small_only"});
  counted(cut);
  EXPECT_EQ(cut.s.n_ok, 5);
  EXPECT_EQ(cut.s.n_truncated, 2);
  const auto e_cut = read_column<double>(cut.file, "requests", "energy_phone_j");
  const auto e_mem = read_column<double>(small.file, "requests", "energy_phone_j");
  EXPECT_GT(e_cut[1], 0.0);
  EXPECT_DOUBLE_EQ(e_cut[1], e_cut[3]) << "truncated to the 12,774 tokens of the largest prompt that fits";
  EXPECT_DOUBLE_EQ(e_cut[3], e_mem[3]);

  const auto cascade = run(d, "mem_cascade", {t, ctx_off, mem_fail, "mechanism.name=cascade"});
  counted(cascade);
  EXPECT_EQ(cascade.s.n_out_of_memory, 0);
  const auto c_slm = read_column<std::int64_t>(cascade.file, "requests", "tokens_slm");
  EXPECT_EQ(c_slm[1], 0) << "the phone stage is skipped, not asked";
  EXPECT_EQ(read_column<std::int64_t>(cascade.file, "requests", "route")[1], 1);

  const auto router =
      run(d, "mem_router", {t, ctx_off, mem_fail, "mechanism.name=router", "mechanism.router.threshold=0"});
  counted(router);
  EXPECT_EQ(read_column<std::int64_t>(router.file, "requests", "route"), (std::vector<std::int64_t>{0, 1, 0, 0, 1}));
}

// Limits hold in the token-level mechanisms too (issue 23, W2): speculative decoding and
// token routing check both models' limits on prompt + output (Context::admission). With
// the defaults, a 200k-token prompt (beyond Phi-3-mini's 4,096 and Llama-3.1-70B's 131,072
// tokens) is refused with status context_exceeded and computes nothing; a 5k-token prompt
// (beyond the SLM only) is answered by the LLM alone, the SLM never running.
TEST(RunInvariants, SpeculativeAndTokenRoutingRespectLimits) {
  if (!fs::exists(data_dir())) GTEST_SKIP();
  TempDir d;
  const fs::path trace = d.path / "w2.csv";
  write_file(trace,
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-11-16 18:15:46.6805900,200000,100\n"  // beyond both windows
             "2023-11-16 18:15:47.6805900,5000,100\n"    // beyond the SLM's only
             "2023-11-16 18:15:48.6805900,1000,100\n");  // fits both
  const std::string t = "workload.trace=\"" + trace.string() + "\"";
  for (const std::string m : {"speculative", "token_routing"}) {
    SCOPED_TRACE(m);
    const auto o = run(d, "w2_" + m, {t, "mechanism.name=" + m});
    EXPECT_EQ(o.s.n_requests, 3);
    EXPECT_EQ(read_column<std::int64_t>(o.file, "requests", "status"), (std::vector<std::int64_t>{3, 0, 0}));
    const auto slm = read_column<std::int64_t>(o.file, "requests", "tokens_slm");
    const auto llm = read_column<std::int64_t>(o.file, "requests", "tokens_llm");
    EXPECT_EQ(read_column<double>(o.file, "requests", "energy_j")[0], 0.0) << "a refused request computes nothing";
    EXPECT_EQ(slm[0] + llm[0], 0);
    EXPECT_EQ(slm[1], 0) << "the 4k SLM does not run on a 5,100-token request";
    EXPECT_EQ(llm[1], 100) << "the LLM generates the answer alone";
    EXPECT_EQ(read_column<std::int64_t>(o.file, "requests", "route")[1], 1);
    EXPECT_GT(slm[2], 0) << "a request both hold runs the two-model protocol";
    EXPECT_GT(llm[2], 0);
    // "ignore" on every limit is the old behaviour: the 200k prompt comes back ok.
    const auto old = run(d, "w2_ignore_" + m,
                         {t, "mechanism.name=" + m, "deployments.slm.context_policy=\"ignore\"",
                          "deployments.llm.context_policy=\"ignore\"", "deployments.slm.memory_policy=\"ignore\"",
                          "deployments.llm.memory_policy=\"ignore\""});
    EXPECT_EQ(read_column<std::int64_t>(old.file, "requests", "status")[0], 0);
  }
}
