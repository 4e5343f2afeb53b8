#include "sim/results/stats.hpp"

#include <cmath>
#include <limits>

#include <boost/math/distributions/students_t.hpp>

namespace collabsim {

MeanCi mean_ci95(const std::vector<double>& values) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  MeanCi r;
  double sum = 0;
  for (double v : values)
    if (!std::isnan(v)) {
      sum += v;
      ++r.n;
    }
  if (r.n == 0) return MeanCi{0, nan, nan, nan, nan};
  r.mean = sum / r.n;
  if (r.n < 2) {
    r.sd = r.lo = r.hi = nan;
    return r;
  }
  double ss = 0;
  for (double v : values)
    if (!std::isnan(v)) ss += (v - r.mean) * (v - r.mean);
  r.sd = std::sqrt(ss / (r.n - 1));
  const boost::math::students_t dist(r.n - 1);
  const double t = boost::math::quantile(dist, 0.975);
  const double half = t * r.sd / std::sqrt(static_cast<double>(r.n));
  r.lo = r.mean - half;
  r.hi = r.mean + half;
  return r;
}

}  // namespace collabsim
