#include "sim/kernels/char_lm.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/rng.hpp"

namespace collabsim::kernels {

Eigen::MatrixXf softmax_columns(const Eigen::MatrixXf& z, float temperature) {
  Eigen::MatrixXf p = z / temperature;
  for (Eigen::Index j = 0; j < p.cols(); ++j) {
    auto c = p.col(j);
    c.array() -= c.maxCoeff();
    c = c.array().exp().matrix();
    c /= c.sum();
  }
  return p;
}

CharLm::CharLm(CharLmShape shape, std::uint64_t seed) : s_(shape) {
  RngStream rng(seed, "char_lm_init");
  auto init = [&](Eigen::MatrixXf& m, int rows, int cols, float scale) {
    m.resize(rows, cols);
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      for (Eigen::Index i = 0; i < m.rows(); ++i) m(i, j) = static_cast<float>(rng.normal()) * scale;
  };
  const int in = s_.context * s_.emb;
  init(E, 256, s_.emb, 0.1f);
  init(W1, s_.hidden, in, 1.0f / std::sqrt(static_cast<float>(in)));
  init(W2, 256, s_.hidden, 1.0f / std::sqrt(static_cast<float>(s_.hidden)));
  b1 = Eigen::VectorXf::Zero(s_.hidden);
  b2 = Eigen::VectorXf::Zero(256);
  mE = vE = Eigen::MatrixXf::Zero(256, s_.emb);
  mW1 = vW1 = Eigen::MatrixXf::Zero(s_.hidden, in);
  mW2 = vW2 = Eigen::MatrixXf::Zero(256, s_.hidden);
  mb1 = vb1 = Eigen::VectorXf::Zero(s_.hidden);
  mb2 = vb2 = Eigen::VectorXf::Zero(256);
}

Eigen::MatrixXf CharLm::gather(const std::vector<std::uint8_t>& ctx, int batch) const {
  Eigen::MatrixXf X(s_.context * s_.emb, batch);
  for (int b = 0; b < batch; ++b)
    for (int k = 0; k < s_.context; ++k)
      X.block(k * s_.emb, b, s_.emb, 1) = E.row(ctx[static_cast<std::size_t>(b) * s_.context + k]).transpose();
  return X;
}

Eigen::MatrixXf CharLm::logits(const std::vector<std::uint8_t>& ctx, int batch) const {
  const Eigen::MatrixXf X = gather(ctx, batch);
  Eigen::MatrixXf H = W1 * X;
  H.colwise() += b1;
  H = H.array().tanh().matrix();
  Eigen::MatrixXf Z = W2 * H;
  Z.colwise() += b2;
  return Z;
}

Eigen::MatrixXf CharLm::predict(const std::vector<std::uint8_t>& ctx, int batch, float temperature) const {
  return softmax_columns(logits(ctx, batch), temperature);
}

double CharLm::train_step(const std::vector<std::uint8_t>& ctx, const std::vector<std::uint8_t>& next, float lr,
                          const Eigen::MatrixXf* teacher, float T, float lambda) {
  const int B = static_cast<int>(next.size());
  const Eigen::MatrixXf X = gather(ctx, B);
  Eigen::MatrixXf H = W1 * X;
  H.colwise() += b1;
  H = H.array().tanh().matrix();
  Eigen::MatrixXf Z = W2 * H;
  Z.colwise() += b2;
  const Eigen::MatrixXf P = softmax_columns(Z);
  double loss = 0;
  Eigen::MatrixXf dZ = P;
  for (int b = 0; b < B; ++b) {
    loss -= std::log(std::max(P(next[b], b), 1e-12f));
    dZ(next[b], b) -= 1.0f;
  }
  if (teacher && lambda > 0) {
    const Eigen::MatrixXf PT = softmax_columns(Z, T);
    dZ = (1.0f - lambda) * dZ + lambda * T * (PT - *teacher);
  }
  dZ /= static_cast<float>(B);
  const Eigen::MatrixXf dW2 = dZ * H.transpose();
  const Eigen::VectorXf db2 = dZ.rowwise().sum();
  const Eigen::MatrixXf dH = (W2.transpose() * dZ).cwiseProduct((1.0f - H.array().square()).matrix());
  const Eigen::MatrixXf dW1 = dH * X.transpose();
  const Eigen::VectorXf db1 = dH.rowwise().sum();
  const Eigen::MatrixXf dX = W1.transpose() * dH;
  Eigen::MatrixXf dE = Eigen::MatrixXf::Zero(256, s_.emb);
  for (int b = 0; b < B; ++b)
    for (int k = 0; k < s_.context; ++k)
      dE.row(ctx[static_cast<std::size_t>(b) * s_.context + k]) += dX.block(k * s_.emb, b, s_.emb, 1).transpose();
  ++step_;
  constexpr float b1c = 0.9f, b2c = 0.999f, eps = 1e-8f;
  const float c1 = 1.0f - std::pow(b1c, static_cast<float>(step_)), c2 = 1.0f - std::pow(b2c, static_cast<float>(step_));
  auto adam = [&](auto& w, auto& m, auto& v, const auto& g) {
    m = b1c * m + (1 - b1c) * g;
    v = b2c * v + (1 - b2c) * g.cwiseProduct(g);
    w.array() -= lr * (m.array() / c1) / ((v.array() / c2).sqrt() + eps);
  };
  adam(W2, mW2, vW2, dW2);
  adam(b2, mb2, vb2, db2);
  adam(W1, mW1, vW1, dW1);
  adam(b1, mb1, vb1, db1);
  adam(E, mE, vE, dE);
  return loss / B;
}

void CharLm::context_at(const std::string& text, std::size_t i, std::vector<std::uint8_t>& out) const {
  for (int k = s_.context; k > 0; --k) {
    const std::ptrdiff_t j = static_cast<std::ptrdiff_t>(i) - k;
    out.push_back(j >= 0 ? static_cast<std::uint8_t>(text[static_cast<std::size_t>(j)]) : 0);
  }
}

double CharLm::bits_per_byte(const std::string& text, std::size_t max_positions) const {
  const std::size_t n = text.size();
  const std::size_t stride = std::max<std::size_t>(1, n / max_positions);
  double bits = 0;
  std::size_t count = 0;
  std::vector<std::uint8_t> ctx;
  std::vector<std::uint8_t> next;
  auto flush = [&]() {
    if (next.empty()) return;
    const Eigen::MatrixXf P = predict(ctx, static_cast<int>(next.size()));
    for (std::size_t b = 0; b < next.size(); ++b) bits -= std::log2(std::max(P(next[b], static_cast<Eigen::Index>(b)), 1e-12f));
    count += next.size();
    ctx.clear();
    next.clear();
  };
  for (std::size_t i = 0; i < n; i += stride) {
    context_at(text, i, ctx);
    next.push_back(static_cast<std::uint8_t>(text[i]));
    if (next.size() == 512) flush();
  }
  flush();
  return count ? bits / static_cast<double>(count) : 0.0;
}

}  // namespace collabsim::kernels
