#pragma once
/// \file bandwidth_series.hpp
/// Piecewise-constant link bandwidth over time, from a CSV file with header
/// `time_s,up_mbps,down_mbps` (seconds since the start of the run, megabits per second;
/// each row holds until the next). Before the first row the link's configured bandwidths
/// apply. Used to replay measured cellular traces.

#include <filesystem>
#include <vector>

#include "sim/core/time.hpp"

namespace collabsim {

class BandwidthSeries {
 public:
  /// Constant bandwidths (bytes/s) when `file` is empty. Throws InputError naming the
  /// file, line and column for a missing file, bad header, non-numeric or non-positive
  /// value, or decreasing time.
  BandwidthSeries(const std::filesystem::path& file, double up_default, double down_default);

  /// Time (s) to send `bytes` starting at `start` in direction `up`, integrating over
  /// bandwidth changes.
  double send_time(double bytes, SimTime start, bool up) const;
  /// Bandwidth (bytes/s) at time t.
  double at(SimTime t, bool up) const;

 private:
  std::vector<SimTime> t_;   // segment starts; t_[0] = 0
  std::vector<double> up_, down_;
};

}  // namespace collabsim
