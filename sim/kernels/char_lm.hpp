#pragma once
/// \file char_lm.hpp
/// A byte-level neural language model (Bengio et al., JMLR 2003): the previous `context`
/// bytes are embedded (256 × emb each), concatenated, passed through one tanh hidden layer
/// and a softmax over the next byte. Small enough to train in minutes on 2 cores; the
/// teacher is wider and sees more context than the student. The student can be distilled
/// from the teacher with temperature-softened targets (Hinton, Vinyals & Dean 2015):
///   loss = (1 − λ)·CE(y, p_s) + λ·T²·KL(q_t^T ‖ p_s^T),  ∂/∂z_s = (1 − λ)(p_s − y) + λT(p_s^T − q_t^T).
///
/// Shapes: E 256 × emb, W1 hidden × (context·emb), b1 hidden, W2 256 × hidden, b2 256.
/// Forward FLOPs per position: 2·hidden·context·emb + 2·256·hidden (+ tanh and softmax).
/// Batched forward runs as two GEMMs on Eigen.

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

namespace collabsim::kernels {

struct CharLmShape {
  int context = 8;   ///< bytes of context
  int emb = 16;      ///< embedding width per byte
  int hidden = 128;  ///< hidden units
};

class CharLm {
 public:
  CharLm() = default;
  CharLm(CharLmShape shape, std::uint64_t seed);

  const CharLmShape& shape() const { return s_; }
  /// FLOPs of one forward position (the two matrix products).
  double flops_per_position() const {
    return 2.0 * s_.hidden * s_.context * s_.emb + 2.0 * 256.0 * s_.hidden;
  }

  /// Next-byte distributions for a batch of contexts: `contexts` holds B·context bytes
  /// (oldest first per row). Returns 256 × B probabilities (columns sum to 1).
  Eigen::MatrixXf predict(const std::vector<std::uint8_t>& contexts, int batch, float temperature = 1.0f) const;

  /// Logits 256 × B for a batch (see predict).
  Eigen::MatrixXf logits(const std::vector<std::uint8_t>& contexts, int batch) const;

  /// One Adam step on B positions with targets `next` (B bytes). With `teacher_probs`
  /// (256 × B, teacher softmax at `temperature`) and `lambda` > 0 the distillation loss is
  /// used. Returns the mean cross-entropy on the true bytes (nats).
  double train_step(const std::vector<std::uint8_t>& contexts, const std::vector<std::uint8_t>& next, float lr,
                    const Eigen::MatrixXf* teacher_probs = nullptr, float temperature = 1.0f, float lambda = 0.0f);

  /// Bits per byte on `text` (every position, up to `max_positions`, evenly spaced).
  double bits_per_byte(const std::string& text, std::size_t max_positions = 200000) const;

  /// Context bytes for position `i` of `text` (zeros before the start) appended to `out`.
  void context_at(const std::string& text, std::size_t i, std::vector<std::uint8_t>& out) const;

  // Parameters (public for saving/loading).
  Eigen::MatrixXf E, W1, W2;
  Eigen::VectorXf b1, b2;

 private:
  Eigen::MatrixXf gather(const std::vector<std::uint8_t>& contexts, int batch) const;
  CharLmShape s_;
  Eigen::MatrixXf mE, vE, mW1, vW1, mW2, vW2;
  Eigen::VectorXf mb1, vb1, mb2, vb2;
  std::int64_t step_ = 0;
};

/// Column-wise softmax of logits / temperature.
Eigen::MatrixXf softmax_columns(const Eigen::MatrixXf& z, float temperature = 1.0f);

}  // namespace collabsim::kernels
