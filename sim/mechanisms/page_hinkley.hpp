#pragma once
/// \file page_hinkley.hpp
/// Page–Hinkley test for a drop in the mean of a stream (Page 1954, "Continuous inspection
/// schemes", Biometrika 41; in the form of Gama et al. 2014, "A survey on concept drift
/// adaptation", ACM Comput. Surv. 46(4), §3.2): with x̄_t the running mean of x_1..x_t,
///   m_t = Σ_{i ≤ t} (x̄_i − x_i − δ),   M_t = min_{i ≤ t} m_i,
/// an alarm is raised at the first t with m_t − M_t > λ. δ (same unit as x) is the
/// magnitude of change tolerated; λ trades detection delay against false alarms. For a
/// change of the mean by Δ > δ the expected delay is about λ / (Δ − δ) observations.

#include <algorithm>
#include <cstdint>

namespace collabsim {

class PageHinkley {
 public:
  /// `delta` ≥ 0 and `lambda` > 0 in the unit of the observations.
  PageHinkley(double delta, double lambda) : delta_(delta), lambda_(lambda) {}

  /// Adds one observation; true when it raises the alarm (only the first time).
  bool add(double x) {
    ++n_;
    mean_ += (x - mean_) / static_cast<double>(n_);
    m_ += mean_ - x - delta_;
    min_ = std::min(min_, m_);
    if (!alarmed_ && m_ - min_ > lambda_) {
      alarmed_ = true;
      alarm_at_ = n_;
      return true;
    }
    return false;
  }
  bool alarmed() const { return alarmed_; }
  /// 1-based index of the observation that raised the alarm; 0 = none.
  std::int64_t alarm_at() const { return alarm_at_; }
  std::int64_t observations() const { return n_; }

 private:
  double delta_, lambda_;
  double mean_ = 0, m_ = 0, min_ = 0;
  std::int64_t n_ = 0, alarm_at_ = 0;
  bool alarmed_ = false;
};

}  // namespace collabsim
