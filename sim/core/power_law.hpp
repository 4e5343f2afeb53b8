#pragma once
/// \file power_law.hpp
/// x^γ for x ≥ 0 and a fixed exponent γ > 0 (the power model's U_compute^γ,
/// DeviceSpec::activity), computed as exp(γ·ln x) from two 128-entry tables and short
/// polynomials instead of std::pow: ~65 instructions inlined against glibc's ~125 per call
/// (callgrind, issue 26), and the same bits on every platform and standard library (only
/// +, −, × and table reads; no libm).
///
/// Error bound (issue 26's tolerance route): relative error ≤ (3 + 2·|γ·ln x|)·2^−52 against
/// the exact value for results in the normal range (|γ·ln x| ≤ 708): ≤ 1.2e-15 for results
/// in [e^−1, e], ≤ 8.1e-15 for x in [10^−6, 10] and γ ≤ 1.2 (the power model's range). The
/// |γ·ln x| term is the rounding of ln x and of γ·ln x in doubles. Checked against std::pow
/// on a grid of x and γ by tests/test_power_law.cpp (PowerLaw.*; measured there: ≤ 1.9 ulp
/// for results in [e^−1, e], ≤ 1.8·|γ·ln x| ulp beyond). glibc's pow is within 0.52 ulp, so
/// this is a few ulp looser but deterministic and portable.
/// Method: ln x = k·ln 2 + ln c + ln(1 + r), r = (z − c)/c with z the mantissa scaled to
/// [0.707, 1.414), c the middle of z's 1/128 interval (z − c exact by Sterbenz's lemma),
/// ln(1 + r) by its Taylor series to r^7 (|r| < 0.0055); exp(y) = 2^(j/128)·2^e·exp(r'),
/// |r'| ≤ ln 2/256, exp(r') − 1 by Taylor to r'^5 (the layout of ARM's optimized-routines
/// log and exp, Szabolcs Nagy, MIT/Apache-2.0; tables from sim/core/power_law_tables.py,
/// exact decimal arithmetic).

#include <bit>
#include <cstdint>
#include <limits>

namespace collabsim {

namespace power_law_detail {
/// One interval of the log table: c (its middle, 20 significant bits), 1/c and ln c
/// (both rounded to nearest).
struct LogEntry {
  double c;
  double invc;
  double logc;
};
extern const LogEntry kLog[128];        ///< ln c per 1/128 interval of [0.707, 1.414)
extern const std::uint64_t kExp2[128];  ///< bits of 2^(j/128) minus (j << 45)

/// exp(y) for |y| ≤ 708 (the result is a normal double); relative error ≤ 1.5 ulp.
inline double exp_normal(double y) {
  constexpr double inv_ln2_n = 0x1.71547652b82fep+7;  // 128/ln 2
  constexpr double ln2_n_hi = 0x1.62e42ff000000p-8;   // ln 2/128, 33 bits: kd·hi exact
  constexpr double ln2_n_lo = -0x1.718432a1b0e26p-42;
  constexpr double shift = 0x1.8p52;  // kd + shift rounds kd to an integer in the low bits
  double kd = y * inv_ln2_n + shift;
  const std::uint64_t ki = std::bit_cast<std::uint64_t>(kd);
  kd -= shift;
  const double r = (y - kd * ln2_n_hi) - kd * ln2_n_lo;
  const double r2 = r * r;
  const double tail = r + r2 * (0.5 + r * (0x1.5555555555555p-3 + r * (0x1.5555555555555p-5 + r * 0x1.1111111111111p-7)));
  const double scale = std::bit_cast<double>(kExp2[ki % 128] + (ki << 45));
  return scale + scale * tail;
}
}  // namespace power_law_detail

/// x^γ (x ≥ 0 in any units; γ > 0, finite): 0 for x = 0, +inf for x = +inf, NaN for a
/// negative or NaN x; subnormal x handled exactly. Error bound in the file comment.
inline double power_law(double x, double gamma) {
  using namespace power_law_detail;
  constexpr double ln2_hi = 0x1.62e42ff000000p-1;  // 33 bits: k·hi exact for |k| ≤ 1100
  constexpr double ln2_lo = -0x1.718432a1b0e26p-35;
  constexpr std::uint64_t off = 0x3fe6955500000000;  // mantissas z in [0x1.6a55p-1, 0x1.6a55p+0)
  std::uint64_t ix = std::bit_cast<std::uint64_t>(x);
  if ((ix >> 52) - 1 >= 0x7fe) [[unlikely]] {  // 0, subnormal, negative, inf or NaN
    if (x == 0) return 0.0;
    if (!(x > 0)) return std::numeric_limits<double>::quiet_NaN();
    if (x == std::numeric_limits<double>::infinity()) return x;
    ix = std::bit_cast<std::uint64_t>(x * 0x1p52) - (52ULL << 52);  // subnormal: scale, then unscale k
  }
  const std::uint64_t tmp = ix - off;
  const LogEntry& e = kLog[(tmp >> 45) % 128];
  const double k = static_cast<double>(static_cast<std::int64_t>(tmp) >> 52);
  const double z = std::bit_cast<double>(ix - (tmp & (0xfffULL << 52)));
  const double r = (z - e.c) * e.invc;
  const double p = r * r *
                   (-0.5 + r * (0x1.5555555555555p-2 +
                                r * (-0.25 + r * (0x1.999999999999ap-3 + r * (-0x1.5555555555555p-3 + r * 0x1.2492492492492p-3)))));
  const double ln_x = (k * ln2_hi + e.logc) + ((r + p) + k * ln2_lo);
  const double y = gamma * ln_x;
  if (y > 708 || y < -708) [[unlikely]] {
    if (y > 709.8) return std::numeric_limits<double>::infinity();
    if (y < -745.2) return 0.0;
    const double h = exp_normal(0.5 * y);  // near the range's ends: (e^(y/2))², 2·(1.5 ulp)
    return h * h;
  }
  return exp_normal(y);
}

}  // namespace collabsim
