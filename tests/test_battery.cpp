// Per-user batteries (hardware/user_devices.hpp): each user's phone starts at
// battery_initial × capacity and is drained by every joule it spends (generations, origin
// compute, radio, idle); below battery_floor it stops serving locally (Context::fits), and
// the router's battery_threshold sends work to the cloud earlier. /users reports it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "sim/io/h5_table.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;

namespace {

RunOutput run(const TempDir& d, const std::string& name, std::vector<std::string> sets) {
  return run_scenario_file(d, source_dir() / "scenarios" / "edge_cloud_cascade.toml", name, std::move(sets));
}

}  // namespace

TEST(Battery, ChargeFallsByExactlyTheDeviceEnergy) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // 3 users, the cascade (phone first, cloud on escalation), an LTE radio and an idle draw,
  // so generations, radio and idle power all drain the batteries.
  const auto o = run(d, "drain", {"workload.limit=300", "workload.users.count=3", "workload.users.assignment=\"independent\"", "links.cellular.radio=\"lte\"",
                                  "devices.phone.idle_power=\"0.3 W\"", "devices.phone.battery_floor=0"});
  const auto user = read_column<std::int64_t>(o.file, "users", "user_id");
  ASSERT_EQ(user.size(), 3u);
  const auto cap = read_column<double>(o.file, "users", "battery_capacity_j");
  const auto soc0 = read_column<double>(o.file, "users", "soc_start");
  const auto soc1 = read_column<double>(o.file, "users", "soc_end");
  const auto soc_min = read_column<double>(o.file, "users", "soc_min");
  const auto energy = read_column<double>(o.file, "users", "energy_j");
  const auto idle = read_column<double>(o.file, "users", "idle_energy_j");
  const auto radio = read_column<double>(o.file, "users", "radio_energy_j");
  // Per request: what the phone and its radio spent, summed per user.
  const auto req_user = read_column<std::int64_t>(o.file, "requests", "user_id");
  const auto phone_j = read_column<double>(o.file, "requests", "energy_phone_j");
  const auto radio_j = read_column<double>(o.file, "requests", "energy_radio_j");
  std::map<std::int64_t, double> spent;
  for (std::size_t i = 0; i < req_user.size(); ++i) spent[req_user[i]] += phone_j[i] + radio_j[i];
  for (std::size_t k = 0; k < user.size(); ++k) {
    EXPECT_NEAR(cap[k], 12.7 * 3600, 1e-6) << "the iPhone 15 Pro card's 12.7 Wh";
    EXPECT_EQ(soc0[k], 1.0);
    const double drained = cap[k] * (soc0[k] - soc1[k]);
    EXPECT_GT(idle[k], 0.0);
    EXPECT_GT(radio[k], 0.0);
    EXPECT_NEAR(drained, energy[k], 1e-9 * energy[k]) << "user " << user[k];
    EXPECT_NEAR(drained, spent[user[k]] + idle[k], 1e-9 * drained) << "user " << user[k];
    EXPECT_LE(soc_min[k], soc1[k]);
  }
  // /requests battery_soc: each user's charge after each request, between soc_min and full,
  // falling over the run (the first completion is below the start, the last near the end).
  const auto soc_req = read_column<double>(o.file, "requests", "battery_soc");
  const auto arr = read_column<double>(o.file, "requests", "arrival_s");
  const auto lat = read_column<double>(o.file, "requests", "latency_s");
  for (std::size_t k = 0; k < user.size(); ++k) {
    std::vector<std::pair<double, double>> traj;  // (completion s, soc)
    for (std::size_t i = 0; i < req_user.size(); ++i)
      if (req_user[i] == user[k]) traj.push_back({arr[i] + lat[i], soc_req[i]});
    std::sort(traj.begin(), traj.end());
    ASSERT_GT(traj.size(), 2u);
    for (const auto& [t, soc] : traj) {
      ASSERT_TRUE(std::isfinite(soc));
      EXPECT_GE(soc, soc_min[k] - 1e-12);
      EXPECT_LT(soc, soc0[k]);
    }
    EXPECT_GT(traj.front().second, traj.back().second);
    EXPECT_GE(traj.back().second, soc1[k]);  // idle power still drains after the last answer
  }
  // A mains-powered phone has no state of charge.
  const auto mains = run(d, "mains", {"workload.limit=30", "workload.users.count=3", "workload.users.assignment=\"independent\"", "devices.phone.battery=\"0 Wh\""});
  for (double soc : read_column<double>(mains.file, "requests", "battery_soc")) EXPECT_TRUE(std::isnan(soc));
  for (double soc : read_column<double>(mains.file, "users", "soc_end")) EXPECT_TRUE(std::isnan(soc));
}

TEST(Battery, BelowTheFloorThePhoneStopsServingLocally) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // One user with a 0.2 Wh battery (720 J) and a 50 % floor: the phone serves until its
  // charge falls below 360 J, then the cascade skips its stage and small_only refuses.
  // Arrivals slowed 100× (one every ~18 s): decisions see the battery drained by earlier answers.
  const std::vector<std::string> base = {"workload.limit=200", "workload.users.count=1", "workload.users.assignment=\"independent\"", "workload.rate_scale=0.01",
                                         "devices.phone.battery=\"0.2 Wh\"", "devices.phone.battery_floor=0.5"};
  auto small = base;
  small.push_back("mechanism.name=small_only");
  const auto s = run(d, "small", small);
  const double floor_at = read_column<double>(s.file, "users", "below_floor_at_s")[0];
  ASSERT_TRUE(std::isfinite(floor_at));
  EXPECT_GT(s.s.n_battery_low, 0);
  const auto status = read_column<std::int64_t>(s.file, "requests", "status");
  const auto arrival = read_column<double>(s.file, "requests", "arrival_s");
  const auto phone_j = read_column<double>(s.file, "requests", "energy_phone_j");
  const auto refused = read_column<std::int64_t>(s.file, "users", "refused_battery")[0];
  std::int64_t low = 0;
  for (std::size_t i = 0; i < status.size(); ++i)
    if (status[i] == 5) {  // battery_low: refused before any compute
      ++low;
      EXPECT_EQ(phone_j[i], 0.0);
    }
  EXPECT_EQ(low, s.s.n_battery_low);
  EXPECT_EQ(refused, low);
  EXPECT_GE(read_column<double>(s.file, "users", "soc_end")[0], 0.0);  // it stopped spending
  // The cascade answers the same requests from the cloud instead.
  const auto c = run(d, "cascade", base);
  EXPECT_EQ(c.s.n_battery_low, 0);
  const auto slm = read_column<std::int64_t>(c.file, "requests", "tokens_slm");
  const auto carr = read_column<double>(c.file, "requests", "arrival_s");
  const double cfloor = read_column<double>(c.file, "users", "below_floor_at_s")[0];
  ASSERT_TRUE(std::isfinite(cfloor));
  std::int64_t after = 0, local_after = 0;
  for (std::size_t i = 0; i < slm.size(); ++i)
    if (carr[i] > cfloor) ++after, local_after += slm[i] > 0 ? 1 : 0;
  EXPECT_GT(after, 0);
  EXPECT_EQ(local_after, 0);
  (void)arrival;
  (void)floor_at;
}

TEST(Battery, PhoneQueueTimeCountsWaitsOfRefusedGenerations) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // One user's phone, requests at the trace's pace (they queue on it), a 0.05 Wh battery
  // (180 J) with a 50 % floor: generations that waited while the charge fell below the
  // floor are refused, and their waits are phone queueing all the same. /users queue_s is
  // the sum of the queue spans on the user's phone track.
  const auto o = run(d, "refused", {"mechanism.name=small_only", "workload.limit=40", "workload.users.count=1",
                                    "workload.users.assignment=\"independent\"", "devices.phone.battery=\"0.05 Wh\"",
                                    "devices.phone.battery_floor=0.5", "run.record_spans=true"});
  ASSERT_GT(read_column<std::int64_t>(o.file, "users", "refused_battery")[0], 0);
  H5::H5File f(o.file.string(), H5F_ACC_RDONLY);
  const auto start = *read_numeric_field(f, "spans", "start_s");
  const auto end = *read_numeric_field(f, "spans", "end_s");
  const auto id = *read_numeric_field(f, "spans", "request_id");
  const auto kind = *read_string_field(f, "spans", "kind");
  const auto track = *read_string_field(f, "spans", "track");
  const auto status = read_column<std::int64_t>(o.file, "requests", "status");
  const auto rid = read_column<std::int64_t>(o.file, "requests", "request_id");
  std::map<double, std::int64_t> status_of;
  for (std::size_t i = 0; i < rid.size(); ++i) status_of[static_cast<double>(rid[i])] = status[i];
  double waited = 0, waited_refused = 0;
  for (std::size_t i = 0; i < start.size(); ++i)
    if (kind[i] == "queue" && track[i].find("/user ") != std::string::npos) {
      waited += end[i] - start[i];
      if (status_of.at(id[i]) == 5) waited_refused += end[i] - start[i];
    }
  EXPECT_GT(waited_refused, 0.0) << "some refused generations waited";
  EXPECT_NEAR(read_column<double>(o.file, "users", "queue_s")[0], waited, 1e-6 * waited);
}

TEST(Battery, RouterSendsToTheCloudBelowAChargeLevel) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const std::vector<std::string> base = {"mechanism.name=router", "workload.limit=200", "workload.users.count=2", "workload.users.assignment=\"independent\"",
                                         "workload.rate_scale=0.01",
                                         "devices.phone.battery=\"0.5 Wh\"", "devices.phone.battery_floor=0"};
  const auto off = run(d, "off", base);
  auto on_sets = base;
  on_sets.push_back("mechanism.router.battery_threshold=0.6");
  const auto on = run(d, "on", on_sets);
  const double rerouted = read_column<double>(on.file, "mechanism", "battery_rerouted")[0];
  EXPECT_GT(rerouted, 0.0);
  EXPECT_GT(on.s.large_share, off.s.large_share);
  // Every user keeps at least ~the threshold (less what was in flight when it was crossed).
  for (double soc : read_column<double>(on.file, "users", "soc_end")) EXPECT_GT(soc, 0.5);
  EXPECT_LT(read_column<double>(off.file, "users", "soc_min")[0], 0.5);
}
