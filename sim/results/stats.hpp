#pragma once
/// \file stats.hpp
/// Summary statistics over repetitions (seeds) of a sweep point.

#include <vector>

namespace collabsim {

/// Mean, sample standard deviation and the 95% confidence interval of the mean from the
/// Student t distribution with n − 1 degrees of freedom: mean ± t(0.975, n−1) · sd / √n
/// (t quantile from Boost.Math). NaN values are left out; with n < 2 sd and the interval
/// are NaN (n = 0: the mean is NaN too).
struct MeanCi {
  int n = 0;
  double mean = 0, sd = 0, lo = 0, hi = 0;
};
MeanCi mean_ci95(const std::vector<double>& values);

}  // namespace collabsim
