#include "sim/kernels/linucb.hpp"

#include <cmath>
#include <stdexcept>

namespace collabsim::kernels {

LinUcb::LinUcb(int arms, int dim, double alpha) : alpha_(alpha) {
  if (arms < 1 || dim < 1 || alpha < 0) throw std::invalid_argument("LinUcb: arms, dim ≥ 1 and alpha ≥ 0");
  a_inv_.assign(arms, Eigen::MatrixXd::Identity(dim, dim));
  b_.assign(arms, Eigen::VectorXd::Zero(dim));
}

double LinUcb::ucb(int a, const Eigen::VectorXd& x) const {
  const Eigen::VectorXd ax = a_inv_[a] * x;
  return (a_inv_[a] * b_[a]).dot(x) + alpha_ * std::sqrt(std::max(0.0, x.dot(ax)));
}

int LinUcb::choose(const Eigen::VectorXd& x) const {
  int best = 0;
  double best_u = ucb(0, x);
  for (int a = 1; a < arms(); ++a) {
    const double u = ucb(a, x);
    if (u > best_u) best = a, best_u = u;
  }
  return best;
}

void LinUcb::update(int a, const Eigen::VectorXd& x, double r) {
  // Sherman–Morrison: (A + x xᵀ)⁻¹ = A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x).
  const Eigen::VectorXd ax = a_inv_[a] * x;
  a_inv_[a].noalias() -= (ax * ax.transpose()) / (1.0 + x.dot(ax));
  b_[a] += r * x;
}

}  // namespace collabsim::kernels
