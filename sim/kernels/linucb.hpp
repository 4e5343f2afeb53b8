#pragma once
/// \file linucb.hpp
/// LinUCB with disjoint linear models (Li, Chu, Langford & Schapire, WWW 2010, Alg. 1):
/// per arm a, A_a = I + Σ x xᵀ and b_a = Σ r x; choose argmax θ_aᵀx + α·sqrt(xᵀA_a⁻¹x)
/// with θ_a = A_a⁻¹ b_a. A_a⁻¹ is kept up to date by the Sherman–Morrison formula, so a
/// choice costs O(K d²) and an update O(d²). Ties go to the lowest arm index.

#include <Eigen/Dense>
#include <vector>

namespace collabsim::kernels {

class LinUcb {
 public:
  /// `arms` ≥ 1, `dim` ≥ 1, `alpha` ≥ 0 (exploration width).
  LinUcb(int arms, int dim, double alpha);
  /// Arm with the highest upper confidence bound for context `x` (size dim).
  int choose(const Eigen::VectorXd& x) const;
  /// Upper confidence bound of `arm` for `x`.
  double ucb(int arm, const Eigen::VectorXd& x) const;
  /// Adds the observed reward `r` of `arm` in context `x`.
  void update(int arm, const Eigen::VectorXd& x, double r);
  /// Current estimate θ_a.
  Eigen::VectorXd theta(int arm) const { return a_inv_[arm] * b_[arm]; }
  int arms() const { return static_cast<int>(b_.size()); }

 private:
  double alpha_;
  std::vector<Eigen::MatrixXd> a_inv_;
  std::vector<Eigen::VectorXd> b_;
};

}  // namespace collabsim::kernels
