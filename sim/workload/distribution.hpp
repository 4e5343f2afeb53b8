#pragma once
/// \file distribution.hpp
/// Positive random variates given by their mean and coefficient of variation (cv =
/// standard deviation / mean), the parameterisation queueing models use: inter-arrival
/// gaps, service times and think times of generated workloads (docs/WORKLOADS.md).
///
/// | kind          | parameters from (mean m, cv c)                                    |
/// |---------------|-------------------------------------------------------------------|
/// | exponential   | rate 1/m (c is 1 by definition)                                   |
/// | deterministic | always m (c is 0)                                                 |
/// | gamma         | shape k = 1/c², scale θ = m/k                                     |
/// | weibull       | shape k solving Γ(1+2/k)/Γ(1+1/k)² − 1 = c², scale λ = m/Γ(1+1/k) |
/// | lognormal     | σ² = ln(1 + c²), μ = ln m − σ²/2                                  |
///
/// Samplers: exponential by inversion; gamma by Marsaglia & Tsang (ACM TOMS 26(3), 2000),
/// with the k < 1 boost X·U^(1/k) of the same paper; Weibull by inversion
/// λ(−ln(1−U))^(1/k); lognormal as exp(μ + σZ) with RngStream::normal. All draws come
/// from RngStream, so results are bit-identical across standard libraries.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/rng.hpp"

namespace collabsim::workload {

enum class DistKind { Exponential, Deterministic, Gamma, Weibull, Lognormal };

/// Name ↔ kind: "exponential", "deterministic", "gamma", "weibull", "lognormal".
std::string_view dist_name(DistKind k);
/// std::invalid_argument for an unknown name.
DistKind dist_kind(std::string_view name);

/// Smallest and largest cv accepted for gamma, weibull and lognormal: the Weibull shape
/// solve is bracketed by k ∈ [0.05, 500], which covers cv ∈ [0.003, 4.5e3]; 0.01..100 is
/// far inside it.
inline constexpr double kMinCv = 0.01, kMaxCv = 100.0;

class Distribution {
 public:
  /// `mean` > 0 (any unit); `cv` in [kMinCv, kMaxCv] for gamma, weibull and lognormal
  /// (ignored for exponential and deterministic). Throws std::invalid_argument otherwise.
  Distribution(DistKind kind, double mean, double cv);
  /// One variate (≥ 0, in the unit of the mean).
  double sample(RngStream& rng) const;
  DistKind kind() const { return kind_; }
  double mean() const { return mean_; }
  /// The coefficient of variation of the variates (1 for exponential, 0 for deterministic).
  double cv() const;

 private:
  DistKind kind_;
  double mean_, cv_;
  double shape_ = 1, scale_ = 1;  // gamma, weibull; lognormal: shape_ = σ, scale_ = μ
};

/// Gamma(shape k, scale 1) variate, k > 0 (Marsaglia & Tsang 2000).
double sample_gamma(RngStream& rng, double shape);
/// The Weibull shape k whose cv is `cv` (bisection on ln k over [0.05, 500] to 1e-12
/// relative; the cv is strictly decreasing in k). std::invalid_argument outside
/// [kMinCv, kMaxCv].
double weibull_shape_for_cv(double cv);

}  // namespace collabsim::workload
