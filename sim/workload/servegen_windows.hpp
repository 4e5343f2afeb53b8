#pragma once
/// \file servegen_windows.hpp
/// ServeGen per-client workload descriptors (Xiang et al., "ServeGen: Workload
/// Characterization and Generation of Large Language Model Serving in Production",
/// arXiv:2505.09999, 2025; alibaba/ServeGen, Apache-2.0): `chunk-<client>-trace.csv`, no
/// header, one row per window: `window_start_s, rate, cv, pattern, param1, param2` (s,
/// requests/s, 1, `Gamma` | `Weibull` | empty when idle, the family's fitted parameters).
/// Windows are 600 s in the shipped files; here a window lasts until the next row's start
/// (the last one as long as the one before it).

#include <cstddef>
#include <filesystem>
#include <vector>

#include "sim/workload/distribution.hpp"

namespace collabsim::workload {

struct ServegenWindow {
  double start_s = 0;  ///< s on the file's clock
  double end_s = 0;    ///< s (the next window's start)
  double rate = 0;     ///< requests/s (0 = idle)
  double cv = 0;       ///< as written
  DistKind family = DistKind::Exponential;  ///< Gamma or Weibull (Exponential when the pattern is empty)
  std::size_t line = 0;
};

/// Reads the whole descriptor (2,016 rows for 14 days: small, unlike a request trace).
/// Throws InputError naming file, line, column and field for a row that does not have 6
/// fields, a number that does not parse or is negative or not finite, a pattern other
/// than Gamma / Weibull / empty, a window start not after the previous one, a line over
/// 4 MiB, and for a file with no rows.
std::vector<ServegenWindow> read_servegen_windows(const std::filesystem::path& file);

}  // namespace collabsim::workload
