#pragma once
/// \file router_model.hpp
/// Router network on sparse text features: logistic regression (hidden = 0) or a
/// one-hidden-layer MLP with ReLU, predicting P(label | question), e.g. "the small model
/// answers right" (RouteLLM's binary router) or HybridLLM's "small within `gap` of large".
/// Trained by the project's own Adam (Kingma & Ba 2015) on binary cross-entropy; sparse
/// inputs update only the first-layer columns they touch (lazy Adam).
///
/// Shapes: W1 is hidden × dim (column-major, a column per input feature), b1 hidden,
/// w2 hidden (or dim for logistic), b2 scalar. Inference cost: 2 · hidden · nnz + 2 · hidden
/// FLOPs (MLP), 2 · nnz (logistic).

#include <Eigen/Dense>
#include <cstdint>

#include "sim/kernels/text_features.hpp"

namespace collabsim::kernels {

class RouterModel {
 public:
  RouterModel() = default;
  /// Random initialisation (He for ReLU layers) from `seed`.
  RouterModel(std::uint32_t dim, int hidden, std::uint64_t seed);

  /// Probability in (0, 1).
  double predict(const SparseVector& x) const;
  /// One Adam step on a minibatch (`labels` 0/1). Returns the mean BCE loss before the step.
  double train_step(const std::vector<const SparseVector*>& batch, const std::vector<float>& labels,
                    float learning_rate, float l2);
  /// FLOPs of one prediction with `nnz` non-zero inputs.
  double flops(std::size_t nnz) const { return hidden_ > 0 ? 2.0 * hidden_ * (nnz + 1) : 2.0 * nnz; }

  int hidden() const { return hidden_; }
  std::uint32_t dim() const { return dim_; }
  // Parameters, for saving and loading.
  Eigen::MatrixXf W1;  ///< hidden × dim (MLP only)
  Eigen::VectorXf b1;  ///< hidden
  Eigen::VectorXf w2;  ///< hidden (MLP) or dim (logistic)
  float b2 = 0;
  void set_shape(std::uint32_t dim, int hidden) { dim_ = dim, hidden_ = hidden; }

 private:
  /// Hints the cache to load W1's column `j` (all its rows, 4·hidden bytes).
  void prefetch_column(std::uint32_t j) const {
    const char* p = reinterpret_cast<const char*>(W1.data() + static_cast<std::ptrdiff_t>(j) * W1.rows());
    for (std::ptrdiff_t b = 0; b < static_cast<std::ptrdiff_t>(W1.rows() * sizeof(float)); b += 64) __builtin_prefetch(p + b);
  }
  std::uint32_t dim_ = 0;
  int hidden_ = 0;
  // Adam state.
  Eigen::MatrixXf mW1, vW1;
  Eigen::VectorXf mb1, vb1, mw2, vw2;
  float mb2 = 0, vb2 = 0;
  std::int64_t step_ = 0;
};

}  // namespace collabsim::kernels
