// Network model: outage process statistics, transfers under outages and deadlines,
// bandwidth traces, FIFO serialisation and radio energy.
#include <gtest/gtest.h>

#include "sim/core/engine.hpp"
#include "sim/network/bandwidth_series.hpp"
#include "sim/network/network.hpp"
#include "sim/network/outage_process.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;

TEST(Outage, AvailabilityMatchesMtbfOverMtbfPlusMttr) {
  OutageProcess p(60.0, 15.0, RngStream(3, "outage"));
  const SimTime horizon = from_seconds(200000.0);
  const double down = to_seconds(p.down_time_before(horizon));
  EXPECT_NEAR(1.0 - down / 200000.0, 60.0 / 75.0, 0.01);
  // next_up / next_down are consistent.
  for (SimTime t = 0; t < from_seconds(1000.0); t += from_seconds(0.7)) {
    const SimTime u = p.next_up(t);
    ASSERT_GE(u, t);
    ASSERT_TRUE(p.up(u));
    if (u == t) ASSERT_GT(p.next_down(t), t);
  }
}

TEST(Outage, DisabledProcessIsAlwaysUp) {
  OutageProcess p(0, 0, RngStream(1, "x"));
  EXPECT_TRUE(p.up(123456789));
  EXPECT_EQ(p.next_down(5), kTimeNever);
}

TEST(BandwidthSeries, IntegratesAcrossSegments) {
  TempDir d;
  write_file(d.path / "bw.csv", "time_s,up_mbps,down_mbps\n0,8,16\n1,80,16\n");
  BandwidthSeries s(d.path / "bw.csv", 1, 1);
  // 8 Mbit/s = 1e6 B/s for 1 s, then 10e6 B/s: 2e6 bytes take 1 s + 0.1 s.
  EXPECT_NEAR(s.send_time(2e6, 0, true), 1.1, 1e-12);
  EXPECT_NEAR(s.send_time(1e6, from_seconds(2.0), true), 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(s.at(from_seconds(0.5), false), 2e6);
}

TEST(BandwidthSeries, BadRowsNameFileLineAndColumn) {
  TempDir d;
  write_file(d.path / "bw.csv", "time_s,up_mbps,down_mbps\n0,8,16\n1,-3,16\n");
  try {
    BandwidthSeries s(d.path / "bw.csv", 1, 1);
    FAIL();
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("bw.csv:3"), std::string::npos) << m;
    EXPECT_NE(m.find("up_mbps"), std::string::npos) << m;
  }
}

namespace {

/// A two-device scenario built in memory: phone (per-user or not) — cloud.
Scenario two_devices(bool per_user, double mtbf, double mttr) {
  Scenario sc;
  sc.run.seed = 11;
  DeviceSpec phone;
  phone.name = "phone";
  phone.per_user = per_user;
  DeviceSpec cloud;
  cloud.name = "cloud";
  sc.devices = {phone, cloud};
  LinkSpec l;
  l.name = "cell";
  l.from = "phone";
  l.to = "cloud";
  l.up_bandwidth = 1e6;    // bytes/s
  l.down_bandwidth = 4e6;
  l.latency = 0.02;
  l.mtbf = mtbf;
  l.mttr = mttr;
  l.radio_energy_up = 100e-9;
  l.radio_energy_down = 50e-9;
  sc.links = {l};
  sc.workload.origin = "phone";
  return sc;
}

Task<void> sender(Engine& e, Network& n, double bytes, SimTime at, SimTime deadline, Transfer& out) {
  co_await e.until(at);
  out = co_await n.send(0, 1, bytes, deadline);
}

}  // namespace

TEST(Network, SerialisationPlusLatencyAndSharedFifo) {
  const Scenario sc = two_devices(false, 0, 0);
  Topology topo(sc.devices, sc.links, sc.deployments, sc.workload.origin);
  Engine e;
  Network net(e, sc.links, sc.devices, sc.run.seed, topo);
  Transfer a, b;
  e.spawn(sender(e, net, 1e6, 0, kTimeNever, a));
  e.spawn(sender(e, net, 1e6, 0, kTimeNever, b));
  e.run();
  EXPECT_EQ(a.end, from_seconds(1.0) + from_seconds(0.02));
  EXPECT_EQ(b.end, from_seconds(2.0) + from_seconds(0.02));  // waited for a's serialisation
  EXPECT_DOUBLE_EQ(net.bytes_carried(0, true), 2e6);
}

TEST(Network, PerUserLinksDoNotQueue) {
  const Scenario sc = two_devices(true, 0, 0);
  Topology topo(sc.devices, sc.links, sc.deployments, sc.workload.origin);
  Engine e;
  Network net(e, sc.links, sc.devices, sc.run.seed, topo);
  Transfer a, b;
  e.spawn(sender(e, net, 1e6, 0, kTimeNever, a));
  e.spawn(sender(e, net, 1e6, 0, kTimeNever, b));
  e.run();
  EXPECT_EQ(a.end, b.end);
  // Radio energy: phone sends 1e6 bytes up at 100 nJ/B.
  EXPECT_NEAR(net.radio_energy(0, 1, 1e6), 0.1, 1e-12);
  EXPECT_NEAR(net.radio_energy(1, 0, 1e6), 0.05, 1e-12);
}

TEST(Network, OutagesDelayTransfersAndDeadlinesTimeThemOut) {
  const Scenario sc = two_devices(true, 5.0, 5.0);
  Topology topo(sc.devices, sc.links, sc.deployments, sc.workload.origin);
  Engine e;
  Network net(e, sc.links, sc.devices, sc.run.seed, topo);
  OutageProcess& out = net.outages(0);
  const SimTime down = out.next_down(0);
  const SimTime back = out.next_up(down);
  ASSERT_GT(back, down);
  Transfer waits, gives_up;
  e.spawn(sender(e, net, 1000, down + 1, kTimeNever, waits));
  e.spawn(sender(e, net, 1000, down + 1, down + 2, gives_up));
  e.run();
  EXPECT_FALSE(waits.timed_out);
  EXPECT_GE(waits.end, back + from_seconds(0.001) + from_seconds(0.02));
  EXPECT_TRUE(gives_up.timed_out);
  EXPECT_EQ(gives_up.end, down + 2);
}
