#include "sim/hardware/roofline.hpp"

#include <algorithm>
#include <cmath>

namespace collabsim {
namespace {
double flops_rate(const DeviceSpec& d) { return d.achieved_flops(); }
double bw_rate(const DeviceSpec& d) { return d.achieved_bandwidth(); }
double attn_width(const ModelCard& m) { return static_cast<double>(m.heads) * m.head_dim; }
}  // namespace

StepWork prefill_work(const ModelCard& m, std::int64_t n) {
  if (n <= 0) return {};
  const double nn = static_cast<double>(n);
  return {2.0 * m.active_params * nn + 2.0 * m.layers * nn * nn * attn_width(m),
          m.weight_bytes() + m.kv_bytes_per_token() * nn};
}

StepWork decode_work(const ModelCard& m, std::int64_t prompt, std::int64_t out) {
  if (out <= 0) return {};
  const double n = static_cast<double>(out), c0 = static_cast<double>(prompt);
  const double sum_c = n * c0 + n * (n - 1) / 2.0;  // Σ_{k=0}^{out−1} (prompt + k)
  return {2.0 * m.active_params * n + 4.0 * m.layers * attn_width(m) * sum_c,
          m.weight_bytes() * n + m.kv_bytes_per_token() * sum_c};
}

double step_overhead(const ModelCard& m, const DeviceSpec& d, const AllReduceTable* ar, double tokens) {
  double t = m.layers * d.layer_overhead;
  if (ar && d.accelerators > 1) t += 2.0 * m.layers * ar->time(d.accelerators, tokens * m.hidden * 2.0);
  return t;
}

double prefill_time(const ModelCard& m, const DeviceSpec& d, std::int64_t n, const AllReduceTable* ar) {
  if (n <= 0) return 0.0;
  const StepWork w = prefill_work(m, n);  // weights in, KV out
  return std::max(w.flops / flops_rate(d), w.bytes / bw_rate(d)) + step_overhead(m, d, ar, static_cast<double>(n));
}

double decode_step_time(const ModelCard& m, const DeviceSpec& d, std::int64_t context, const AllReduceTable* ar) {
  const double c = static_cast<double>(context);
  const double flops = 2.0 * m.active_params + 4.0 * m.layers * c * attn_width(m);
  const double bytes = m.weight_bytes() + m.kv_bytes_per_token() * c;
  return std::max(flops / flops_rate(d), bytes / bw_rate(d)) + step_overhead(m, d, ar, 1.0);
}

double decode_time(const ModelCard& m, const DeviceSpec& d, std::int64_t prompt, std::int64_t out,
                   const AllReduceTable* ar) {
  if (out <= 0) return 0.0;
  const double fixed = static_cast<double>(out) * step_overhead(m, d, ar, 1.0);
  // Both terms are affine in the context c: t_f(c) = a_f + b_f c, t_m(c) = a_m + b_m c.
  const double F = flops_rate(d), B = bw_rate(d);
  const double af = 2.0 * m.active_params / F, bf = 4.0 * m.layers * attn_width(m) / F;
  const double am = m.weight_bytes() / B, bm = m.kv_bytes_per_token() / B;
  // Σ over c = prompt .. prompt+out−1 of max(af + bf c, am + bm c). The two lines cross at
  // most once; split the sum there.
  auto sum_line = [](double a, double b, double c0, double c1) {  // Σ_{c=c0}^{c1-1} (a + b c)
    const double n = c1 - c0;
    return n <= 0 ? 0.0 : a * n + b * (c0 + c1 - 1) * n / 2.0;
  };
  const double c0 = static_cast<double>(prompt), c1 = c0 + static_cast<double>(out);
  // compute − memory = (af − am) + (bf − bm)·c, zero at r = (am − af)/(bf − bm).
  const double db = bf - bm;
  if (db == 0) return fixed + (af >= am ? sum_line(af, bf, c0, c1) : sum_line(am, bm, c0, c1));
  const double r = (am - af) / db;
  if (db > 0) {  // memory-bound below r, compute-bound from r on
    const double split = std::clamp(std::ceil(r), c0, c1);
    return fixed + sum_line(am, bm, c0, split) + sum_line(af, bf, split, c1);
  }
  const double split = std::clamp(std::floor(r) + 1.0, c0, c1);  // compute-bound up to r
  return fixed + sum_line(af, bf, c0, split) + sum_line(am, bm, split, c1);
}

}  // namespace collabsim
