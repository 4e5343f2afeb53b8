#include "sim/hardware/profile_table.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <tuple>
#include <fstream>
#include <string>

#include "sim/core/error.hpp"

namespace collabsim {

ProfileTable::ProfileTable(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(SourcePos{file, 0, 0}, "profile", "cannot open the latency profile");
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != "phase,batch,tokens,ms")
    throw InputError(SourcePos{file, 1, 1}, "header", "expected header 'phase,batch,tokens,ms', got '" + line + "'");
  static const char* kCols[] = {"phase", "batch", "tokens", "ms"};
  std::size_t lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::vector<std::size_t> col;
    std::size_t start = 0;
    for (;;) {
      const auto comma = line.find(',', start);
      col.push_back(start + 1);
      f.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (f.size() != 4)
      throw InputError(SourcePos{file, lineno, 1}, "row", "expected 4 fields, got " + std::to_string(f.size()));
    if (f[0] != "prefill" && f[0] != "decode")
      throw InputError(SourcePos{file, lineno, 1}, "phase", "'" + f[0] + "' is not 'prefill' or 'decode'");
    double v[3];
    for (int c = 0; c < 3; ++c) {
      const auto& s = f[c + 1];
      const auto r = std::from_chars(s.data(), s.data() + s.size(), v[c]);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !(v[c] >= 0))
        throw InputError(SourcePos{file, lineno, col[c + 1]}, kCols[c + 1], "'" + s + "' is not a non-negative number");
    }
    (f[0] == "prefill" ? prefill_ : decode_)[v[0]].emplace_back(v[1], v[2] * 1e-3);
  }
  if (prefill_.empty() || decode_.empty())
    throw InputError(SourcePos{file, lineno, 1}, "phase", "the profile needs both prefill and decode rows");
  for (auto* g : {&prefill_, &decode_})
    for (auto& [b, c] : *g) std::sort(c.begin(), c.end());
}

ProfileTable::ProfileTable(const std::vector<ProfileRow>& rows) {
  std::map<std::tuple<bool, double, double>, std::pair<double, int>> sum;  // mean of duplicates
  for (const auto& r : rows) {
    if (!(r.batch >= 0 && r.tokens >= 0 && r.seconds >= 0) || !std::isfinite(r.batch + r.tokens + r.seconds))
      throw std::invalid_argument("profile row with a negative or non-finite value");
    auto& [s, n] = sum[{r.prefill, r.batch, r.tokens}];
    s += r.seconds;
    ++n;
  }
  for (const auto& [k, v] : sum)
    (std::get<0>(k) ? prefill_ : decode_)[std::get<1>(k)].emplace_back(std::get<2>(k), v.first / v.second);
  if (prefill_.empty() || decode_.empty()) throw std::invalid_argument("the profile needs both prefill and decode rows");
}

double ProfileTable::along(const Curve& c, double x) {
  if (c.size() == 1) return c[0].second;
  auto it = std::lower_bound(c.begin(), c.end(), std::make_pair(x, -1.0));
  std::size_t hi = it == c.end() ? c.size() - 1 : std::max<std::size_t>(1, static_cast<std::size_t>(it - c.begin()));
  const auto& [x0, y0] = c[hi - 1];
  const auto& [x1, y1] = c[hi];
  if (x1 == x0) return y1;
  return std::max(0.0, y0 + (y1 - y0) * (x - x0) / (x1 - x0));
}

double ProfileTable::lookup(const Grid& g, double batch, double tokens) {
  auto hi = g.lower_bound(batch);
  if (hi == g.end()) return along(std::prev(g.end())->second, tokens);
  if (hi == g.begin() || hi->first == batch) return along(hi->second, tokens);
  auto lo = std::prev(hi);
  const double a = along(lo->second, tokens), b = along(hi->second, tokens);
  return a + (b - a) * (batch - lo->first) / (hi->first - lo->first);
}

}  // namespace collabsim
