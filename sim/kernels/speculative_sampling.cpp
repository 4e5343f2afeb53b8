#include "sim/kernels/speculative_sampling.hpp"

#include <algorithm>

namespace collabsim::kernels {
namespace {
Eigen::VectorXf next_dist(const CharLm& m, const std::string& text) {
  std::vector<std::uint8_t> ctx;
  m.context_at(text, text.size(), ctx);
  return m.predict(ctx, 1).col(0);
}
}  // namespace

int sample(const Eigen::VectorXf& p, RngStream& rng) {
  const double u = rng.uniform() * static_cast<double>(p.sum());
  double acc = 0;
  for (int i = 0; i < p.size(); ++i) {
    acc += p(i);
    if (u < acc) return i;
  }
  for (int i = static_cast<int>(p.size()) - 1; i >= 0; --i)
    if (p(i) > 0) return i;
  return 0;
}

double overlap(const CharLm& target, const CharLm& draft, const std::string& prefix) {
  return next_dist(target, prefix).cwiseMin(next_dist(draft, prefix)).sum();
}

SpeculativeRound speculative_round(const CharLm& target, const CharLm& draft, const std::string& prefix, int gamma,
                                   RngStream& rng) {
  // Draft γ bytes autoregressively.
  std::string text = prefix;
  std::vector<Eigen::VectorXf> q;
  for (int i = 0; i < gamma; ++i) {
    q.push_back(next_dist(draft, text));
    text.push_back(static_cast<char>(sample(q.back(), rng)));
  }
  // Target distributions for all γ + 1 prefixes in one batch.
  std::vector<std::uint8_t> ctx;
  for (int i = 0; i <= gamma; ++i) target.context_at(text, prefix.size() + i, ctx);
  const Eigen::MatrixXf P = target.predict(ctx, gamma + 1);
  SpeculativeRound r;
  for (int i = 0; i < gamma; ++i) {
    const int x = static_cast<unsigned char>(text[prefix.size() + i]);
    ++r.judged;
    const double ratio = q[i](x) > 0 ? P(x, i) / q[i](x) : 1.0;
    if (rng.uniform() < std::min(1.0, ratio)) {
      r.emitted.push_back(static_cast<char>(x));
      ++r.accepted;
      continue;
    }
    const Eigen::VectorXf residual = (P.col(i) - q[i]).cwiseMax(0.0f);
    r.emitted.push_back(static_cast<char>(sample(residual.sum() > 0 ? residual : Eigen::VectorXf(P.col(i)), rng)));
    return r;
  }
  r.emitted.push_back(static_cast<char>(sample(P.col(gamma), rng)));
  return r;
}

}  // namespace collabsim::kernels
