#include "sim/kernels/token_router.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"
#include "sim/core/rng.hpp"
#include "sim/core/strings.hpp"

namespace collabsim::kernels {

TokenScores score_tokens(const CharLm& teacher, const CharLm& student, const std::string& text,
                         std::size_t max_positions) {
  TokenScores out;
  const std::size_t n = text.size();
  const std::size_t stride = std::max<std::size_t>(1, n / std::max<std::size_t>(1, max_positions));
  std::vector<std::uint8_t> tctx, sctx, next;
  auto flush = [&]() {
    if (next.empty()) return;
    const int b = static_cast<int>(next.size());
    const Eigen::MatrixXf pt = teacher.predict(tctx, b);
    const Eigen::MatrixXf ps = student.predict(sctx, b);
    for (int j = 0; j < b; ++j) {
      Eigen::Index is = 0, it = 0;
      const float conf = ps.col(j).maxCoeff(&is);
      pt.col(j).maxCoeff(&it);
      out.confidence.push_back(conf);
      out.student_bits.push_back(-std::log2(std::max(ps(next[j], j), 1e-12f)));
      out.teacher_bits.push_back(-std::log2(std::max(pt(next[j], j), 1e-12f)));
      out.agree.push_back(is == it ? 1 : 0);
    }
    tctx.clear();
    sctx.clear();
    next.clear();
  };
  for (std::size_t i = 0; i < n; i += stride) {
    teacher.context_at(text, i, tctx);
    student.context_at(text, i, sctx);
    next.push_back(static_cast<std::uint8_t>(text[i]));
    if (next.size() == 512) flush();
  }
  flush();
  return out;
}

std::vector<RoutingPoint> routing_curve(const TokenScores& sc, const std::vector<double>& shares, std::uint64_t seed) {
  const std::size_t n = sc.confidence.size();
  if (n == 0) throw std::invalid_argument("routing_curve: no scored positions");
  // Positions from least to most confident (ties by position: deterministic).
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return sc.confidence[a] < sc.confidence[b]; });
  std::vector<RoutingPoint> out;
  RngStream rng(seed, "token_router_random");
  for (const double s : shares) {
    if (!(s >= 0.0 && s <= 1.0)) throw std::invalid_argument("routing_curve: share outside [0, 1]");
    const auto k = static_cast<std::size_t>(std::llround(s * static_cast<double>(n)));
    std::vector<std::uint8_t> routed(n, 0), random(n, 0);
    for (std::size_t r = 0; r < k; ++r) routed[order[r]] = 1;
    // Random subset of k positions: partial Fisher–Yates.
    std::vector<std::size_t> perm(n);
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    for (std::size_t r = 0; r < k; ++r) {
      const std::size_t j = r + static_cast<std::size_t>(rng.below(n - r));
      std::swap(perm[r], perm[j]);
      random[perm[r]] = 1;
    }
    double bits = 0, rbits = 0, agree = 0;
    for (std::size_t i = 0; i < n; ++i) {
      bits += routed[i] ? sc.teacher_bits[i] : sc.student_bits[i];
      rbits += random[i] ? sc.teacher_bits[i] : sc.student_bits[i];
      agree += routed[i] ? 1.0 : sc.agree[i];
    }
    RoutingPoint p;
    p.teacher_share = static_cast<double>(k) / static_cast<double>(n);
    p.threshold = k < n ? sc.confidence[order[k]] : 2.0;
    p.bpb_routed = bits / static_cast<double>(n);
    p.bpb_random = rbits / static_cast<double>(n);
    p.agreement = agree / static_cast<double>(n);
    out.push_back(p);
  }
  return out;
}

double RoutingCurve::gap_recovered(double s) const {
  const double lo = bpb.front(), hi = bpb.back();
  s = std::clamp(s, 0.0, 1.0);
  const auto it = std::upper_bound(share.begin(), share.end(), s);
  double b;
  if (it == share.end()) {
    b = bpb.back();
  } else {
    const auto j = static_cast<std::size_t>(it - share.begin());  // share[j-1] ≤ s < share[j]
    const double w = (s - share[j - 1]) / (share[j] - share[j - 1]);
    b = bpb[j - 1] + w * (bpb[j] - bpb[j - 1]);
  }
  return std::clamp((lo - b) / (lo - hi), 0.0, 1.0);
}

void write_routing_csv(const std::filesystem::path& file, const std::vector<RoutingPoint>& points,
                       const std::string& header_comment) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file);
  if (!out) throw std::runtime_error("cannot write " + file.string());
  std::size_t start = 0;
  while (start < header_comment.size()) {
    const auto end = header_comment.find('\n', start);
    out << "# " << header_comment.substr(start, end == std::string::npos ? std::string::npos : end - start) << '\n';
    if (end == std::string::npos) break;
    start = end + 1;
  }
  out << "teacher_share,threshold,bpb_routed,bpb_random,agreement\n";
  for (const auto& p : points)
    out << fmt::format("{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}\n", p.teacher_share, p.threshold, p.bpb_routed, p.bpb_random,
                       p.agreement);
}

RoutingCurve read_routing_csv(const std::filesystem::path& file, const std::string& key) {
  if (!input_exists(file)) throw InputError(SourcePos{file, 0, 0}, key, "no such curve file (write it with `collabsim train-lm --curve-csv FILE`)");
  check_input_file(file, SourcePos{}, key, "token-routing curve");
  std::ifstream in(file);
  std::string line;
  std::size_t lineno = 0;
  bool header = false;
  RoutingCurve c;
  auto fail = [&](const std::string& msg) { throw InputError(SourcePos{file, lineno, 0}, key, msg); };
  while (read_line(in, line, kMaxTableLineBytes, file, lineno + 1)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto f = split_commas(line);
    if (!header) {
      if (f.size() < 3 || f[0] != "teacher_share" || f[2] != "bpb_routed")
        fail("expected the header teacher_share,threshold,bpb_routed,...");
      header = true;
      continue;
    }
    if (f.size() < 3) fail("expected at least 3 fields");
    double s = 0, b = 0;
    try {
      std::size_t used = 0;
      s = std::stod(f[0], &used);
      if (used != f[0].size()) throw std::invalid_argument("");
      b = std::stod(f[2], &used);
      if (used != f[2].size()) throw std::invalid_argument("");
    } catch (const std::exception&) {
      fail("not a number");
    }
    if (!(s >= 0.0 && s <= 1.0)) fail("teacher_share outside [0, 1]");
    if (!c.share.empty() && !(s > c.share.back())) fail("teacher_share must rise strictly");
    if (!std::isfinite(b) || b <= 0.0) fail("bpb_routed must be finite and positive");
    c.share.push_back(s);
    c.bpb.push_back(b);
  }
  if (c.share.size() < 2 || c.share.front() != 0.0 || c.share.back() != 1.0)
    fail("the curve must run from teacher_share 0 to 1 (at least two rows)");
  if (!(c.bpb.front() > c.bpb.back())) fail("bpb at share 0 (student) must exceed bpb at share 1 (teacher)");
  return c;
}

}  // namespace collabsim::kernels
