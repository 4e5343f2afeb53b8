#include "sim/network/bandwidth_series.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <string>

#include "sim/core/error.hpp"

namespace collabsim {

BandwidthSeries::BandwidthSeries(const std::filesystem::path& file, double up0, double down0) {
  t_.push_back(0);
  up_.push_back(up0);
  down_.push_back(down0);
  if (file.empty()) return;
  std::ifstream in(file);
  if (!in) throw InputError(SourcePos{file, 0, 0}, "bandwidth_trace", "cannot open the bandwidth trace");
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != "time_s,up_mbps,down_mbps")
    throw InputError(SourcePos{file, 1, 1}, "header", "expected header 'time_s,up_mbps,down_mbps', got '" + line + "'");
  static const char* kCols[] = {"time_s", "up_mbps", "down_mbps"};
  std::size_t lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    double v[3];
    std::size_t start = 0;
    for (int c = 0; c < 3; ++c) {
      const std::size_t end = c < 2 ? line.find(',', start) : line.size();
      if (end == std::string::npos)
        throw InputError(SourcePos{file, lineno, start + 1}, kCols[c], "missing field (expected 3 fields)");
      const auto r = std::from_chars(line.data() + start, line.data() + end, v[c]);
      if (r.ec != std::errc() || r.ptr != line.data() + end || !(v[c] >= 0) || (c > 0 && v[c] <= 0))
        throw InputError(SourcePos{file, lineno, start + 1}, kCols[c],
                         "'" + line.substr(start, end - start) + "' is not a " +
                             (c == 0 ? "non-negative time in s" : "positive bandwidth in Mbit/s"));
      start = end + 1;
    }
    const SimTime t = from_seconds(v[0]);
    if (t < t_.back())
      throw InputError(SourcePos{file, lineno, 1}, "time_s", "time goes backwards");
    if (t == t_.back() && t_.size() == 1) {  // a row at t = 0 replaces the defaults
      up_[0] = v[1] * 125e3;
      down_[0] = v[2] * 125e3;
      continue;
    }
    t_.push_back(t);
    up_.push_back(v[1] * 125e3);
    down_.push_back(v[2] * 125e3);
  }
}

double BandwidthSeries::at(SimTime t, bool up) const {
  const auto i = static_cast<std::size_t>(std::upper_bound(t_.begin(), t_.end(), t) - t_.begin()) - 1;
  return up ? up_[i] : down_[i];
}

double BandwidthSeries::send_time(double bytes, SimTime start, bool up) const {
  auto i = static_cast<std::size_t>(std::upper_bound(t_.begin(), t_.end(), start) - t_.begin()) - 1;
  const auto& bw = up ? up_ : down_;
  double t = to_seconds(start), left = bytes;
  for (;; ++i) {
    const double seg_end = i + 1 < t_.size() ? to_seconds(t_[i + 1]) : 1e300;
    const double can = (seg_end - t) * bw[i];
    if (can >= left) return t + left / bw[i] - to_seconds(start);
    left -= can;
    t = seg_end;
  }
}

}  // namespace collabsim
