#include "sim/hardware/roofline.hpp"

#include <algorithm>
#include <cmath>

namespace collabsim {
namespace {
double attn_width(const ModelCard& m) { return static_cast<double>(m.heads) * m.head_dim; }

/// Memory time (s) of `bytes` of traffic of which `kv` bytes are KV-cache reads/writes.
double memory_time(const DeviceSpec& d, double bytes, double kv) {
  if (d.attention_memory_efficiency <= 0) return bytes / d.achieved_bandwidth();
  return (bytes - kv) / d.achieved_bandwidth() + kv / d.attention_bandwidth();
}

/// Compute and memory time combined as the card's `overlap` says.
double core_time(const DeviceSpec& d, double compute, double memory) {
  return d.overlap == Overlap::sum ? compute + memory : std::max(compute, memory);
}

// The roofline work formula, written once (the file comment of roofline.hpp): every
// count below goes through these three.

/// FLOPs of the weight GEMMs for `tokens` tokens: 2·P_active per token (a multiply and an
/// add per active parameter: Kaplan et al., "Scaling Laws for Neural Language
/// Models", 2020, Table 1).
double linear_flops(const ModelCard& m, double tokens) { return 2.0 * m.active_params * tokens; }

/// FLOPs of attention over `pairs` (query, key) token pairs: QKᵀ and AV, 2 FLOPs each per
/// head dimension, in every layer: 4·L·(heads·head_dim) per pair.
double attention_flops(const ModelCard& m, double pairs) { return 4.0 * m.layers * attn_width(m) * pairs; }

/// Bytes of `weight_reads` reads of the weights and `kv_tokens` tokens of KV cache.
double step_bytes(const ModelCard& m, double weight_reads, double kv_tokens) {
  return m.weight_bytes() * weight_reads + m.kv_bytes_per_token() * kv_tokens;
}
}  // namespace

StepWork iteration_work(const ModelCard& m, const IterationLoad& l) {
  return {linear_flops(m, l.prefill_tokens + l.decode_seqs) + attention_flops(m, l.prefill_attention + l.decode_context),
          step_bytes(m, 1.0, l.decode_context + l.prefill_kv_tokens),
          step_bytes(m, 0.0, l.decode_context + l.prefill_kv_tokens)};
}

double iteration_time(const ModelCard& m, const DeviceSpec& d, const AllReduceTable* ar, const IterationLoad& l) {
  const StepWork w = iteration_work(m, l);
  const double kv = step_bytes(m, 0.0, l.decode_context + l.prefill_kv_tokens);  // the KV share of w.bytes
  return core_time(d, w.flops / d.achieved_flops(), memory_time(d, w.bytes, kv)) +
         step_overhead(m, d, ar, l.prefill_tokens + l.decode_seqs) +
         d.sequence_overhead * (l.prefill_seqs + l.decode_seqs);
}

StepWork prefill_work(const ModelCard& m, std::int64_t n) {
  if (n <= 0) return {};
  const double nn = static_cast<double>(n);
  return {linear_flops(m, nn) + attention_flops(m, nn * (nn / 2.0)), step_bytes(m, 1.0, nn),  // causal: n²/2 pairs
          step_bytes(m, 0.0, nn)};
}

StepWork decode_work(const ModelCard& m, std::int64_t prompt, std::int64_t out) {
  if (out <= 0) return {};
  const double n = static_cast<double>(out), c0 = static_cast<double>(prompt);
  const double sum_c = n * c0 + n * (n - 1) / 2.0;  // Σ_{k=0}^{out−1} (prompt + k)
  return {linear_flops(m, n) + attention_flops(m, sum_c), step_bytes(m, n, sum_c), step_bytes(m, 0.0, sum_c)};
}

double step_overhead(const ModelCard& m, const DeviceSpec& d, const AllReduceTable* ar, double tokens) {
  double per_layer = d.layer_overhead;
  if (d.accelerators > 1) per_layer += d.tp_layer_overhead;
  if (tokens > static_cast<double>(d.cuda_graph_max_tokens)) per_layer += d.eager_layer_overhead;
  double t = d.step_overhead + m.layers * per_layer;
  if (ar && d.accelerators > 1) t += 2.0 * m.layers * ar->time(d.accelerators, tokens * m.hidden * 2.0);
  return t;
}

double prefill_time(const ModelCard& m, const DeviceSpec& d, std::int64_t n, const AllReduceTable* ar) {
  if (n <= 0) return 0.0;
  const double nn = static_cast<double>(n);
  IterationLoad l;  // one sequence, n new tokens, nothing cached
  l.prefill_seqs = 1;
  l.prefill_tokens = nn;
  l.prefill_attention = nn * (nn / 2.0);
  l.prefill_kv_tokens = nn;
  return iteration_time(m, d, ar, l);
}

double decode_step_time(const ModelCard& m, const DeviceSpec& d, std::int64_t context, const AllReduceTable* ar) {
  IterationLoad l;  // one sequence decoding at `context`
  l.decode_seqs = 1;
  l.decode_context = static_cast<double>(context);
  return iteration_time(m, d, ar, l);
}

double decode_time(const ModelCard& m, const DeviceSpec& d, std::int64_t prompt, std::int64_t out,
                   const AllReduceTable* ar) {
  if (out <= 0) return 0.0;
  const double fixed = static_cast<double>(out) * (step_overhead(m, d, ar, 1.0) + d.sequence_overhead);
  // decode_step_time without its overhead is core(a_f + b_f c, a_m + b_m c), both affine in
  // the context c (the same counts as iteration_work of one decoding sequence).
  const double F = d.achieved_flops(), B = d.achieved_bandwidth();
  const double BA = d.attention_memory_efficiency > 0 ? d.attention_bandwidth() : B;
  const double af = linear_flops(m, 1.0) / F, bf = attention_flops(m, 1.0) / F;
  const double am = step_bytes(m, 1.0, 0.0) / B, bm = step_bytes(m, 0.0, 1.0) / BA;
  auto sum_line = [](double a, double b, double c0, double c1) {  // Σ_{c=c0}^{c1-1} (a + b c)
    const double n = c1 - c0;
    return n <= 0 ? 0.0 : a * n + b * (c0 + c1 - 1) * n / 2.0;
  };
  const double c0 = static_cast<double>(prompt), c1 = c0 + static_cast<double>(out);
  if (d.overlap == Overlap::sum) return fixed + sum_line(af + am, bf + bm, c0, c1);
  // Σ over c = prompt .. prompt+out−1 of max(af + bf c, am + bm c). The two lines cross at
  // most once; split the sum there.
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
