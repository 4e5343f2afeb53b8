#pragma once
/// \file profile_table.hpp
/// Measured latency profile of a model on a device, as an alternative to the roofline
/// (Vidur, Agrawal et al., MLSys 2024, profiles operators the same way). CSV with header
/// `phase,batch,tokens,ms`:
///   phase = prefill: `ms` to prefill `tokens` prompt tokens in total across a batch of `batch` sequences
///   phase = decode:  `ms` for one decode step of `batch` sequences at mean context `tokens`
/// Values between grid points are interpolated bilinearly (linearly in tokens, then in
/// batch, over the neighbouring measured points); outside the grid the nearest edge
/// segment is extrapolated linearly in tokens and clamped in batch.

#include <filesystem>
#include <map>
#include <vector>

namespace collabsim {

/// One measured point of a profile: phase (prefill or decode), batch [sequences],
/// tokens (prefill: total prompt tokens of the batch; decode: mean context), seconds.
struct ProfileRow {
  bool prefill = true;
  double batch = 1, tokens = 0, seconds = 0;
};

class ProfileTable {
 public:
  /// A table from rows already read (e.g. splitwise_profile_table). Rows with the same
  /// phase, batch and tokens are averaged. Throws std::invalid_argument when a phase has
  /// no rows or a value is negative or not finite.
  explicit ProfileTable(const std::vector<ProfileRow>& rows);

  /// Throws InputError (file, line, column) for a missing file, bad header, unknown phase,
  /// non-numeric or negative value, or a phase without any rows.
  explicit ProfileTable(const std::filesystem::path& file);

  /// Prefill time (s) of `tokens` prompt tokens spread over `batch` sequences.
  double prefill(double batch, double tokens) const { return lookup(prefill_, batch, tokens); }
  /// One decode step (s) of `batch` sequences at mean context `context` tokens.
  double decode_step(double batch, double context) const { return lookup(decode_, batch, context); }

 private:
  using Curve = std::vector<std::pair<double, double>>;  // (tokens, s), sorted
  using Grid = std::map<double, Curve>;                  // batch → curve
  static double along(const Curve& c, double tokens);
  static double lookup(const Grid& g, double batch, double tokens);
  Grid prefill_, decode_;
};

}  // namespace collabsim
