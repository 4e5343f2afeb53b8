#pragma once
/// \file irt.hpp
/// Two-parameter logistic item response model (2PL; Birnbaum 1968, in Lord & Novick,
/// "Statistical Theories of Mental Test Scores", ch. 17) fitted to a QualityTable, and a
/// generator of synthetic question outcomes from it:
///   P(model m answers question q correctly) = sigmoid(a_q (θ_m − b_q)),
/// θ_m the model's ability, a_q > 0 the question's discrimination, b_q its difficulty.
///
/// Fit (fit_irt): joint maximum a posteriori with Gaussian priors θ ~ N(0, 1),
/// a ~ N(1, 1), c = a·b ~ N(0, 3²) (the slope–intercept form a θ − c), by alternating
/// Newton steps: one Newton step per model on θ_m with the items held, then one 2×2 Newton
/// step per question on (a_q, c_q) with the abilities held, `iterations` times. Steps are
/// capped at 1 per coordinate and a is kept ≥ 0.05. Then each θ_m is calibrated (1-D
/// Newton, items held) so that the model's expected accuracy Σ_q p_qm equals its observed
/// one (the joint MAP alone matches a-weighted sums and misses by up to 2.4 points). Blank cells are left out of the
/// likelihood; a fractional score y counts as y successes of one trial. Deterministic (no
/// random draws; fixed order). Details and measured fit: docs/QUALITY.md.

#include <cstdint>
#include <vector>

#include "sim/quality/quality_table.hpp"

namespace collabsim::quality {

struct IrtModel {
  std::vector<double> theta;  ///< per model (table column order), logits
  std::vector<double> a;      ///< per question (table row order), > 0
  std::vector<double> b;      ///< per question, logits
  /// P(correct) of model m on question q.
  double p(std::size_t q, std::size_t m) const;
};

/// Fits the 2PL model to every loaded column of `t`. Throws std::invalid_argument for a
/// table with no model or no question.
IrtModel fit_irt(const QualityTable& t, int iterations = 60);

/// A synthetic table with `t`'s models, question ids, categories and question lengths, each
/// score drawn as Bernoulli(model.p(q, m)) from stream (seed, "irt_draw", q); no blanks.
QualityTable draw_irt(const QualityTable& t, const IrtModel& model, std::uint64_t seed);

}  // namespace collabsim::quality
