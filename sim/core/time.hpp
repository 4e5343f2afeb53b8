#pragma once
/// \file time.hpp
/// Simulation time: a signed 64-bit count of nanoseconds (as ns-3's Time and OMNeT++'s
/// SimTime, an integer clock never drifts and compares exactly). 2^63 ns ≈ 292 years.

#include <cmath>
#include <cstdint>
#include <limits>

namespace collabsim {

/// Simulation time or duration in nanoseconds.
using SimTime = std::int64_t;

inline constexpr SimTime kNsPerSecond = 1'000'000'000;
inline constexpr SimTime kTimeNever = std::numeric_limits<SimTime>::max();

/// Seconds (double) → nanoseconds, rounded to nearest. Durations from models (roofline,
/// link transfer) are computed in double seconds and enter the clock through here, so the
/// rounding happens once per modelled step. Negative and non-finite input is a bug: clamps to 0.
inline SimTime from_seconds(double s) {
  if (!(s > 0.0)) return 0;
  const double ns = std::nearbyint(s * 1e9);
  return ns >= 9.2e18 ? kTimeNever : static_cast<SimTime>(ns);
}

/// Nanoseconds → seconds (double), for output only.
inline constexpr double to_seconds(SimTime t) { return static_cast<double>(t) * 1e-9; }

}  // namespace collabsim
