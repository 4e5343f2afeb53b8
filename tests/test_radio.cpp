// Radio RRC state machine (sim/network/rrc.hpp): promotion, tail and resume energies equal
// their closed forms, the promotion delay shows in the transfer time, a transfer within
// the tail pays no second tail, radio energy is conserved over a whole run; the API energy
// estimate (deployments.<name>.api_energy_card) is reported apart.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "sim/core/engine.hpp"
#include "sim/core/error.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/network/network.hpp"
#include "sim/network/rrc.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/run_scenario.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

// Huang et al. 2012 LTE values (the RrcParams and link-key defaults).
constexpr double kDpro = 0.2601, kPpro = 1.2107, kPact = 1.28804, kTtail = 11.576, kPtail = 1.060;

RrcParams lte() {
  RrcParams p;
  p.model = RadioModel::lte;
  return p;
}

/// phone (per-user) — cloud over one LTE link: 1 MB/s up, 4 MB/s down, 20 ms, 100/50 nJ/B.
Scenario phone_cloud(RrcParams rrc) {
  Scenario sc;
  sc.run.seed = 3;
  DeviceSpec phone;
  phone.name = "phone";
  phone.per_user = true;
  DeviceSpec cloud;
  cloud.name = "cloud";
  sc.devices = {phone, cloud};
  LinkSpec l;
  l.name = "cell";
  l.from = "phone";
  l.to = "cloud";
  l.up_bandwidth = 1e6;
  l.down_bandwidth = 4e6;
  l.latency = 0.02;
  l.radio_energy_up = 100e-9;
  l.radio_energy_down = 50e-9;
  l.rrc = rrc;
  sc.links = {l};
  sc.workload.origin = "phone";
  return sc;
}

struct Sent {
  Transfer t;
  double bits_j = 0;
};

Task<void> upload_at(Engine& e, Network& n, std::uint64_t session, double bytes, SimTime at, Sent& out) {
  co_await e.until(at);
  out.t = co_await n.send(0, 1, bytes, kTimeNever, session);
  out.bits_j = n.charge_radio_bits(0, 1, bytes);
}

double rel(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

}  // namespace

TEST(Rrc, IsolatedTransferPaysPromotionActiveAndOneTail) {
  RrcRadio r(lte());
  const SimTime ready = r.begin(from_seconds(5.0));
  EXPECT_EQ(ready, from_seconds(5.0) + from_seconds(kDpro));
  r.end(ready + from_seconds(0.5));
  r.close();
  EXPECT_LT(rel(r.energy_j(), kPpro * kDpro + kPact * 0.5 + kPtail * kTtail), 1e-12);
  EXPECT_LT(rel(r.tail_j(), kPtail * kTtail), 1e-12);
  EXPECT_EQ(r.promotions(), 1);
  r.close();  // idempotent
  EXPECT_LT(rel(r.energy_j(), kPpro * kDpro + kPact * 0.5 + kPtail * kTtail), 1e-12);
}

TEST(Rrc, NoTransferNoEnergy) {
  RrcRadio r(lte());
  r.close();
  EXPECT_EQ(r.energy_j(), 0.0);
  EXPECT_EQ(r.promotions(), 0);
}

TEST(Rrc, NrResumesFromInactiveAndPromotesAfterIt) {
  RrcParams p;
  p.model = RadioModel::nr;
  p.tail_time = 10;
  p.inactive_time = 60;
  p.resume_delay = 0.01;
  p.resume_power = 1.0;
  RrcRadio r(p);
  SimTime t = r.begin(0);
  r.end(t + from_seconds(1.0));
  // 30 s later: past the tail (10 s), inside RRC_INACTIVE: resume, not promotion.
  const SimTime t2 = t + from_seconds(31.0);
  EXPECT_EQ(r.begin(t2), t2 + from_seconds(0.01));
  r.end(t2 + from_seconds(1.01));
  // 100 s later: past the tail and RRC_INACTIVE: a full promotion.
  const SimTime t3 = t2 + from_seconds(101.01);
  EXPECT_EQ(r.begin(t3), t3 + from_seconds(p.promotion_delay));
  r.end(t3 + from_seconds(p.promotion_delay + 1.0));
  r.close();
  EXPECT_EQ(r.promotions(), 2);
  EXPECT_EQ(r.resumes(), 1);
  const double expect = 2 * p.promotion_power * p.promotion_delay + 1.0 * 0.01 + 3 * p.active_power * 1.0 +
                        3 * p.tail_power * 10.0;
  EXPECT_LT(rel(r.energy_j(), expect), 1e-9);
}

TEST(RadioNetwork, IsolatedUploadEnergyAndDelayAreAnalytic) {
  const Scenario sc = phone_cloud(lte());
  Topology topo(sc.devices, sc.links, sc.deployments, sc.workload.origin);
  Engine e;
  Network net(e, sc.links, sc.devices, sc.run.seed, topo);
  Sent s;
  e.spawn(upload_at(e, net, 7, 5e5, from_seconds(1.0), s));  // 0.5 s of serialisation
  e.run();
  // Latency: promotion + serialisation + propagation.
  EXPECT_EQ(s.t.end - s.t.start, from_seconds(kDpro) + from_seconds(0.5) + from_seconds(0.02));
  const double rrc = net.radio_close(7);
  const double expect_rrc = kPpro * kDpro + kPact * 0.5 + kPtail * kTtail;
  EXPECT_LT(rel(rrc, expect_rrc), 1e-12);
  EXPECT_LT(rel(s.bits_j, 5e5 * 100e-9), 1e-12);
  // The link totals hold the same energy (conservation), and the session is gone.
  const LinkRadioTotals& t = net.link_radio(0);
  EXPECT_LT(rel(t.bits_j + t.rrc_j, expect_rrc + 5e5 * 100e-9), 1e-12);
  EXPECT_EQ(t.promotions, 1);
  EXPECT_EQ(net.radio_close(7), 0.0);
}

TEST(RadioNetwork, TwoUploadsWithinTheTailPayOneTail) {
  const Scenario sc = phone_cloud(lte());
  Topology topo(sc.devices, sc.links, sc.deployments, sc.workload.origin);
  Engine e;
  Network net(e, sc.links, sc.devices, sc.run.seed, topo);
  Sent a, b;
  e.spawn(upload_at(e, net, 1, 1e5, 0, a));                   // ends serialising at D + 0.1
  e.spawn(upload_at(e, net, 1, 1e5, from_seconds(3.0), b));  // 3 s later: inside the tail
  e.run();
  EXPECT_EQ(b.t.end - b.t.start, from_seconds(0.1) + from_seconds(0.02));  // no promotion
  const double gap = 3.0 - (kDpro + 0.1);
  const double expect = kPpro * kDpro + 2 * kPact * 0.1 + kPtail * gap + kPtail * kTtail;
  EXPECT_LT(rel(net.radio_close(1), expect), 1e-9);
  EXPECT_EQ(net.link_radio(0).promotions, 1);
  // Apart by more than the tail: two promotions and two full tails.
  Engine e2;
  Network net2(e2, sc.links, sc.devices, sc.run.seed, topo);
  e2.spawn(upload_at(e2, net2, 1, 1e5, 0, a));
  e2.spawn(upload_at(e2, net2, 1, 1e5, from_seconds(30.0), b));
  e2.run();
  EXPECT_EQ(b.t.end - b.t.start, from_seconds(kDpro) + from_seconds(0.1) + from_seconds(0.02));
  EXPECT_LT(rel(net2.radio_close(1), 2 * (kPpro * kDpro + kPact * 0.1 + kPtail * kTtail)), 1e-9);
  EXPECT_EQ(net2.link_radio(0).promotions, 2);
}

// One user's radio kept across requests (Network::radio_settle): a burst of two requests
// 3 s apart pays one promotion and one tail. The first request, settled when it ends, pays
// its tail in full (as if it were the user's last); the second pays what the first left
// unused back against the tail it cut short: together the closed form of one burst,
// P_pro·D_pro + P_active·Σ active + P_tail·(gap + T_tail).
TEST(RadioNetwork, AUsersBurstSettlesToOnePromotionAndOneTail) {
  const Scenario sc = phone_cloud(lte());
  Topology topo(sc.devices, sc.links, sc.deployments, sc.workload.origin);
  Engine e;
  Network net(e, sc.links, sc.devices, sc.run.seed, topo);
  Sent a, b;
  e.spawn(upload_at(e, net, 9, 1e5, 0, a));  // request 1: ends serialising at D + 0.1
  e.run();
  const double first = net.radio_settle(9);
  EXPECT_LT(rel(first, kPpro * kDpro + kPact * 0.1 + kPtail * kTtail), 1e-12);
  e.spawn(upload_at(e, net, 9, 1e5, from_seconds(3.0), b));  // request 2, same user, inside the tail
  e.run();
  EXPECT_EQ(b.t.end - b.t.start, from_seconds(0.1) + from_seconds(0.02));  // no promotion
  const double second = net.radio_settle(9);
  const double gap = 3.0 - (kDpro + 0.1);
  EXPECT_LT(rel(first + second, kPpro * kDpro + 2 * kPact * 0.1 + kPtail * gap + kPtail * kTtail), 1e-9);
  EXPECT_LT(rel(second, kPact * 0.1 + kPtail * gap), 1e-9);
  const LinkRadioTotals& t = net.link_radio(0);
  EXPECT_EQ(t.promotions, 1);
  EXPECT_LT(rel(t.rrc_j, first + second), 1e-12);  // conservation: the link holds what requests paid
  EXPECT_EQ(net.radio_settle(9), 0.0) << "nothing more is owed";
}

TEST(RadioNetwork, SessionsAreIndependentAndNoneChangesNothing) {
  // Two requests (sessions) at once: each its own radio, each promoted.
  const Scenario sc = phone_cloud(lte());
  Topology topo(sc.devices, sc.links, sc.deployments, sc.workload.origin);
  Engine e;
  Network net(e, sc.links, sc.devices, sc.run.seed, topo);
  Sent a, b;
  e.spawn(upload_at(e, net, 1, 1e5, 0, a));
  e.spawn(upload_at(e, net, 2, 1e5, 0, b));
  e.run();
  EXPECT_EQ(a.t.end, b.t.end);
  EXPECT_DOUBLE_EQ(net.radio_close(1), net.radio_close(2));
  EXPECT_EQ(net.link_radio(0).promotions, 2);
  // radio = none: the same transfer with a session takes serialisation + latency only.
  const Scenario none = phone_cloud(RrcParams{});
  Topology topo0(none.devices, none.links, none.deployments, none.workload.origin);
  Engine e0;
  Network net0(e0, none.links, none.devices, none.run.seed, topo0);
  e0.spawn(upload_at(e0, net0, 1, 1e5, 0, a));
  e0.run();
  EXPECT_EQ(a.t.end, from_seconds(0.1) + from_seconds(0.02));
  EXPECT_FALSE(net0.rrc_on_path(0, 1));
  EXPECT_EQ(net0.radio_close(1), 0.0);
}

TEST(RadioRun, RadioEnergyIsConservedAndPromotionShowsInLatency) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const fs::path sc = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  // One radio per request (binding = "request"): with the default scenario's users a user's
  // next turn may find its radio still in the tail (tests/test_user_binding.cpp covers that).
  const auto base = run_scenario_file(d, sc, "none",
                                      {"mechanism.name=large_only", "workload.limit=300",
                                       "devices.phone.binding=\"request\""});
  const auto o = run_scenario_file(d, sc, "lte",
                                   {"mechanism.name=large_only", "workload.limit=300", "links.cellular.radio=\"lte\"",
                                    "devices.phone.binding=\"request\""});
  const auto radio = read_column<double>(o.file, "requests", "energy_radio_j");
  const double sum = std::accumulate(radio.begin(), radio.end(), 0.0);
  const double link = read_column<double>(o.file, "links/cellular/summary", "radio_energy_j")[0];
  EXPECT_NEAR(sum / link, 1.0, 1e-9);
  const double promotions = read_column<double>(o.file, "links/cellular/summary", "rrc_promotions")[0];
  EXPECT_GE(promotions, 300.0);  // every request uploads from an idle radio (and may idle again while queued)
  // Each request pays at least its promotion and final tail on top of the per-bit energy.
  const auto radio0 = read_column<double>(base.file, "requests", "energy_radio_j");
  for (std::size_t i = 0; i < radio.size(); ++i) EXPECT_GE(radio[i] - radio0[i], kPpro * kDpro + kPtail * kTtail - 1e-9);
  // The upload waits for the promotion: every TTFT grows by at least D_pro.
  const auto ttft = read_column<double>(o.file, "requests", "ttft_s");
  const auto ttft0 = read_column<double>(base.file, "requests", "ttft_s");
  EXPECT_GE(o.s.ttft_p50_s - base.s.ttft_p50_s, kDpro - 1e-9);
  EXPECT_GT(o.s.radio_energy_per_request_j, base.s.radio_energy_per_request_j + kPtail * kTtail);
  EXPECT_EQ(base.s.n_requests, o.s.n_requests);
  EXPECT_EQ(ttft.size(), ttft0.size());
}

TEST(RadioRun, BadRadioKeysNameTheKey) {
  COLLABSIM_NEED_DATA(data_dir());
  const fs::path sc = source_dir() / "scenarios" / "edge_cloud_cascade.toml";
  auto load = [&](std::vector<std::string> sets) {
    LoadOptions opt;
    opt.overrides = std::move(sets);
    opt.data_dir = data_dir();
    return load_scenario(sc, opt);
  };
  auto message = [&](std::vector<std::string> sets) -> std::string {
    try {
      (void)load(std::move(sets));
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message({"links.cellular.rrc_tail_time=\"5 s\""}).find("links.cellular.rrc_tail_time"), std::string::npos);
  EXPECT_NE(message({"links.cellular.radio=\"lte\"", "links.cellular.rrc_inactive_time=\"5 s\""})
                .find("links.cellular.rrc_inactive_time"),
            std::string::npos);
  EXPECT_NE(message({"links.cellular.radio=\"5g\""}).find("links.cellular.radio"), std::string::npos);
  EXPECT_NE(message({"links.cellular.radio=\"lte\"", "devices.phone.per_user=false"}).find("links.cellular.radio"),
            std::string::npos);
  // NR gets its own tail default (an assumption), LTE Huang et al.'s.
  EXPECT_DOUBLE_EQ(load({"links.cellular.radio=\"lte\""}).links[0].rrc.tail_time, kTtail);
  EXPECT_DOUBLE_EQ(load({"links.cellular.radio=\"nr\""}).links[0].rrc.tail_time, 10.0);
  EXPECT_DOUBLE_EQ(load({"links.cellular.radio=\"nr\"", "links.cellular.rrc_tail_time=\"4 s\""}).links[0].rrc.tail_time,
                   4.0);
  // The API estimate is for a deployment without a power model.
  EXPECT_NE(message({"deployments.llm.api_energy_card=\"h100_sxm\""}).find("deployments.llm.api_energy_card"),
            std::string::npos);
}

TEST(RadioRun, ApiEnergyEstimateIsReportedApart) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const fs::path sc = source_dir() / "scenarios" / "phone_api_router.toml";
  const auto base = run_scenario_file(d, sc, "base", {"workload.limit=200"});
  const auto o = run_scenario_file(d, sc, "api", {"workload.limit=200", "deployments.api.api_energy_card=\"h100_sxm\""});
  EXPECT_EQ(base.s.energy_per_request_j, o.s.energy_per_request_j);  // never mixed in
  const double est = read_column<double>(o.file, "summary", "api_energy_estimate_per_request_j")[0];
  // 700 W × 8 / 32 = 175 W per sequence over each API generation (> 0 s for the routed share).
  EXPECT_GT(est, 0.0);
  const auto tokens = read_column<std::int64_t>(o.file, "requests", "tokens_api");
  const double routed = static_cast<double>(std::count_if(tokens.begin(), tokens.end(), [](auto t) { return t > 0; }));
  EXPECT_GT(routed, 0.0);
  EXPECT_LT(est, 175.0 * 1000.0);  // bounded: no generation near 1000 s
}
