#pragma once
/// \file splitwise_profile.hpp
/// SplitwiseSim's measured performance model (Patel et al., "Splitwise: Efficient
/// generative LLM inference using phase splitting", ISCA 2024; Mutinifni/splitwise-sim
/// data/perf_model.csv, MIT; see ../shared/data/profiles/SOURCE.md): prefill and
/// decode-iteration times of vLLM-era serving of Llama-2-70B and BLOOM-176B on DGX-A100,
/// DGX-H100 and power-capped DGX-H100 at tensor parallel 2/4/8.
///
/// Columns read: model, hardware, prompt_size [tokens], batch_size [requests], token_size
/// [output tokens], prompt_time [ms, whole prefill of the batch], token_time [ms per decode
/// iteration], tensor_parallel [GPUs]. Each point was measured 5 times; a point here is the
/// median of its repetitions.

#include <filesystem>
#include <string>
#include <vector>

#include "sim/hardware/profile_table.hpp"

namespace collabsim {

/// One measured configuration (median over repetitions).
struct SplitwisePoint {
  std::string model, hardware;  ///< e.g. "llama2-70b", "h100-80gb"
  int tp = 1;                   ///< tensor-parallel GPUs
  int prompt = 0, batch = 1, tokens = 0;  ///< prompt_size, batch_size, token_size
  double prefill_s = 0;         ///< median prompt_time (s), prefill of batch × prompt tokens
  double decode_s = 0;          ///< median token_time (s), one decode iteration of the batch
  double e2e_s = 0;             ///< median e2e_time (s) of the whole request (0 without the column)
  /// Median average_power: the run's mean power as a fraction of the rated power (1); 0 where
  /// the CSV has no measurement (only the a100-80gb rows have one) or no such column.
  double average_power = 0;
  int repetitions = 0;

  /// Mean context (tokens) of a decode iteration over the output: prompt + (tokens − 1)/2.
  double mean_context() const { return prompt + (tokens - 1) / 2.0; }
  /// Output tokens the run generated, judged by its times: 1 + (e2e − prefill) / token_time
  /// (the first token comes with the prefill). Below the nominal `tokens` for the output
  /// sweep's rows of ≥ 1,024 tokens (docs/CALIBRATION.md, output-length caveat).
  double generated_tokens() const { return decode_s > 0 ? 1.0 + (e2e_s - prefill_s) / decode_s : 0.0; }
};

/// Points sorted by (model, hardware, tp, prompt, batch, tokens). Throws InputError (file,
/// line, column) for a missing file or column, a non-numeric or negative value.
std::vector<SplitwisePoint> read_splitwise_perf(const std::filesystem::path& file);

/// A ProfileTable for one (model, hardware, tp): prefill rows at batch 1 keyed by batch
/// tokens (prompt × batch), so prefill interpolates linearly in batch tokens as
/// SplitwiseSim does; decode rows at (batch, mean_context()), interpolated bilinearly by
/// ProfileTable (linearly in context, then in batch; extrapolated linearly in context,
/// clamped in batch). Throws std::invalid_argument when no point matches.
/// Caveat (docs/CALIBRATION.md): the output-sweep rows with ≥ 1,024 nominal output tokens
/// generated only ~230–1,020 tokens, but are keyed at their nominal mean_context(), so the
/// table's context slope beyond ~1,000 tokens is flatter than measured decode would show.
ProfileTable splitwise_profile_table(const std::vector<SplitwisePoint>& points, const std::string& model,
                                     const std::string& hardware, int tp);

/// A deployment's `splitwise` key, "model/hardware/tp" (e.g. "llama2-70b/h100-80gb/4"),
/// split into its parts. Throws std::invalid_argument when it is not of that form.
struct SplitwiseSelect {
  std::string model, hardware;
  int tp = 0;
};
SplitwiseSelect parse_splitwise_select(const std::string& text);

/// read_splitwise_perf(file) then splitwise_profile_table for `select` (same errors).
ProfileTable splitwise_profile_table(const std::filesystem::path& file, const SplitwiseSelect& select);

}  // namespace collabsim
