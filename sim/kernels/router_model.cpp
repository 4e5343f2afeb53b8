#include "sim/kernels/router_model.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "sim/core/rng.hpp"

namespace collabsim::kernels {

RouterModel::RouterModel(std::uint32_t dim, int hidden, std::uint64_t seed) : dim_(dim), hidden_(hidden) {
  RngStream rng(seed, "router_init");
  if (hidden_ > 0) {
    W1.resize(hidden_, dim_);
    const float scale = std::sqrt(2.0f / 64.0f);  // He init for ~64 active inputs
    for (Eigen::Index j = 0; j < W1.cols(); ++j)
      for (Eigen::Index i = 0; i < W1.rows(); ++i) W1(i, j) = static_cast<float>(rng.normal()) * scale;
    b1 = Eigen::VectorXf::Zero(hidden_);
    w2.resize(hidden_);
    for (int i = 0; i < hidden_; ++i) w2(i) = static_cast<float>(rng.normal()) * std::sqrt(1.0f / hidden_);
    mW1 = vW1 = Eigen::MatrixXf::Zero(hidden_, dim_);
    mb1 = vb1 = Eigen::VectorXf::Zero(hidden_);
    mw2 = vw2 = Eigen::VectorXf::Zero(hidden_);
  } else {
    w2 = Eigen::VectorXf::Zero(dim_);
    mw2 = vw2 = Eigen::VectorXf::Zero(dim_);
  }
}

double RouterModel::predict(const SparseVector& x) const {
  double z = b2;
  if (hidden_ > 0) {
    Eigen::VectorXf h = b1;
    // Each input touches one W1 column (hidden floats) at a random place in a table of
    // 2^hash_bits columns, far larger than the caches: prefetch a few columns ahead so the
    // misses overlap instead of queueing.
    constexpr std::size_t kAhead = 8;
    const std::size_t n = x.index.size();
    for (std::size_t k = 0; k < std::min(n, kAhead); ++k) prefetch_column(x.index[k]);
    for (std::size_t k = 0; k < n; ++k) {
      if (k + kAhead < n) prefetch_column(x.index[k + kAhead]);
      h.noalias() += W1.col(x.index[k]) * x.value[k];
    }
    z += h.cwiseMax(0.0f).dot(w2);
  } else {
    for (std::size_t k = 0; k < x.index.size(); ++k) z += w2(x.index[k]) * x.value[k];
  }
  return 1.0 / (1.0 + std::exp(-z));
}

double RouterModel::train_step(const std::vector<const SparseVector*>& batch, const std::vector<float>& labels,
                               float lr, float l2) {
  constexpr float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  ++step_;
  const float c1 = 1.0f - std::pow(beta1, static_cast<float>(step_));
  const float c2 = 1.0f - std::pow(beta2, static_cast<float>(step_));
  const float inv_n = 1.0f / static_cast<float>(batch.size());
  auto adam = [&](float& w, float& m, float& v, float g) {
    g += l2 * w;
    m = beta1 * m + (1 - beta1) * g;
    v = beta2 * v + (1 - beta2) * g * g;
    w -= lr * (m / c1) / (std::sqrt(v / c2) + eps);
  };
  double loss = 0;
  if (hidden_ > 0) {
    Eigen::VectorXf gb1 = Eigen::VectorXf::Zero(hidden_), gw2 = Eigen::VectorXf::Zero(hidden_);
    float gb2 = 0;
    // Sparse first-layer gradient: per touched column.
    std::vector<std::pair<std::uint32_t, Eigen::VectorXf>> gcols;
    std::unordered_map<std::uint32_t, std::size_t> slot;
    for (std::size_t n = 0; n < batch.size(); ++n) {
      const SparseVector& x = *batch[n];
      Eigen::VectorXf pre = b1;
      for (std::size_t k = 0; k < x.index.size(); ++k) pre.noalias() += W1.col(x.index[k]) * x.value[k];
      const Eigen::VectorXf h = pre.cwiseMax(0.0f);
      const double z = h.dot(w2) + b2;
      const double p = 1.0 / (1.0 + std::exp(-z));
      loss -= labels[n] > 0.5f ? std::log(std::max(p, 1e-12)) : std::log(std::max(1.0 - p, 1e-12));
      const float dz = static_cast<float>(p - labels[n]) * inv_n;
      gw2 += dz * h;
      gb2 += dz;
      const Eigen::VectorXf dh = (dz * w2).cwiseProduct((pre.array() > 0.0f).cast<float>().matrix());
      gb1 += dh;
      for (std::size_t k = 0; k < x.index.size(); ++k) {
        auto [it, fresh] = slot.emplace(x.index[k], gcols.size());
        if (fresh) gcols.emplace_back(x.index[k], Eigen::VectorXf::Zero(hidden_));
        gcols[it->second].second += dh * x.value[k];
      }
    }
    for (auto& [j, g] : gcols)
      for (int i = 0; i < hidden_; ++i) adam(W1(i, j), mW1(i, j), vW1(i, j), g(i));
    for (int i = 0; i < hidden_; ++i) {
      adam(b1(i), mb1(i), vb1(i), gb1(i));
      adam(w2(i), mw2(i), vw2(i), gw2(i));
    }
    adam(b2, mb2, vb2, gb2);
  } else {
    std::unordered_map<std::uint32_t, float> g;
    float gb2 = 0;
    for (std::size_t n = 0; n < batch.size(); ++n) {
      const double p = predict(*batch[n]);
      loss -= labels[n] > 0.5f ? std::log(std::max(p, 1e-12)) : std::log(std::max(1.0 - p, 1e-12));
      const float dz = static_cast<float>(p - labels[n]) * inv_n;
      gb2 += dz;
      for (std::size_t k = 0; k < batch[n]->index.size(); ++k) g[batch[n]->index[k]] += dz * batch[n]->value[k];
    }
    // Deterministic order of updates (unordered_map iteration order is not part of the result:
    // each coordinate is updated independently).
    for (auto& [j, gj] : g) adam(w2(j), mw2(j), vw2(j), gj);
    adam(b2, mb2, vb2, gb2);
  }
  return loss / static_cast<double>(batch.size());
}

}  // namespace collabsim::kernels
