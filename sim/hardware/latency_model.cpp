#include "sim/hardware/latency_model.hpp"

#include <algorithm>

#include "sim/hardware/roofline.hpp"

namespace collabsim {

LatencyModel::LatencyModel(const ModelCard& model, const DeviceSpec& device,
                           std::shared_ptr<const ProfileTable> profile)
    : m_(model), d_(device), profile_(std::move(profile)) {
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
  const StepWork w = iteration_work(l);
  const double t = std::max(w.flops / d_.achieved_flops(), w.bytes / d_.achieved_bandwidth());
  if (d_.layer_overhead == 0 && !allreduce_) return t;  // the default: bit-identical to before
  return t + step_overhead(m_, d_, allreduce_.get(), l.prefill_tokens + l.decode_seqs);
}

StepWork LatencyModel::iteration_work(const IterationLoad& l) const {
  const double attn = 4.0 * m_.layers * static_cast<double>(m_.heads) * m_.head_dim;
  return {2.0 * m_.active_params * (l.prefill_tokens + l.decode_seqs) + attn * (l.prefill_attention + l.decode_context),
          m_.weight_bytes() + m_.kv_bytes_per_token() * (l.decode_context + l.prefill_kv_tokens)};
}

}  // namespace collabsim
