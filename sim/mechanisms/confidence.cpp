#include "sim/mechanisms/confidence.hpp"

#include <cmath>
#include <stdexcept>

#include <boost/math/special_functions/erf.hpp>

namespace collabsim {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_quantile(double p) { return std::sqrt(2.0) * boost::math::erf_inv(2.0 * p - 1.0); }

NoisyOracleConfidence::NoisyOracleConfidence(double auroc) {
  if (!(auroc >= 0.5 && auroc < 1.0))
    throw std::invalid_argument("AUROC must be in [0.5, 1)");
  d_ = std::sqrt(2.0) * normal_quantile(auroc);
}

double NoisyOracleConfidence::draw(bool correct, RngStream& rng) const {
  const double s = rng.normal() + (correct ? d_ : 0.0);
  return normal_cdf(s - d_ / 2.0);
}

double NoisyOracleConfidence::exceed_probability(bool correct, double threshold) const {
  if (threshold <= 0) return 1.0;
  if (threshold >= 1) return 0.0;
  return 1.0 - normal_cdf(normal_quantile(threshold) + d_ / 2.0 - (correct ? d_ : 0.0));
}

}  // namespace collabsim
