#include "sim/hardware/allreduce_table.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <string>

#include "sim/core/error.hpp"
#include "sim/core/strings.hpp"

namespace collabsim {

AllReduceTable::AllReduceTable(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(SourcePos{file, 0, 0}, "allreduce_profile", "cannot open the all-reduce profile");
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto head = split_commas(line);
  auto col = [&](const char* name) {
    const auto it = std::find(head.begin(), head.end(), name);
    if (it == head.end()) throw InputError(SourcePos{file, 1, 1}, "header", std::string("no column '") + name + "'");
    return static_cast<std::size_t>(it - head.begin());
  };
  const std::size_t c_t = col("time_stats.all_reduce.median"), c_n = col("num_workers"), c_s = col("size"),
                    c_d = col("devices_per_node");
  std::size_t lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto f = split_commas(line);
    if (f.size() != head.size())
      throw InputError(SourcePos{file, lineno, 1}, "row", "expected " + std::to_string(head.size()) + " fields");
    double v[4];
    const std::size_t cols[4] = {c_t, c_n, c_s, c_d};
    for (int i = 0; i < 4; ++i) {
      const auto& s = f[cols[i]];
      const auto r = std::from_chars(s.data(), s.data() + s.size(), v[i]);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !(v[i] >= 0) || !std::isfinite(v[i]))
        throw InputError(SourcePos{file, lineno, 1}, head[cols[i]], "'" + s + "' is not a non-negative number");
    }
    if (v[1] != v[3] || v[1] < 2) continue;  // cross-node groups are not a TP replica
    by_gpus_[static_cast<int>(v[1])].emplace_back(2.0 * v[2], v[0] * 1e-3);
  }
  if (by_gpus_.empty())
    throw InputError(SourcePos{file, lineno, 1}, "num_workers", "no intra-node all-reduce rows");
  for (auto& [g, c] : by_gpus_) std::sort(c.begin(), c.end());
}

double AllReduceTable::along(const Curve& c, double b) {
  if (b <= c.front().first) return c.front().second;
  if (b >= c.back().first) return c.back().second * b / c.back().first;
  const auto it = std::lower_bound(c.begin(), c.end(), std::make_pair(b, -1.0));
  const auto& [x1, y1] = *it;
  const auto& [x0, y0] = *std::prev(it);
  return x1 == x0 ? y1 : y0 + (y1 - y0) * (b - x0) / (x1 - x0);
}

double AllReduceTable::time(int gpus, double bytes) const {
  if (gpus <= 1 || !(bytes > 0)) return 0.0;
  auto hi = by_gpus_.lower_bound(gpus);
  if (hi == by_gpus_.end()) return along(std::prev(hi)->second, bytes);
  if (hi == by_gpus_.begin() || hi->first == gpus) return along(hi->second, bytes);
  const auto lo = std::prev(hi);
  const double a = along(lo->second, bytes), b = along(hi->second, bytes);
  return a + (b - a) * (gpus - lo->first) / static_cast<double>(hi->first - lo->first);
}

std::vector<int> AllReduceTable::gpu_counts() const {
  std::vector<int> g;
  for (const auto& [n, c] : by_gpus_) g.push_back(n);
  return g;
}

}  // namespace collabsim
