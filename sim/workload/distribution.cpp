#include "sim/workload/distribution.hpp"

#include <cmath>
#include <stdexcept>

namespace collabsim::workload {

std::string_view dist_name(DistKind k) {
  switch (k) {
    case DistKind::Exponential: return "exponential";
    case DistKind::Deterministic: return "deterministic";
    case DistKind::Gamma: return "gamma";
    case DistKind::Weibull: return "weibull";
    case DistKind::Lognormal: return "lognormal";
  }
  return "?";
}

DistKind dist_kind(std::string_view name) {
  for (DistKind k : {DistKind::Exponential, DistKind::Deterministic, DistKind::Gamma, DistKind::Weibull,
                     DistKind::Lognormal})
    if (dist_name(k) == name) return k;
  throw std::invalid_argument("unknown distribution '" + std::string(name) + "'");
}

namespace {
/// cv² of a Weibull of shape k: Γ(1+2/k)/Γ(1+1/k)² − 1, through lgamma (no overflow).
double weibull_cv2(double k) { return std::exp(std::lgamma(1 + 2 / k) - 2 * std::lgamma(1 + 1 / k)) - 1; }
}  // namespace

double weibull_shape_for_cv(double cv) {
  if (!(cv >= kMinCv && cv <= kMaxCv)) throw std::invalid_argument("Weibull cv outside [0.01, 100]");
  const double target = cv * cv;
  double lo = std::log(0.05), hi = std::log(500.0);  // cv2 decreasing in k
  for (int i = 0; i < 200 && hi - lo > 1e-12; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (weibull_cv2(std::exp(mid)) > target)
      lo = mid;
    else
      hi = mid;
  }
  return std::exp(0.5 * (lo + hi));
}

double sample_gamma(RngStream& rng, double k) {
  if (k < 1) {  // Gamma(k) = Gamma(k+1) · U^(1/k)
    const double u = 1.0 - rng.uniform();  // (0, 1]
    return sample_gamma(rng, k + 1) * std::pow(u, 1 / k);
  }
  const double d = k - 1.0 / 3.0, c = 1 / std::sqrt(9 * d);
  for (;;) {
    double x, v;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = 1.0 - rng.uniform();  // (0, 1]
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1 - v + std::log(v))) return d * v;
  }
}

Distribution::Distribution(DistKind kind, double mean, double cv) : kind_(kind), mean_(mean), cv_(cv) {
  if (!(mean > 0) || !std::isfinite(mean)) throw std::invalid_argument("distribution mean must be > 0 and finite");
  const bool needs_cv = kind == DistKind::Gamma || kind == DistKind::Weibull || kind == DistKind::Lognormal;
  if (needs_cv && !(cv >= kMinCv && cv <= kMaxCv))
    throw std::invalid_argument("coefficient of variation outside [0.01, 100]");
  switch (kind) {
    case DistKind::Gamma:
      shape_ = 1 / (cv * cv);
      scale_ = mean / shape_;
      break;
    case DistKind::Weibull:
      shape_ = weibull_shape_for_cv(cv);
      scale_ = mean / std::exp(std::lgamma(1 + 1 / shape_));
      break;
    case DistKind::Lognormal:
      shape_ = std::sqrt(std::log1p(cv * cv));
      scale_ = std::log(mean) - 0.5 * shape_ * shape_;
      break;
    default: break;
  }
}

double Distribution::cv() const {
  switch (kind_) {
    case DistKind::Exponential: return 1;
    case DistKind::Deterministic: return 0;
    default: return cv_;
  }
}

double Distribution::sample(RngStream& rng) const {
  switch (kind_) {
    case DistKind::Exponential: return rng.exponential(mean_);
    case DistKind::Deterministic: return mean_;
    case DistKind::Gamma: return sample_gamma(rng, shape_) * scale_;
    case DistKind::Weibull: return scale_ * std::pow(-std::log1p(-rng.uniform()), 1 / shape_);
    case DistKind::Lognormal: return std::exp(scale_ + shape_ * rng.normal());
  }
  return mean_;
}

}  // namespace collabsim::workload
