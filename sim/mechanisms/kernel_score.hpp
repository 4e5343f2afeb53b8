#pragma once
/// \file kernel_score.hpp
/// A learned router kernel (sim/kernels/router_training.hpp, trained by
/// `collabsim train-router`) as the score source of the router and cascade mechanisms,
/// with the time its inference costs on the request's origin device (the survey's
/// "routing latency paradox", §6.1).
///
/// Cost model (`kernel_cost`):
///  - "flops" (default, deterministic): the model's inference FLOPs (RouterKernel::flops:
///    its multiply-adds; the hashing of the text into features is not counted) on the
///    origin device's achieved compute rate, seconds = FLOPs / (peak FLOP/s ×
///    compute_efficiency).
///  - "measured": the host wall time of the real call (std::chrono::steady_clock around
///    feature extraction and forward pass), as measured on the machine running the
///    simulation. Results then depend on that machine's speed and load and are NOT
///    bit-identical between runs; the mechanism reports `kernel_cost_measured = 1` in
///    /mechanism so a result file says so.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/io/metric_row.hpp"
#include "sim/kernels/router_training.hpp"
#include "sim/mechanisms/mechanism.hpp"

namespace collabsim {

/// One scored request: the kernel's P(label) and the seconds its inference costs.
struct KernelScore {
  double score = 0;      ///< in [0, 1]
  double overhead_s = 0; ///< s of compute on the origin device
};

class KernelScorer {
 public:
  /// Parameters `score`, `weights`, `kernel_cost` (declared by kernel_score_fields()).
  /// Loads the weights when score = "kernel"; a relative path is taken relative to the
  /// scenario file. Throws InputError naming `<prefix>.weights` when score = "kernel" and
  /// no file is given, or the file is missing or not a router file.
  KernelScorer(Context& cx, const ParamSet& p, const std::string& prefix);

  /// True when score = "kernel".
  bool active() const { return kernel_ != nullptr; }

  /// Scores request `r`'s question with the kernel (requires active()); a non-empty
  /// `gadget` is appended to the question text first (router attacks, router_attack.hpp).
  /// Throws std::runtime_error when the question has no text in the corpus.
  KernelScore score(const Request& r, const std::string& gadget = "");

  /// Checks that the kernel was trained for these quality-table columns (weak, strong);
  /// throws InputError at `<prefix>.weights` naming both pairs otherwise. No-op when
  /// inactive.
  void check_columns(const std::string& small, const std::string& large, const ParamSet& p,
                     const std::string& prefix) const;

  /// /mechanism statistics: kernel_overhead_mean_s (s), kernel_cost_measured (0/1);
  /// empty when inactive.
  MetricRow stats() const;

 private:
  Context& cx_;
  std::unique_ptr<kernels::RouterKernel> kernel_;
  bool measured_ = false;
  double overhead_sum_s_ = 0;
  std::int64_t calls_ = 0;
};

/// The `score`, `weights`, `kernel_cost` and `held_out` parameters, declared once for
/// every mechanism that can score with a router kernel.
std::vector<Field> kernel_score_fields();

/// MechanismInfo::question_filter for those mechanisms: with score = "kernel" and
/// held_out = true (default), only questions outside the kernel's training split (its
/// seed and test_share, router_training.hpp) may be joined to requests, so a learned
/// router is judged on questions it never saw. Loads the weights (InputError as
/// KernelScorer). Empty otherwise.
std::function<bool(std::int64_t)> kernel_question_filter(const ParamSet& p, const Scenario& sc);

}  // namespace collabsim
