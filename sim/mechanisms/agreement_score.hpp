#pragma once
/// \file agreement_score.hpp
/// Data-grounded confidence for cascades: agreement between the stage model's actual
/// answer and the answers of other models on the same question, read from the quality
/// table's `<model>|pred` columns (MMLU-Pro eval_results: each model's chosen option).
///
/// Consistency-based cascades (Yue et al. 2024, "Large Language Model Cascades with
/// Mixture of Thoughts Representations for Cost-efficient Reasoning", ICLR 2024) accept a
/// weak model's answer when several sampled answers agree; self-consistency (Wang et al.
/// 2023) uses the same vote. The table holds one answer per model, so `voters` (other small
/// models of the table) stand in for the extra samples:
///
///   confidence = (A + U) / (n + 1) ∈ [0, 1),   A = |{v ∈ voters : pred_v(q) = pred_stage(q)}|
///
/// with n voters (the stage's own column excluded), a blank or missing prediction agreeing
/// with nothing, and U ~ Uniform(0, 1) from the stream (seed, "agreement_tie", request):
/// more agreement always scores higher, and the random tie-break inside one vote count
/// lets a threshold (and target_large_share calibration) reach any large-model share
/// rather than only the n + 1 shares of the bare vote count. Assumption, stated: k samples of
/// one model disagree about as often as k similar-size models do; the AUROC the score
/// reaches on the run's requests is measured and written to /mechanism
/// (`agreement_auroc`), not assumed. Phi-3-mini with the default four 7–8B instruct voters
/// reaches 0.790 on all 12,032 MMLU-Pro questions (docs/MECHANISMS.md).
///
/// Cost (`voter_cost`): "sample" (default) charges one extra generation per voter on the
/// stage's own deployment (same prompt and output length, run concurrently, as sampling k
/// answers would be); "none" makes the votes free (an upper bound on the benefit).

#include <cstddef>
#include <string>
#include <vector>

#include "sim/io/metric_row.hpp"
#include "sim/mechanisms/mechanism.hpp"

namespace collabsim {

class AgreementScorer {
 public:
  /// Parameters `score`, `voters`, `voter_cost` (agreement_score_fields()). When score =
  /// "agreement", every voter must be a column of the quality table and differ from the
  /// stage's own column; throws InputError naming `<prefix>.voters` otherwise, or when the
  /// list is empty.
  AgreementScorer(Context& cx, const ParamSet& p, const std::string& prefix);

  /// True when score = "agreement".
  bool active() const { return active_; }
  /// Extra generations to charge per stage answer (|voters| with voter_cost = "sample", else 0).
  std::size_t samples() const { return charge_ ? voters_.size() : 0; }

  /// Confidence in [0, 1] of deployment `dep`'s answer to `r` (requires active()). Records
  /// (score, answer correct) for the AUROC in stats().
  double score(std::size_t dep, const Request& r);

  /// /mechanism statistics: agreement_auroc (AUROC of the score for "answer correct" over
  /// the scored answers; NaN when one class is empty), agreement_mean, agreement_voters;
  /// empty when inactive.
  MetricRow stats() const;

 private:
  Context& cx_;
  bool active_ = false, charge_ = true;
  std::vector<std::size_t> voters_;  ///< quality-table columns
  std::vector<double> scores_;
  std::vector<bool> correct_;
};

/// The `voters` and `voter_cost` parameters (the `score` choice "agreement" is declared
/// with the other score sources in kernel_score_fields()).
std::vector<Field> agreement_score_fields();

/// The voter columns a mechanism with these parameters reads (for MechanismInfo::extra_columns):
/// `voters` when score = "agreement", else none.
std::vector<std::string> agreement_columns(const ParamSet& p);

}  // namespace collabsim
