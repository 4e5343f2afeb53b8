#pragma once
/// \file speculative_sampling.hpp
/// Speculative sampling with a real draft/target pair (Leviathan, Kalman & Matias, ICML
/// 2023, Algorithm 1; Chen et al. 2023): the draft q proposes γ bytes; the target p scores
/// every prefix in one batched pass; draft byte x_i is kept with probability
/// min(1, p_i(x_i)/q_i(x_i)); at the first rejection a byte is drawn from
/// norm(max(0, p_i − q_i)) and the round ends; if all γ are kept a bonus byte is drawn from
/// p_{γ+1}. The output bytes are distributed exactly as the target's own samples.
/// The expected acceptance rate α = E[Σ_x min(p(x), q(x))] (their β, averaged over contexts).

#include <string>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/kernels/char_lm.hpp"

namespace collabsim::kernels {

struct SpeculativeRound {
  std::string emitted;  ///< bytes produced this round (1 … γ+1)
  int accepted = 0;     ///< draft bytes kept
  int judged = 0;       ///< draft bytes compared (accepted + 1 on a rejection)
};

/// One round after `prefix` with `gamma` draft bytes.
SpeculativeRound speculative_round(const CharLm& target, const CharLm& draft, const std::string& prefix, int gamma,
                                   RngStream& rng);

/// β = Σ_x min(p(x), q(x)) of the two models' next-byte distributions after `prefix`.
double overlap(const CharLm& target, const CharLm& draft, const std::string& prefix);

/// Draws one byte from a probability column.
int sample(const Eigen::VectorXf& p, RngStream& rng);

}  // namespace collabsim::kernels
