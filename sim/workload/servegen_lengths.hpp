#pragma once
/// \file servegen_lengths.hpp
/// ServeGen's per-client length distributions (Xiang et al., "ServeGen: Workload
/// Characterization and Generation of Large Language Model Serving in Production",
/// arXiv:2505.09999, 2025; alibaba/ServeGen, Apache-2.0): `chunk-<client>-dataset.json`,
/// a JSON object whose keys are window starts in seconds on the client's clock (every
/// 21,600 s in the shipped deepseek-r1 files) and whose values hold `input_tokens` and
/// `output_tokens` (and `reason_ratio`, not used), each a Python-dict string
/// `{tokens: probability, ...}`: the probability mass function of that window's prompt
/// and output lengths (../shared/data/traces/SOURCE.md §3).

#include <cstdint>
#include <filesystem>
#include <vector>

#include "sim/core/rng.hpp"

namespace collabsim::workload {

/// One window's length PMFs, as cumulative tables for inversion.
struct ServegenLengthWindow {
  double start_s = 0;                      ///< s on the client's clock
  std::vector<std::int64_t> input_tokens;  ///< support, ascending
  std::vector<double> input_cdf;           ///< P(X ≤ support[i]), last = 1
  std::vector<std::int64_t> output_tokens;
  std::vector<double> output_cdf;
};

/// The windows of a dataset file, sorted by start. Throws InputError naming the file,
/// line and key for malformed JSON, a missing `input_tokens`/`output_tokens`, a token
/// count that is not a positive integer (≤ kMaxRequestTokens), a probability that is
/// negative or not finite, a PMF whose mass is not 1 within 1e-6 (it is renormalised
/// within that), a window key that is not a non-negative number, and a file with no window.
/// A window whose input or output PMF is empty (`"{}"`: no request in it; 216 of the 584
/// PMFs of the shipped deepseek-r1 files) is left out.
std::vector<ServegenLengthWindow> read_servegen_lengths(const std::filesystem::path& file);

/// Draws (prompt, output) for a request at `clock_s` on the client's clock from the
/// window with the largest start ≤ clock_s (the first window before its start), by
/// inversion of each CDF with one uniform each from `rng`.
void draw_servegen_lengths(const std::vector<ServegenLengthWindow>& windows, double clock_s, RngStream& rng,
                           std::int64_t& prompt, std::int64_t& output);

}  // namespace collabsim::workload
