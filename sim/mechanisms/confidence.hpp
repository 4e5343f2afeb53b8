#pragma once
/// \file confidence.hpp
/// Noisy-oracle confidence: a stand-in for a learned confidence score with a chosen
/// discrimination (AUROC), until learned scores (kernels) replace it.
///
/// Model (binormal ROC, Swets 1979; Hanley & McNeil 1982): a latent score
///   s = Z + d·[answer correct],  Z ~ N(0, 1),  d = √2 · Φ⁻¹(AUROC),
/// so that P(s_correct > s_wrong) = Φ(d/√2) = AUROC. The reported confidence is
///   c = Φ(s − d/2) ∈ (0, 1),
/// a monotone map of s (AUROC unchanged) centred between the two classes. AUROC = 0.5
/// gives an uninformative score; AUROC → 1 separates right and wrong answers.

#include "sim/core/rng.hpp"

namespace collabsim {

class NoisyOracleConfidence {
 public:
  /// `auroc` in [0.5, 1); throws std::invalid_argument outside.
  explicit NoisyOracleConfidence(double auroc);
  /// Confidence in (0, 1) for an answer that is `correct`, drawing one normal from `rng`.
  double draw(bool correct, RngStream& rng) const;
  double separation() const { return d_; }
  /// P(c ≥ threshold) for an answer that is (or is not) `correct`: 1 − Φ(Φ⁻¹(θ) + d/2 −
  /// d·[correct]) for θ in (0, 1); 1 for θ ≤ 0, 0 for θ ≥ 1. The expected share of draws
  /// at or above a threshold (early exit's exit rate, a cascade's acceptance rate).
  double exceed_probability(bool correct, double threshold) const;

 private:
  double d_;
};

/// Standard normal CDF Φ(x).
double normal_cdf(double x);
/// Inverse standard normal CDF Φ⁻¹(p), p in (0, 1) (Boost.Math erf_inv).
double normal_quantile(double p);

}  // namespace collabsim
