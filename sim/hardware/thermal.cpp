#include "sim/hardware/thermal.hpp"

#include <algorithm>
#include <cmath>

namespace collabsim {

double ThermalState::heat(SimTime now) const {
  if (!p_.on() || theta_ <= 0) return 0.0;
  const double idle = std::max(0.0, to_seconds(now - at_));
  const double tc = p_.cool_tau > 0 ? p_.cool_tau : p_.tau;
  return theta_ * std::exp(-idle / tc);
}

double ThermalState::rate(SimTime now) const { return 1.0 - (1.0 - p_.floor) * heat(now); }

double ThermalState::work_in(const ThermalParams& p, double theta0, double t) {
  const double a = 1.0 - p.floor;
  return (1.0 - a) * t + a * p.tau * (1.0 - theta0) * -std::expm1(-t / p.tau);
}

double ThermalState::duration(SimTime now, double work_s) const {
  if (!p_.on() || work_s <= 0) return std::max(0.0, work_s);
  const double theta0 = heat(now);
  // g(T) = work_in(T) − W is increasing and concave (g' = f(θ(T)) ∈ [φ, 1], falling):
  // Newton from T = W (g(W) ≤ 0) climbs monotonically to the root.
  double t = work_s;
  for (int i = 0; i < 100; ++i) {
    const double g = work_in(p_, theta0, t) - work_s;
    const double slope = 1.0 - (1.0 - p_.floor) * (1.0 - (1.0 - theta0) * std::exp(-t / p_.tau));
    const double step = -g / slope;
    t += step;
    if (std::abs(step) < 1e-9) break;
  }
  return std::max(t, work_s);
}

void ThermalState::run(SimTime start, double seconds) {
  if (!p_.on()) return;
  const double theta0 = heat(start);
  theta_ = 1.0 - (1.0 - theta0) * std::exp(-std::max(0.0, seconds) / p_.tau);
  at_ = start + from_seconds(seconds);
}

}  // namespace collabsim
