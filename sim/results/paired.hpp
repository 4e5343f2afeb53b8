#pragma once
/// \file paired.hpp
/// Paired comparison by seed (common random numbers). Points of a sweep that differ in one
/// swept key (e.g. mechanism.name = cascade vs router) but share every other swept value
/// and the seed saw the same arrivals and questions, so the per-seed differences
/// d_s = m_B,s − m_A,s carry less noise than the two means do apart. The interval of the
/// mean difference is Student's t over seeds:
///   d̄ ± t(0.975, n−1) · sd(d) / √n                      (paired, n seed pairs)
/// beside Welch's interval for two independent samples, which ignores the pairing:
///   (x̄_B − x̄_A) ± t(0.975, ν) · √(s_A²/n_A + s_B²/n_B), ν by Welch–Satterthwaite.
/// Sources: Student 1908; Welch, Biometrika 1947; common random numbers: Law, Simulation
/// Modeling and Analysis (5th ed., 2015), §11.2. t quantiles from Boost.Math.

#include <ostream>
#include <string>
#include <vector>

#include "sim/results/compare.hpp"
#include "sim/results/metric_catalog.hpp"

namespace collabsim {

/// A 95% interval of a difference B − A.
struct DiffInterval {
  int n = 0;          ///< pairs (paired) or n_A + n_B (Welch)
  double mean = 0;    ///< the difference of the means
  double lo = 0, hi = 0;  ///< NaN when fewer than 2 values (per side for Welch)
  double halfwidth() const { return (hi - lo) / 2; }
};

/// Paired interval of mean(b − a) over the pairs (a[i], b[i]) where both are numbers
/// (pairs with a NaN are left out). Throws std::invalid_argument when the sizes differ.
DiffInterval paired_interval(const std::vector<double>& a, const std::vector<double>& b);

/// Welch's interval of mean(b) − mean(a), NaN values left out on each side.
DiffInterval welch_interval(const std::vector<double>& a, const std::vector<double>& b);

/// What a paired difference says about B against A for a metric improving in `better`:
/// the interval excludes 0 → better or worse (changed for a metric without direction);
/// it contains 0 → ok ("no difference"); NaN bounds (fewer than 2 pairs) → missing.
Verdict paired_verdict(const DiffInterval& d, Better better);

/// The gate "new ≥ old" of a `check` [[pair]] (golden.hpp): a non-inferiority test on the
/// seed-paired difference d = new − old (common random numbers; Law 2015 §11.2; the margin
/// form of non-inferiority: Piaggio et al., JAMA 2012, CONSORT extension). With M the
/// margin (Tolerance: absolute, or a fraction of |mean old|) and [lo, hi] the paired 95%
/// interval of mean d (paired_interval; each end is a one-sided 97.5% bound):
///  - higher is better: holds when lo ≥ −M (new is at worst M below old, at 97.5%);
///  - lower is better:  holds when hi ≤ +M;
///  - no direction (large_share): holds when −M ≤ lo and hi ≤ +M (equivalence).
/// M = 0 demands new ≥ old outright; a wide interval (too few seeds, much noise) fails,
/// so the gate needs the power to show the claim rather than passing on doubt.
/// Fails closed: any NaN or infinite value on either side, sides of different lengths, or
/// fewer than 2 pairs is MISSING (never dropped, never a pass).
struct PairGate {
  DiffInterval paired, welch;  ///< of new − old (Welch: shown beside, not used)
  double mean_old = 0, mean_new = 0;
  double margin = 0;           ///< M in the metric's unit (the relative margin resolved)
  Verdict verdict = Verdict::missing;  ///< ok (holds), worse (fails), missing
  std::string reason;          ///< "lo −0.0012 ≥ −0.005" / "hi +0.31 > +0" / "NaN in new (seed 3)"
};

/// The gate above for one metric: `old_v[i]` and `new_v[i]` come from the same seed.
/// Never throws.
PairGate paired_gate(const std::vector<double>& old_v, const std::vector<double>& new_v, Better better,
                     const Tolerance& margin);

/// One metric of one group (the other swept keys' values) of a paired comparison.
struct PairedRow {
  std::string group;     ///< "workload.rate_scale=2" ("" when the sweep has no other axis)
  std::string metric, unit;
  Better better = Better::none;
  double mean_a = 0, mean_b = 0;
  DiffInterval paired, welch;
  Verdict verdict = Verdict::na;
};

/// The paired comparison of B against A in a sweep: `key` is a swept axis, `a` and `b`
/// two of its values (as written in the file, or TOML-equal: "0.3" matches 0.30). Points
/// are paired when every other axis value and seed_index agree and both ran ok. `metrics`
/// empty means every metric of the file. Throws InputError naming the file and `key`: not
/// a sweep, `key` not an axis, a value not in the sweep, no seed pairs, an unknown metric.
std::vector<PairedRow> paired_comparison(const ResultSet& rs, const std::string& key, const std::string& a,
                                         const std::string& b, const std::vector<std::string>& metrics);

/// Prints the rows: group, metric, unit, mean A, mean B, B − A, paired 95% interval,
/// unpaired (Welch) 95% interval, n pairs, verdict.
void print_paired(std::ostream& os, const std::vector<PairedRow>& rows, const std::string& a, const std::string& b);

}  // namespace collabsim
