#pragma once
/// \file quantile_sketch.hpp
/// Percentiles of a stream of values in memory that does not grow with the stream: exact
/// up to a bound on the count, then a relative-error log-bucket histogram (DDSketch,
/// Masson, Rim & Lee, "DDSketch: a fast and fully-mergeable quantile sketch with
/// relative-error guarantees", PVLDB 12(12), 2019).
///
/// Definition (both modes): the linear-interpolation percentile between order statistics,
/// Hyndman & Fan type 7 (numpy's default): for n values sorted x_(0) ≤ … ≤ x_(n−1) and
/// q in [0, 100], pos = q/100 · (n − 1), result x_(⌊pos⌋) + (pos − ⌊pos⌋)(x_(⌊pos⌋+1) − x_(⌊pos⌋)).
///
/// Exact mode (n ≤ exact_limit, default kExactQuantileLimit): the values are kept and the
/// two order statistics are found by selection (std::nth_element, O(n)); the result is
/// bit-identical to sorting.
/// Sketch mode (beyond exact_limit): each order statistic x_(k) is replaced by the centre of
/// its logarithmic bucket, within relative error α of it (|x̂ − x| ≤ α|x|); the smallest and
/// largest values are kept exactly. The interpolated percentile is then within α·max(|x_(⌊pos⌋)|,
/// |x_(⌊pos⌋+1)|) of the exact one (for values of one sign: relative error ≤ α).
/// Memory: O(log(max/min) / α) buckets of 8 bytes (α = 1e-4 and values spanning 10^8:
/// ~92,000 buckets, 0.7 MB), independent of the number of values.
///
/// Two sketches merge exactly (bucket counts add), so the result never depends on how a
/// stream was split. NaN values are rejected by add() (callers leave them out).

#include <cstdint>
#include <vector>

namespace collabsim {

/// Values kept exactly before a QuantileSketch switches to buckets (2^20: 8 MB of doubles).
inline constexpr std::uint64_t kExactQuantileLimit = std::uint64_t{1} << 20;
/// Relative accuracy α of the buckets in sketch mode (0.01%).
inline constexpr double kSketchRelativeAccuracy = 1e-4;

class QuantileSketch {
 public:
  /// `exact_limit`: values kept exactly (0 = buckets from the first value); `alpha`: the
  /// relative accuracy, in (0, 0.5). Throws std::invalid_argument for alpha outside that range.
  explicit QuantileSketch(std::uint64_t exact_limit = kExactQuantileLimit, double alpha = kSketchRelativeAccuracy);

  /// Adds a value. Throws std::invalid_argument for NaN.
  void add(double x);
  /// Adds every value of `other` (its accuracy must equal this one's; throws
  /// std::invalid_argument otherwise). The result is the sketch of the concatenated streams,
  /// exact when the total count stays within the exact limit.
  void merge(const QuantileSketch& other);

  /// Type-7 percentile, q in [0, 100]; NaN when empty. In exact mode it reorders the kept
  /// values (hence non-const) but keeps them all.
  double percentile(double q);

  std::uint64_t count() const { return n_; }
  /// True while the values are kept exactly (no approximation in percentile()).
  bool exact() const { return !bucketed_; }

 private:
  void to_buckets();
  void bucket(double x, std::uint64_t count);
  /// Order statistic x_(k), 0-based, in sketch mode.
  double order_statistic(std::uint64_t k) const;
  /// Bucket index of |x| > 0 and its representative value.
  std::int64_t key(double a) const;
  double value(std::int64_t key) const;

  /// Counts of one sign: index i holds key min_key + i.
  struct Store {
    std::int64_t min_key = 0;
    std::vector<std::uint64_t> counts;
    std::uint64_t total = 0;
    void add(std::int64_t key, std::uint64_t c);
  };

  std::uint64_t exact_limit_;
  double alpha_, gamma_, log_gamma_;
  std::uint64_t n_ = 0;
  bool bucketed_ = false;
  std::vector<double> values_;  // exact mode
  Store pos_, neg_;             // sketch mode: positive values, negative values by |x|
  std::uint64_t zeros_ = 0;
  double min_ = 0, max_ = 0;
};

}  // namespace collabsim
