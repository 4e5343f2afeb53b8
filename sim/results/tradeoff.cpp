#include "sim/results/tradeoff.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

#include "sim/quality/metrics.hpp"
#include "sim/results/stats.hpp"

namespace collabsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kShareEps = 1e-9;  // a share within this of 0 or 1 is an endpoint (as the figures)

struct Endpoints {
  double weak = kNaN, strong = kNaN;
};

/// Mean quality of the points at share 0 and at share 1.
Endpoints endpoints(const std::vector<double>& share, const std::vector<double>& quality) {
  double w = 0, s = 0;
  int nw = 0, ns = 0;
  for (std::size_t i = 0; i < share.size(); ++i) {
    if (!std::isfinite(share[i]) || !std::isfinite(quality[i])) continue;
    if (share[i] <= kShareEps) w += quality[i], ++nw;
    if (share[i] >= 1 - kShareEps) s += quality[i], ++ns;
  }
  Endpoints e;
  if (nw && ns) e = {w / nw, s / ns};
  return e;
}

std::vector<double> pgrs(const std::vector<double>& quality, const Endpoints& e) {
  std::vector<double> out(quality.size(), kNaN);
  if (!(e.strong > e.weak)) return out;
  for (std::size_t i = 0; i < quality.size(); ++i) out[i] = (quality[i] - e.weak) / (e.strong - e.weak);
  return out;
}

}  // namespace

std::vector<SeriesTradeoff> series_tradeoffs(const TradeoffPoints& p, std::vector<double>& pgr) {
  const std::size_t n = p.series.size();
  if (p.share.size() != n || p.quality.size() != n || p.cost.size() != n)
    throw std::invalid_argument("series_tradeoffs: columns differ in length");
  pgr.assign(n, kNaN);
  std::vector<std::string> names;
  for (const auto& s : p.series)
    if (std::find(names.begin(), names.end(), s) == names.end()) names.push_back(s);
  std::vector<SeriesTradeoff> out;
  for (const auto& name : names) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < n; ++i)
      if (p.series[i] == name) idx.push_back(i);
    auto pick = [&](const std::vector<double>& v) {
      std::vector<double> r;
      for (auto i : idx) r.push_back(v[i]);
      return r;
    };
    const auto share = pick(p.share), quality = pick(p.quality), cost = pick(p.cost);
    SeriesTradeoff t{name, idx.size(), kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
    const Endpoints e = endpoints(share, quality);
    t.q_weak = e.weak;
    t.q_strong = e.strong;
    const auto y = pgrs(quality, e);
    for (std::size_t k = 0; k < idx.size(); ++k) pgr[idx[k]] = y[k];
    std::set<double> distinct_share, distinct_cost;
    for (std::size_t k = 0; k < idx.size(); ++k) {
      if (std::isfinite(share[k]) && std::isfinite(quality[k])) distinct_share.insert(std::round(share[k] * 1e9));
      if (std::isfinite(cost[k]) && std::isfinite(quality[k])) distinct_cost.insert(cost[k]);
    }
    if (distinct_share.size() >= 3 && e.strong > e.weak) {
      t.apgr = metrics::apgr_of_points(share, y);
      t.cpt50 = metrics::cpt_of_points(share, y, 0.5);
      t.cpt80 = metrics::cpt_of_points(share, y, 0.8);
      // Each seed's own curve, normalised by that seed's own endpoints.
      std::vector<double> per_seed;
      for (std::size_t k = 0; k < p.seed_share.size(); ++k) {
        const auto s = pick(p.seed_share[k]), q = pick(p.seed_quality[k]);
        bool complete = true;
        for (std::size_t j = 0; j < s.size(); ++j) complete = complete && std::isfinite(s[j]) && std::isfinite(q[j]);
        const Endpoints ek = endpoints(s, q);
        if (complete && ek.strong > ek.weak) per_seed.push_back(metrics::apgr_of_points(s, pgrs(q, ek)));
      }
      const MeanCi ci = mean_ci95(per_seed);
      t.apgr_ci95_lo = ci.lo;
      t.apgr_ci95_hi = ci.hi;
    }
    if (distinct_cost.size() >= 2) {
      std::vector<std::pair<double, double>> cq;
      for (std::size_t k = 0; k < idx.size(); ++k)
        if (std::isfinite(cost[k]) && std::isfinite(quality[k])) cq.emplace_back(cost[k], quality[k]);
      t.aiq = metrics::aiq(cq);
    }
    out.push_back(t);
  }
  return out;
}

}  // namespace collabsim
