#include "sim/quality/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace collabsim::metrics {

double auroc(const std::vector<double>& scores, const std::vector<bool>& labels) {
  if (scores.size() != labels.size()) throw std::invalid_argument("auroc: sizes differ");
  std::vector<std::size_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return scores[a] < scores[b]; });
  // Mid-ranks over ties; U = Σ ranks of positives − n_pos(n_pos + 1)/2.
  double rank_sum = 0;
  std::size_t n_pos = 0;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j < idx.size() && scores[idx[j]] == scores[idx[i]]) ++j;
    const double mid = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (std::size_t k = i; k < j; ++k)
      if (labels[idx[k]]) {
        rank_sum += mid;
        ++n_pos;
      }
    i = j;
  }
  const std::size_t n_neg = labels.size() - n_pos;
  if (n_pos == 0 || n_neg == 0) return std::numeric_limits<double>::quiet_NaN();
  const double u = rank_sum - static_cast<double>(n_pos) * (n_pos + 1) / 2.0;
  return u / (static_cast<double>(n_pos) * static_cast<double>(n_neg));
}

std::vector<PgrPoint> pgr_curve(const std::vector<double>& s, const std::vector<double>& qw,
                                const std::vector<double>& qs) {
  const std::size_t n = s.size();
  if (qw.size() != n || qs.size() != n || n == 0) throw std::invalid_argument("pgr_curve: sizes differ or empty");
  const double mw = std::accumulate(qw.begin(), qw.end(), 0.0) / n;
  const double ms = std::accumulate(qs.begin(), qs.end(), 0.0) / n;
  if (ms == mw) throw std::invalid_argument("pgr_curve: strong and weak models have the same quality");
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return s[a] < s[b]; });
  std::vector<PgrPoint> out;
  double total = std::accumulate(qw.begin(), qw.end(), 0.0);  // everything weak
  out.push_back({0.0, mw, 0.0});
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && s[idx[j]] == s[idx[i]]) ++j;
    for (std::size_t k = i; k < j; ++k) total += qs[idx[k]] - qw[idx[k]];
    const double q = total / n;
    out.push_back({static_cast<double>(j) / n, q, (q - mw) / (ms - mw)});
    i = j;
  }
  return out;
}

double apgr(const std::vector<PgrPoint>& c) {
  double a = 0;
  for (std::size_t i = 1; i < c.size(); ++i)
    a += (c[i].strong_share - c[i - 1].strong_share) * (c[i].pgr + c[i - 1].pgr) / 2.0;
  return a;
}

double cpt(const std::vector<PgrPoint>& c, double x) {
  for (const auto& p : c)
    if (p.pgr >= x) return p.strong_share;
  return 1.0;
}

std::vector<std::pair<double, double>> pgr_operating_curve(const std::vector<double>& shares,
                                                           const std::vector<double>& pgrs) {
  if (shares.size() != pgrs.size()) throw std::invalid_argument("pgr_operating_curve: sizes differ");
  std::vector<std::pair<double, double>> c;
  for (std::size_t i = 0; i < shares.size(); ++i)
    if (std::isfinite(shares[i]) && std::isfinite(pgrs[i])) c.emplace_back(shares[i], pgrs[i]);
  std::stable_sort(c.begin(), c.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (c.empty() || c.front().first > 1e-12) c.insert(c.begin(), {0.0, 0.0});
  if (c.back().first < 1.0 - 1e-12) c.emplace_back(1.0, 1.0);
  return c;
}

double apgr_of_points(const std::vector<double>& shares, const std::vector<double>& pgrs) {
  const auto c = pgr_operating_curve(shares, pgrs);
  double a = 0;
  for (std::size_t i = 1; i < c.size(); ++i) a += 0.5 * (c[i].second + c[i - 1].second) * (c[i].first - c[i - 1].first);
  return a;
}

double cpt_of_points(const std::vector<double>& shares, const std::vector<double>& pgrs, double x) {
  const auto c = pgr_operating_curve(shares, pgrs);
  if (c[0].second >= x) return c[0].first;
  for (std::size_t i = 1; i < c.size(); ++i)
    if (c[i].second >= x) {
      if (c[i].second == c[i - 1].second) return c[i].first;
      return c[i - 1].first + (x - c[i - 1].second) / (c[i].second - c[i - 1].second) * (c[i].first - c[i - 1].first);
    }
  return std::numeric_limits<double>::quiet_NaN();
}

double aiq(std::vector<std::pair<double, double>> pts) {
  if (pts.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  std::sort(pts.begin(), pts.end());
  // Non-decreasing hull: running max of quality, then the upper convex hull of those.
  std::vector<std::pair<double, double>> mono;
  double best = -std::numeric_limits<double>::infinity();
  for (auto [c, q] : pts) {
    best = std::max(best, q);
    mono.emplace_back(c, best);
  }
  std::vector<std::pair<double, double>> hull;
  for (const auto& p : mono) {
    while (hull.size() >= 2) {
      const auto& a = hull[hull.size() - 2];
      const auto& b = hull.back();
      const double cross = (b.first - a.first) * (p.second - a.second) - (b.second - a.second) * (p.first - a.first);
      if (cross >= 0) hull.pop_back();  // b lies on or below the chord a→p
      else break;
    }
    hull.push_back(p);
  }
  const double range = hull.back().first - hull.front().first;
  if (range <= 0) return hull.back().second;
  double area = 0;
  for (std::size_t i = 1; i < hull.size(); ++i)
    area += (hull[i].first - hull[i - 1].first) * (hull[i].second + hull[i - 1].second) / 2.0;
  return area / range;
}

}  // namespace collabsim::metrics
