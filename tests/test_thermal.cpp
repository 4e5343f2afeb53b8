// Heat of a user's phone (hardware/thermal.hpp): a first-order thermal model that slows
// sustained on-device decoding and recovers when idle, checked against the measured curve
// its card cites, and its effect on latency, energy and /users in a run.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/hardware/thermal.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;

namespace {

/// The fit of docs/ENERGY.md to Majima's curve: tau 55 s, floor 18/48 (the parameters a
/// phone card sets as devices.<name>.thermal_tau, thermal_floor).
ThermalParams fitted_thermal() { return ThermalParams{55, 0.375, 0}; }

/// The phone's heat in the default scenario as the loader reads it: the iPhone 15 Pro
/// card's thermal_tau and thermal_floor (heat on by default for that card).
ThermalParams loaded_thermal() {
  LoadOptions opt;
  opt.data_dir = data_dir();
  const Scenario sc = load_scenario(source_dir() / "scenarios" / "edge_cloud_cascade.toml", opt);
  for (const auto& d : sc.devices)
    if (d.name == "phone") return d.thermal;
  return {};
}

/// Rate factor after `t` s of continuous load from cold.
double sustained_rate(const ThermalParams& p, double t) {
  ThermalState s(p);
  s.run(0, t);
  return s.rate(from_seconds(t));
}

}  // namespace

TEST(Thermal, FitFollowsTheMeasuredThrottlingCurve) {
  COLLABSIM_NEED_DATA(data_dir());
  const ThermalParams p = loaded_thermal();
  ASSERT_TRUE(p.on());
  EXPECT_EQ(p.tau, fitted_thermal().tau);
  EXPECT_EQ(p.floor, fitted_thermal().floor);
  // Majima (dev.to, 2026), MLX on the iPhone 17 Pro GPU, Gemma-4-E2B 4-bit, continuous
  // decoding from cold: 48 tokens/s peak, −10 % at 5 s, −25 % at 35 s, ~18 tokens/s after
  // 10 min. Tolerance: 0.05 of the peak rate (the first-order fit's largest error is 0.045).
  const double tol = 0.05;
  EXPECT_NEAR(sustained_rate(p, 5), 0.90, tol);
  EXPECT_NEAR(sustained_rate(p, 35), 0.75, tol);
  EXPECT_NEAR(sustained_rate(p, 600), 18.0 / 48.0, tol);
  EXPECT_NEAR(sustained_rate(p, 0), 1.0, 1e-12);
}

TEST(Thermal, DurationInvertsTheWorkIntegral) {
  const ThermalParams p{55, 0.375, 0};
  ThermalState s(p);
  s.run(0, 30);  // warm: θ = 1 − e^(−30/55)
  const SimTime now = from_seconds(30);
  const double theta = s.heat(now);
  EXPECT_NEAR(theta, 1 - std::exp(-30.0 / 55), 1e-12);
  for (double w : {0.01, 1.0, 20.0, 300.0}) {
    const double t = s.duration(now, w);
    EXPECT_GE(t, w);
    EXPECT_LE(t, w / p.floor + 1e-9);  // never slower than the floor rate
    EXPECT_NEAR(ThermalState::work_in(p, theta, t), w, 1e-9 * w);
  }
  // Off: the work takes its cold time.
  ThermalState off(ThermalParams{0, 1, 0});
  EXPECT_EQ(off.duration(0, 12.5), 12.5);
}

TEST(Thermal, RecoversWhenIdle) {
  const ThermalParams p{55, 0.375, 120};
  ThermalState s(p);
  s.run(0, 200);
  const SimTime end = from_seconds(200);
  const double hot = s.heat(end);
  EXPECT_NEAR(s.heat(end + from_seconds(120)), hot * std::exp(-1.0), 1e-12);  // one cooling time constant
  EXPECT_GT(s.rate(end + from_seconds(600)), s.rate(end));
  EXPECT_NEAR(s.rate(end + from_seconds(1e5)), 1.0, 1e-9);
  // A later run starts from the cooled state: work takes less time than when hot.
  EXPECT_LT(s.duration(end + from_seconds(600), 10), s.duration(end, 10));
}

TEST(Thermal, ThrottlingShowsInLatencyEnergyAndUsers) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // One user, small_only: the phone decodes back to back for minutes. Heat as the card
  // ships it, against the same run with heat off.
  const std::vector<std::string> base = {"mechanism.name=small_only", "workload.limit=60", "workload.users.count=1",
                                         "workload.users.assignment=\"independent\"", "run.record_spans=true"};
  const auto hot = run_scenario_file(d, source_dir() / "scenarios" / "edge_cloud_cascade.toml", "hot", base);
  auto cold_sets = base;
  cold_sets.push_back("devices.phone.thermal_tau=\"0 s\"");
  const auto cold = run_scenario_file(d, source_dir() / "scenarios" / "edge_cloud_cascade.toml", "cold", cold_sets);
  const double throttled = read_column<double>(hot.file, "users", "throttled_s")[0];
  const double busy_hot = read_column<double>(hot.file, "users", "busy_s")[0];
  const double busy_cold = read_column<double>(cold.file, "users", "busy_s")[0];
  EXPECT_GT(throttled, 0.0);
  EXPECT_EQ(read_column<double>(cold.file, "users", "throttled_s")[0], 0.0);
  EXPECT_NEAR(busy_hot - busy_cold, throttled, 1e-6 * busy_hot);  // the lost time is the extra busy time
  EXPECT_LT(read_column<double>(hot.file, "users", "min_rate_factor")[0], 0.5);
  EXPECT_GT(hot.s.latency_p50_s, cold.s.latency_p50_s);
  // Constant busy power (the card's two-state model): energy grows with the busy time.
  EXPECT_NEAR(hot.s.energy_per_request_j / cold.s.energy_per_request_j, busy_hot / busy_cold, 1e-6);
  EXPECT_EQ(hot.s.quality_mean, cold.s.quality_mean);
}
