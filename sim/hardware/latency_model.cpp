#include "sim/hardware/latency_model.hpp"

#include <algorithm>

#include "sim/hardware/roofline.hpp"

namespace collabsim {

LatencyModel::LatencyModel(const ModelCard& model, const DeviceSpec& device,
                           std::shared_ptr<const ProfileTable> profile)
    : m_(model), d_(device), profile_(std::move(profile)), power_(device, device.tp_activity_divisor()) {
  if (!profile_ && !d_.allreduce_profile.empty()) allreduce_ = std::make_shared<AllReduceTable>(d_.allreduce_profile);
}

double LatencyModel::prefill(std::int64_t tokens) const {
  if (tokens <= 0) return 0.0;
  return profile_ ? profile_->prefill(1, static_cast<double>(tokens)) : prefill_time(m_, d_, tokens, allreduce_.get());
}

double LatencyModel::decode_step(std::int64_t context) const {
  return profile_ ? profile_->decode_step(1, static_cast<double>(context)) : decode_step_time(m_, d_, context, allreduce_.get());
}

double LatencyModel::decode(std::int64_t prompt, std::int64_t output) const {
  if (output <= 0) return 0.0;
  if (!profile_) return decode_time(m_, d_, prompt, output, allreduce_.get());
  const double mid = static_cast<double>(prompt) + static_cast<double>(output - 1) / 2.0;
  return static_cast<double>(output) * profile_->decode_step(1, mid);
}

double LatencyModel::iteration(const IterationLoad& l) const {
  if (profile_) {
    double t = 0;
    if (l.prefill_seqs > 0) t += profile_->prefill(l.prefill_seqs, l.prefill_tokens);
    if (l.decode_seqs > 0) t += profile_->decode_step(l.decode_seqs, l.decode_context / l.decode_seqs);
    return t;
  }
  return iteration_time(m_, d_, allreduce_.get(), l);
}

StepWork LatencyModel::iteration_work(const IterationLoad& l) const { return collabsim::iteration_work(m_, l); }

PowerDraw LatencyModel::step(const IterationLoad& l, double extra_seconds) const {
  const StepWork w = iteration_work(l);
  return power_(w.flops, w.bytes, iteration(l) + extra_seconds, w.kv_bytes);
}

LatencyModel::DecodeSpan::DecodeSpan(const LatencyModel& lm, const IterationLoad& load, double extra)
    : lm_(lm), load_(load), extra_(extra), general_(lm.profile_ != nullptr) {
  if (general_) return;
  const ModelCard& m = lm.m_;
  const DeviceSpec& d = lm.d_;
  // The factors of roofline.cpp's linear_flops, attention_flops and step_bytes, evaluated
  // in their order: (2·P)·tokens, ((4·L)·(heads·head_dim))·pairs, weights·reads + kv·tokens.
  linear_flops_ = 2.0 * m.active_params * (load.prefill_tokens + load.decode_seqs);
  pair_flops_ = 4.0 * m.layers * (static_cast<double>(m.heads) * m.head_dim);
  weight_bytes_ = m.weight_bytes() * 1.0;
  no_weight_bytes_ = m.weight_bytes() * 0.0;
  kv_token_bytes_ = m.kv_bytes_per_token();
  flops_rate_ = d.achieved_flops();
  bandwidth_ = d.achieved_bandwidth();
  attention_bandwidth_ = d.attention_bandwidth();
  overheads_ = step_overhead(m, d, lm.allreduce_.get(), load.prefill_tokens + load.decode_seqs);
  sequences_ = d.sequence_overhead * (load.prefill_seqs + load.decode_seqs);
}

PowerDraw LatencyModel::DecodeSpan::step(double decode_context) const {
  if (general_) {
    IterationLoad l = load_;
    l.decode_context = decode_context;
    return lm_.step(l, extra_);
  }
  const DeviceSpec& d = lm_.d_;
  // iteration_work and iteration_time of roofline.cpp, term by term.
  const double kv_tokens = decode_context + load_.prefill_kv_tokens;
  const double flops = linear_flops_ + pair_flops_ * (load_.prefill_attention + decode_context);
  const double bytes = weight_bytes_ + kv_token_bytes_ * kv_tokens;
  const double kv = no_weight_bytes_ + kv_token_bytes_ * kv_tokens;
  const double compute = flops / flops_rate_;
  const double memory = d.attention_memory_efficiency <= 0 ? bytes / bandwidth_
                                                            : (bytes - kv) / bandwidth_ + kv / attention_bandwidth_;
  const double core = d.overlap == Overlap::sum ? compute + memory : std::max(compute, memory);
  const double seconds = core + overheads_ + sequences_;
  return lm_.power_(flops, bytes, seconds + extra_, kv);
}

}  // namespace collabsim
