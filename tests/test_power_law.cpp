// power_law(x, γ) (sim/core/power_law.hpp), the power model's U_compute^γ without std::pow:
// its stated error bound against std::pow on a grid, its special values, and its tables
// against std::log / std::exp2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <bit>
#include <limits>

#include "sim/core/power_law.hpp"

using namespace collabsim;

namespace {

/// The bound stated in power_law.hpp, (3 + 2·|γ·ln x|)·2^−52 against the exact value, plus
/// 2^−52 for std::pow's own error (≤ 0.52 ulp) when std::pow stands in for the exact value.
double allowed(double x, double gamma) { return (4.0 + 2.0 * std::abs(gamma * std::log(x))) * 0x1p-52; }

double relative_error(double x, double gamma) {
  const double ref = std::pow(x, gamma);
  return std::abs(power_law(x, gamma) - ref) / ref;
}

}  // namespace

TEST(PowerLaw, WithinTheStatedBoundOfStdPowOnAGrid) {
  // γ: the range device cards accept (0.1–10) and the fitted values (h100_sxm 0.7328,
  // b200 1.171); x: 40 points per decade over results in the normal range, plus the
  // power model's range of utilisations (10^−6–10) at 4000 points per decade.
  const double gammas[] = {0.1, 0.25, 0.5, 0.7328, 0.9, 1.171, 1.5, 2.0, 3.3, 10.0};
  double worst_ulps = 0;  // error / 2^−52 for results in [e^−1, e]: the tight end of the bound
  long checked = 0;
  for (double gamma : gammas) {
    const double decades = 300.0 / gamma;  // |γ·ln x| ≤ 690
    for (int i = -static_cast<int>(40 * decades); i <= static_cast<int>(40 * decades); ++i) {
      const double x = std::pow(10.0, i / 40.0) * (1.0 + 1e-3 * (i % 7));
      if (std::abs(gamma * std::log(x)) > 700) continue;
      ASSERT_LE(relative_error(x, gamma), allowed(x, gamma)) << "x = " << x << ", gamma = " << gamma;
      ++checked;
    }
    for (int i = -24000; i <= 4000; ++i) {
      const double x = std::pow(10.0, i / 4000.0) * (1.0 + 1e-4 * (i % 13));
      const double err = relative_error(x, gamma);
      ASSERT_LE(err, allowed(x, gamma)) << "x = " << x << ", gamma = " << gamma;
      if (std::abs(gamma * std::log(x)) <= 1) worst_ulps = std::max(worst_ulps, err / 0x1p-52);
      ++checked;
    }
  }
  EXPECT_GT(checked, 250000);
  EXPECT_LE(worst_ulps, 4.0);  // measured 1.9; the bound's 3 + 2·1, less std::pow's 0.52 + margin
}

TEST(PowerLaw, ExactAtOneAndPowersOfTwoWithIntegerResults) {
  for (double gamma : {0.1, 0.7328, 1.171, 10.0}) EXPECT_EQ(power_law(1.0, gamma), 1.0);
  EXPECT_EQ(power_law(4.0, 0.5), 2.0);
  EXPECT_EQ(power_law(0x1p-20, 0.5), 0x1p-10);
  EXPECT_EQ(power_law(2.0, 10.0), 1024.0);
}

TEST(PowerLaw, SpecialValuesAndSubnormals) {
  EXPECT_EQ(power_law(0.0, 0.7328), 0.0);
  EXPECT_EQ(power_law(std::numeric_limits<double>::infinity(), 0.5), std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(power_law(-1.0, 0.5)));
  EXPECT_TRUE(std::isnan(power_law(std::numeric_limits<double>::quiet_NaN(), 0.5)));
  for (double x : {1e-310, 4.9e-324, 2.2e-308}) {  // subnormal inputs, normal results
    EXPECT_LE(relative_error(x, 0.5), allowed(x, 0.5)) << x;
    EXPECT_LE(relative_error(x, 0.1), allowed(x, 0.1)) << x;
  }
  EXPECT_EQ(power_law(1e300, 10.0), std::numeric_limits<double>::infinity());  // overflows
  EXPECT_EQ(power_law(1e-300, 10.0), 0.0);                                    // underflows
  // |γ·ln x| in (708, 709.8]: the squared half-range path.
  const double x = std::exp(709.0 / 3.0);
  EXPECT_LE(relative_error(x, 3.0), 2 * allowed(x, 3.0));
}

TEST(PowerLaw, TablesMatchTheLibraryWithinAnUlp) {
  using power_law_detail::kExp2;
  using power_law_detail::kLog;
  for (int i = 0; i < 128; ++i) {
    const auto& e = kLog[i];
    EXPECT_LE(std::abs(e.invc * e.c - 1.0), 0x1p-52) << i;
    EXPECT_LE(std::abs(e.logc - std::log(e.c)), std::abs(std::nextafter(e.logc, 0.0) - e.logc) + 1e-300) << i;
    const double t = std::bit_cast<double>(kExp2[i] + (static_cast<std::uint64_t>(i) << 45));
    EXPECT_LE(std::abs(t - std::exp2(i / 128.0)), 0x1p-52) << i;
  }
}
