#pragma once
/// \file tradeoff.hpp
/// Trade-off metrics of a sweep's series, written into /sweep/aggregate: for each series
/// (the combinations of one mechanism that differ only in the mechanism's own parameters,
/// e.g. the thresholds of a cascade at one load), PGR of every combination, and APGR,
/// CPT(50 %), CPT(80 %) (RouteLLM, Ong et al. 2024, §4) and AIQ (RouterBench, Hu et al.
/// 2024, §4) of the series. Definitions as analysis/metrics.py and docs/GLOSSARY.md, so
/// the figures and the sweep file agree (checked by analysis/test_figures.py).

#include <cstddef>
#include <string>
#include <vector>

namespace collabsim {

/// Operating points of a sweep: per combination, the means over its ok seeds, and per seed
/// index k the values of seed k (NaN when that point failed).
struct TradeoffPoints {
  std::vector<std::string> series;                ///< per combination (series_names, sweep_spec.hpp)
  std::vector<double> share, quality, cost;       ///< large_share [1], quality_mean [1], cost_per_1k_usd [USD]
  std::vector<std::vector<double>> seed_share;    ///< [k][combination]
  std::vector<std::vector<double>> seed_quality;  ///< [k][combination]
};

struct SeriesTradeoff {
  std::string name;
  std::size_t points = 0;  ///< combinations in the series
  /// Mean quality at the series' own points with large_share 0 and 1 (NaN when it has none:
  /// then PGR, APGR and CPT are NaN too; the plots can normalise by small_only/large_only runs).
  double q_weak, q_strong;
  double apgr;                      ///< [1]; NaN with < 3 distinct shares or q_strong ≤ q_weak
  double apgr_ci95_lo, apgr_ci95_hi;  ///< Student t over the seeds' own APGRs (NaN with < 2 seeds)
  double cpt50, cpt80;              ///< [1] share of large-model calls, interpolated; NaN if never reached
  double aiq;                       ///< [1] over the series' own cost range; NaN with < 2 distinct costs
};

/// One entry per distinct series name, in order of first appearance; `pgr` receives each
/// combination's PGR (NaN where its series has no q_weak/q_strong). Throws
/// std::invalid_argument when the vectors differ in length.
std::vector<SeriesTradeoff> series_tradeoffs(const TradeoffPoints& pts, std::vector<double>& pgr);

}  // namespace collabsim
