#include "sim/hardware/splitwise_profile.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <stdexcept>
#include <tuple>

#include "sim/core/error.hpp"
#include "sim/core/strings.hpp"

namespace collabsim {
namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}
}  // namespace

std::vector<SplitwisePoint> read_splitwise_perf(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(SourcePos{file, 0, 0}, "perf_model", "cannot open the Splitwise perf model");
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto head = split_commas(line);
  auto col = [&](const char* name) {
    const auto it = std::find(head.begin(), head.end(), name);
    if (it == head.end()) throw InputError(SourcePos{file, 1, 1}, "header", std::string("no column '") + name + "'");
    return static_cast<std::size_t>(it - head.begin());
  };
  const std::size_t cm = col("model"), ch = col("hardware");
  const char* num_names[] = {"tensor_parallel", "prompt_size", "batch_size", "token_size", "prompt_time", "token_time"};
  std::size_t cn[6];
  for (int i = 0; i < 6; ++i) cn[i] = col(num_names[i]);
  // Optional columns (SplitwiseSim's file has both): e2e_time [ms], average_power [1].
  auto optional_col = [&](const char* name) {
    const auto it = std::find(head.begin(), head.end(), name);
    return it == head.end() ? head.size() : static_cast<std::size_t>(it - head.begin());
  };
  const std::size_t ce = optional_col("e2e_time"), cp = optional_col("average_power");
  using Key = std::tuple<std::string, std::string, int, int, int, int>;
  struct Reps {
    std::vector<double> prefill, decode, e2e, power;
  };
  std::map<Key, Reps> reps;
  std::size_t lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto f = split_commas(line);
    if (f.size() != head.size())
      throw InputError(SourcePos{file, lineno, 1}, "row", "expected " + std::to_string(head.size()) + " fields");
    double v[6];
    for (int i = 0; i < 6; ++i) {
      const auto& s = f[cn[i]];
      const auto r = std::from_chars(s.data(), s.data() + s.size(), v[i]);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !(v[i] >= 0) || !std::isfinite(v[i]))
        throw InputError(SourcePos{file, lineno, 1}, num_names[i], "'" + s + "' is not a non-negative number");
    }
    auto& r = reps[Key{f[cm], f[ch], static_cast<int>(v[0]), static_cast<int>(v[1]), static_cast<int>(v[2]),
                       static_cast<int>(v[3])}];
    r.prefill.push_back(v[4] * 1e-3);
    r.decode.push_back(v[5] * 1e-3);
    auto optional = [&](std::size_t c, const char* name) {
      if (c == head.size()) return 0.0;
      double x = 0;
      const auto& s = f[c];
      const auto res = std::from_chars(s.data(), s.data() + s.size(), x);
      if (res.ec != std::errc() || res.ptr != s.data() + s.size() || !(x >= 0) || !std::isfinite(x))
        throw InputError(SourcePos{file, lineno, 1}, name, "'" + s + "' is not a non-negative number");
      return x;
    };
    r.e2e.push_back(optional(ce, "e2e_time") * 1e-3);
    r.power.push_back(optional(cp, "average_power"));
  }
  std::vector<SplitwisePoint> out;
  for (const auto& [k, v] : reps) {
    SplitwisePoint s;
    std::tie(s.model, s.hardware, s.tp, s.prompt, s.batch, s.tokens) = k;
    s.prefill_s = median(v.prefill);
    s.decode_s = median(v.decode);
    s.e2e_s = median(v.e2e);
    s.average_power = median(v.power);
    s.repetitions = static_cast<int>(v.prefill.size());
    out.push_back(std::move(s));
  }
  return out;
}

ProfileTable splitwise_profile_table(const std::vector<SplitwisePoint>& points, const std::string& model,
                                     const std::string& hardware, int tp) {
  std::vector<ProfileRow> rows;
  for (const auto& p : points) {
    if (p.model != model || p.hardware != hardware || p.tp != tp) continue;
    rows.push_back({true, 1.0, static_cast<double>(p.prompt) * p.batch, p.prefill_s});
    rows.push_back({false, static_cast<double>(p.batch), p.mean_context(), p.decode_s});
  }
  if (rows.empty())
    throw std::invalid_argument("no Splitwise points for " + model + " on " + hardware + " at TP " + std::to_string(tp));
  return ProfileTable(rows);
}

SplitwiseSelect parse_splitwise_select(const std::string& text) {
  const auto a = text.find('/');
  const auto b = a == std::string::npos ? a : text.find('/', a + 1);
  SplitwiseSelect s;
  if (b == std::string::npos || a == 0 || b == a + 1 || text.find('/', b + 1) != std::string::npos)
    throw std::invalid_argument("'" + text + "' is not model/hardware/tp, e.g. llama2-70b/h100-80gb/4");
  s.model = text.substr(0, a);
  s.hardware = text.substr(a + 1, b - a - 1);
  const std::string tp = text.substr(b + 1);
  const auto r = std::from_chars(tp.data(), tp.data() + tp.size(), s.tp);
  if (r.ec != std::errc() || r.ptr != tp.data() + tp.size() || s.tp < 1)
    throw std::invalid_argument("'" + tp + "' is not a tensor-parallel degree (a positive integer)");
  return s;
}

ProfileTable splitwise_profile_table(const std::filesystem::path& file, const SplitwiseSelect& select) {
  return splitwise_profile_table(read_splitwise_perf(file), select.model, select.hardware, select.tp);
}

}  // namespace collabsim
