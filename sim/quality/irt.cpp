#include "sim/quality/irt.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <Eigen/Dense>

#include "sim/core/rng.hpp"

namespace collabsim::quality {
namespace {

// Gaussian priors (module comment): θ ~ N(0, 1), a ~ N(1, 1), c = a·b ~ N(0, 3²).
constexpr double kThetaVar = 1.0, kAMean = 1.0, kAVar = 4.0, kCVar = 25.0;
constexpr double kMinA = 0.05, kMaxStep = 1.0;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double cap(double s) { return std::clamp(s, -kMaxStep, kMaxStep); }

}  // namespace

double IrtModel::p(std::size_t q, std::size_t m) const { return sigmoid(a[q] * (theta[m] - b[q])); }

IrtModel fit_irt(const QualityTable& t, int iterations) {
  const auto nq = static_cast<Eigen::Index>(t.num_queries()), nm = static_cast<Eigen::Index>(t.num_models());
  if (nq == 0 || nm == 0) throw std::invalid_argument("fit_irt: the table has no question or no model");
  // Y (questions × models) with a 0/1 mask of the scored cells.
  Eigen::MatrixXd y(nq, nm), w(nq, nm);
  for (Eigen::Index m = 0; m < nm; ++m)
    for (Eigen::Index q = 0; q < nq; ++q) {
      const bool has = t.has_score(static_cast<std::size_t>(q), static_cast<std::size_t>(m));
      w(q, m) = has ? 1.0 : 0.0;
      y(q, m) = has ? t.score(static_cast<std::size_t>(q), static_cast<std::size_t>(m)) : 0.0;
    }
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(nm), a = Eigen::VectorXd::Ones(nq), c = Eigen::VectorXd::Zero(nq);
  // Start θ at the logit of each model's accuracy, c at minus the logit of each question's.
  for (Eigen::Index m = 0; m < nm; ++m) {
    const double acc = std::clamp((y.col(m).array() * w.col(m).array()).sum() / std::max(1.0, w.col(m).sum()), 0.01, 0.99);
    theta(m) = std::log(acc / (1 - acc));
  }
  for (Eigen::Index q = 0; q < nq; ++q) {
    const double acc = std::clamp((y.row(q).array() * w.row(q).array()).sum() / std::max(1.0, w.row(q).sum()), 0.05, 0.95);
    c(q) = -std::log(acc / (1 - acc));
  }
  Eigen::MatrixXd r(nq, nm), v(nq, nm);  // residual y − p and variance p(1 − p), masked
  auto residuals = [&] {
    for (Eigen::Index m = 0; m < nm; ++m)
      for (Eigen::Index q = 0; q < nq; ++q) {
        const double p = sigmoid(a(q) * theta(m) - c(q));
        r(q, m) = w(q, m) * (y(q, m) - p);
        v(q, m) = w(q, m) * p * (1 - p);
      }
  };
  for (int it = 0; it < iterations; ++it) {
    residuals();
    // Abilities: d/dθ_m = Σ_q a_q r_qm − θ_m/σ², d²/dθ_m² = −Σ_q a_q² v_qm − 1/σ².
    const Eigen::VectorXd g = r.transpose() * a - theta / kThetaVar;
    const Eigen::VectorXd h = v.transpose() * a.cwiseProduct(a) + Eigen::VectorXd::Constant(nm, 1.0 / kThetaVar);
    for (Eigen::Index m = 0; m < nm; ++m) theta(m) += cap(g(m) / h(m));
    residuals();
    // Items: logit = a θ − c, x = (θ_m, −1); gradient Σ_m r x − prior, Hessian −Σ_m v x xᵀ − prior.
    for (Eigen::Index q = 0; q < nq; ++q) {
      Eigen::Vector2d grad(-(a(q) - kAMean) / kAVar, -c(q) / kCVar);
      Eigen::Matrix2d info;
      info << 1.0 / kAVar, 0.0, 0.0, 1.0 / kCVar;
      for (Eigen::Index m = 0; m < nm; ++m) {
        const Eigen::Vector2d x(theta(m), -1.0);
        grad += r(q, m) * x;
        info += v(q, m) * x * x.transpose();
      }
      const Eigen::Vector2d step = info.ldlt().solve(grad);
      a(q) = std::max(kMinA, a(q) + cap(step(0)));
      c(q) += cap(step(1));
    }
  }
  // Calibration: the joint MAP matches a-weighted column sums; a final 1-D Newton solve per
  // model moves θ_m so that Σ_q p_qm = Σ_q y_qm over its scored questions (each model's
  // expected accuracy equals its observed accuracy), items held.
  for (Eigen::Index m = 0; m < nm; ++m)
    for (int k = 0; k < 20; ++k) {
      double f = 0, df = 0;
      for (Eigen::Index q = 0; q < nq; ++q) {
        if (w(q, m) == 0) continue;
        const double p = sigmoid(a(q) * theta(m) - c(q));
        f += y(q, m) - p;
        df += a(q) * p * (1 - p);
      }
      if (df <= 0) break;
      theta(m) += cap(f / df);
    }
  IrtModel out;
  out.theta.assign(theta.data(), theta.data() + nm);
  out.a.assign(a.data(), a.data() + nq);
  out.b.resize(static_cast<std::size_t>(nq));
  for (Eigen::Index q = 0; q < nq; ++q) out.b[static_cast<std::size_t>(q)] = c(q) / a(q);
  return out;
}

}  // namespace collabsim::quality

namespace collabsim::quality {

QualityTable draw_irt(const QualityTable& t, const IrtModel& model, std::uint64_t seed) {
  if (model.theta.size() != t.num_models() || model.a.size() != t.num_queries() || model.b.size() != t.num_queries())
    throw std::invalid_argument("draw_irt: the model was not fitted to this table");
  QualityTable s;
  s.file_ = t.file_;
  s.line_ = t.line_;
  s.models_ = t.models_;
  s.query_id_ = t.query_id_;
  s.question_chars_ = t.question_chars_;
  s.category_ = t.category_;
  const std::size_t k = t.num_models(), n = t.num_queries();
  s.score_.assign(k, std::vector<double>(n, 0.0));
  s.pred_.resize(k);
  s.out_chars_.resize(k);
  s.cost_.resize(k);
  s.out_tokens_.resize(k);
  for (std::size_t q = 0; q < n; ++q) {
    RngStream rng(seed, "irt_draw", q);
    for (std::size_t m = 0; m < k; ++m) s.score_[m][q] = rng.uniform() < model.p(q, m) ? 1.0 : 0.0;
  }
  return s;
}

}  // namespace collabsim::quality
