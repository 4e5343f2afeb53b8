#pragma once
/// \file time.hpp
/// Simulation time: a signed 64-bit count of nanoseconds (as ns-3's Time and OMNeT++'s
/// SimTime, an integer clock never drifts and compares exactly). 2^63 ns ≈ 292 years.
///
/// Every conversion into the clock is checked: a duration that does not fit (NaN, +inf,
/// ≥ kMaxSeconds) throws instead of wrapping (signed overflow is undefined behaviour).

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "sim/core/error.hpp"

namespace collabsim {

/// Simulation time or duration in nanoseconds.
using SimTime = std::int64_t;

inline constexpr SimTime kNsPerSecond = 1'000'000'000;
inline constexpr SimTime kTimeNever = std::numeric_limits<SimTime>::max();
/// Largest duration (s) the clock takes: 9.2e9 s (≈ 291 years), just below 2^63 ns, so
/// the result never reaches kTimeNever ("never").
inline constexpr double kMaxSeconds = 9.2e9;

namespace detail {
[[noreturn]] inline void clock_overflow(double value, const char* unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g %s", value, unit);
  throw LimitError("", std::string("a modelled duration of ") + buf +
                           " does not fit the simulation clock (2^63 ns ≈ 292 years); the scenario's "
                           "rates, sizes or token counts are out of proportion");
}
}  // namespace detail

/// Seconds (double) → nanoseconds, rounded to nearest. Durations from models (roofline,
/// link transfer) are computed in double seconds and enter the clock through here, so the
/// rounding happens once per modelled step. Negative input (rounding noise of a model)
/// clamps to 0. Throws std::domain_error for NaN (a model bug) and LimitError for +inf or
/// s ≥ kMaxSeconds (the duration does not fit the clock).
inline SimTime from_seconds(double s) {
  if (std::isnan(s)) throw std::domain_error("from_seconds: NaN duration (a model computed 0/0 or inf - inf)");
  if (!(s > 0.0)) return 0;
  if (!(s < kMaxSeconds)) detail::clock_overflow(s, "s");
  return static_cast<SimTime>(std::nearbyint(s * 1e9));
}

/// Nanoseconds held in a double → SimTime, truncated toward zero (as static_cast, for
/// callers that scale integer times, e.g. trace arrivals / rate_scale). Negative → 0.
/// Throws std::domain_error for NaN and LimitError for ns ≥ kMaxSeconds · 1e9 or +inf.
inline SimTime from_nanoseconds(double ns) {
  if (std::isnan(ns)) throw std::domain_error("from_nanoseconds: NaN time");
  if (!(ns > 0.0)) return 0;
  if (!(ns < kMaxSeconds * 1e9)) detail::clock_overflow(ns * 1e-9, "s");
  return static_cast<SimTime>(ns);
}

/// t + dt for dt ≥ 0 without wrapping: throws LimitError when the sum passes the clock.
inline SimTime add_time(SimTime t, SimTime dt) {
  if (dt > 0 && t > kTimeNever - 1 - dt) detail::clock_overflow(static_cast<double>(t) * 1e-9 + static_cast<double>(dt) * 1e-9, "s");
  return t + dt;
}

/// Nanoseconds → seconds (double), for output only.
inline constexpr double to_seconds(SimTime t) { return static_cast<double>(t) * 1e-9; }

}  // namespace collabsim
