#pragma once
/// \file metrics.hpp
/// Routing and collaboration metrics, implemented exactly as their papers define them.
///  - AUROC: Mann–Whitney U / (n_pos · n_neg), ties count one half (Hanley & McNeil 1982).
///  - PGR, APGR, CPT: RouteLLM (Ong et al. 2024, §4): PGR(R) = (q(R) − q_weak) /
///    (q_strong − q_weak); APGR = area under PGR against the share of strong calls;
///    CPT(x %) = smallest strong-call share whose PGR ≥ x %.
///  - AIQ: RouterBench (Hu et al. 2024): area under the non-decreasing convex hull of
///    (cost, quality) points, normalised by the cost range.
///  - IBC: AutoMix (Madaan et al. 2023): (q_M − q_S) / (c_M − c_S), the incremental
///    benefit per unit cost of a method M over the small model S.

#include <cstddef>
#include <utility>
#include <vector>

namespace collabsim::metrics {

/// AUROC of `scores` for binary `labels` (true = positive). NaN when a class is empty.
double auroc(const std::vector<double>& scores, const std::vector<bool>& labels);

/// One point of a router's threshold sweep.
struct PgrPoint {
  double strong_share;  ///< share of queries sent to the strong model
  double quality;       ///< mean quality of the routed answers
  double pgr;           ///< performance gap recovered
};

/// Sweeps a router that sends the queries with the LOWEST `small_score` (the predicted
/// chance that the weak model is good enough) to the strong model first, from 0 % to 100 %
/// strong calls; `q_weak[i]`, `q_strong[i]` are each query's outcomes. Ties in score move
/// together. Throws std::invalid_argument when sizes differ or the gap is 0.
std::vector<PgrPoint> pgr_curve(const std::vector<double>& small_score, const std::vector<double>& q_weak,
                                const std::vector<double>& q_strong);

/// Area under PGR against strong-call share (trapezoid on [0, 1]).
double apgr(const std::vector<PgrPoint>& curve);

/// Smallest strong-call share with PGR ≥ `x` (e.g. 0.5 for CPT(50 %)); 1 if never.
double cpt(const std::vector<PgrPoint>& curve, double x);

/// A router's or cascade's operating curve from measured points (e.g. a threshold sweep):
/// (share of requests calling the large model [1], PGR [1]) sorted by share (stable),
/// non-finite points dropped, with the anchors (0, 0) and (1, 1) added when no point sits
/// at share 0 (within 1e-12) or 1. As analysis/metrics.py pgr_curve (RouteLLM §4).
std::vector<std::pair<double, double>> pgr_operating_curve(const std::vector<double>& shares,
                                                           const std::vector<double>& pgrs);

/// APGR [1] of measured points: trapezoid area under pgr_operating_curve on [0, 1].
double apgr_of_points(const std::vector<double>& shares, const std::vector<double>& pgrs);

/// CPT(x) [1] of measured points: the smallest share at which the piecewise-linear
/// pgr_operating_curve reaches `x` (e.g. 0.5 for CPT(50 %)), interpolated; NaN when it
/// never does (RouteLLM's "call-performance threshold").
double cpt_of_points(const std::vector<double>& shares, const std::vector<double>& pgrs, double x);

/// RouterBench AIQ of (cost, quality) points: area under the non-decreasing convex hull
/// between the cheapest and the most expensive point, divided by that cost range.
double aiq(std::vector<std::pair<double, double>> cost_quality);

/// AutoMix IBC of a method (q_m, c_m) against the small model (q_s, c_s).
inline double ibc(double q_m, double c_m, double q_s, double c_s) { return (q_m - q_s) / (c_m - c_s); }

}  // namespace collabsim::metrics
