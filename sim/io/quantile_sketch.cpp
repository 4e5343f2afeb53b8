#include "sim/io/quantile_sketch.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace collabsim {

QuantileSketch::QuantileSketch(std::uint64_t exact_limit, double alpha)
    : exact_limit_(exact_limit), alpha_(alpha) {
  if (!(alpha > 0 && alpha < 0.5))
    throw std::invalid_argument("QuantileSketch: relative accuracy must be in (0, 0.5), got " + std::to_string(alpha));
  gamma_ = (1 + alpha) / (1 - alpha);
  log_gamma_ = std::log(gamma_);
  bucketed_ = exact_limit_ == 0;
}

void QuantileSketch::Store::add(std::int64_t key, std::uint64_t c) {
  total += c;
  if (counts.empty()) {
    min_key = key;
    counts.assign(1, c);
    return;
  }
  if (key < min_key) {  // grow downwards (rare: a new smallest bucket)
    counts.insert(counts.begin(), static_cast<std::size_t>(min_key - key), 0);
    min_key = key;
  }
  const auto i = static_cast<std::size_t>(key - min_key);
  if (i >= counts.size()) counts.resize(i + 1, 0);
  counts[i] += c;
}

// Bucket `key` holds (γ^(key−1), γ^key]; its centre 2γ^key/(γ+1) is within α of each member.
std::int64_t QuantileSketch::key(double a) const { return static_cast<std::int64_t>(std::ceil(std::log(a) / log_gamma_)); }

double QuantileSketch::value(std::int64_t k) const {
  return 2 * std::exp(static_cast<double>(k) * log_gamma_) / (gamma_ + 1);
}

void QuantileSketch::bucket(double x, std::uint64_t count) {
  if (x > 0) pos_.add(key(x), count);
  else if (x < 0) neg_.add(key(-x), count);
  else zeros_ += count;
}

void QuantileSketch::add(double x) {
  if (std::isnan(x)) throw std::invalid_argument("QuantileSketch: NaN value");
  if (n_ == 0) min_ = max_ = x;
  min_ = std::min(min_, x);
  max_ = std::max(max_, x);
  ++n_;
  if (bucketed_) return bucket(x, 1);
  values_.push_back(x);
  if (values_.size() > exact_limit_) to_buckets();
}

void QuantileSketch::to_buckets() {
  for (double v : values_) bucket(v, 1);
  values_.clear();
  values_.shrink_to_fit();
  bucketed_ = true;
}

void QuantileSketch::merge(const QuantileSketch& other) {
  if (other.alpha_ != alpha_)
    throw std::invalid_argument("QuantileSketch::merge: sketches of different accuracy");
  if (other.n_ == 0) return;
  if (n_ == 0) min_ = other.min_, max_ = other.max_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  n_ += other.n_;
  if (!bucketed_ && !other.bucketed_ && n_ <= exact_limit_) {
    values_.insert(values_.end(), other.values_.begin(), other.values_.end());
    return;
  }
  if (!bucketed_) to_buckets();
  for (double v : other.values_) bucket(v, 1);
  for (std::size_t i = 0; i < other.pos_.counts.size(); ++i)
    if (other.pos_.counts[i]) pos_.add(other.pos_.min_key + static_cast<std::int64_t>(i), other.pos_.counts[i]);
  for (std::size_t i = 0; i < other.neg_.counts.size(); ++i)
    if (other.neg_.counts[i]) neg_.add(other.neg_.min_key + static_cast<std::int64_t>(i), other.neg_.counts[i]);
  zeros_ += other.zeros_;
}

double QuantileSketch::order_statistic(std::uint64_t k) const {
  if (k == 0) return min_;
  if (k + 1 >= n_) return max_;
  double v = 0;
  if (k < neg_.total) {  // negatives from the most negative (largest |x|, highest key) up
    std::uint64_t seen = 0;
    for (std::size_t i = neg_.counts.size(); i-- > 0;) {
      seen += neg_.counts[i];
      if (seen > k) {
        v = -value(neg_.min_key + static_cast<std::int64_t>(i));
        break;
      }
    }
  } else if (k < neg_.total + zeros_) {
    v = 0;
  } else {
    std::uint64_t seen = neg_.total + zeros_;
    for (std::size_t i = 0; i < pos_.counts.size(); ++i) {
      seen += pos_.counts[i];
      if (seen > k) {
        v = value(pos_.min_key + static_cast<std::int64_t>(i));
        break;
      }
    }
  }
  return std::clamp(v, min_, max_);
}

double QuantileSketch::percentile(double q) {
  if (n_ == 0) return std::numeric_limits<double>::quiet_NaN();
  const double pos = q / 100.0 * static_cast<double>(n_ - 1);
  const auto lo = static_cast<std::uint64_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, n_ - 1);
  double x_lo = 0, x_hi = 0;
  if (bucketed_) {
    x_lo = order_statistic(lo);
    x_hi = hi == lo ? x_lo : order_statistic(hi);
  } else {  // selection: x_(lo) in place, x_(lo+1) the smallest of what follows it
    const auto it = values_.begin() + static_cast<std::ptrdiff_t>(lo);
    std::nth_element(values_.begin(), it, values_.end());
    x_lo = *it;
    x_hi = hi == lo ? x_lo : *std::min_element(it + 1, values_.end());
  }
  return x_lo + (pos - static_cast<double>(lo)) * (x_hi - x_lo);
}

}  // namespace collabsim
