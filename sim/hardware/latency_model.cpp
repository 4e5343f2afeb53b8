#include "sim/hardware/latency_model.hpp"

#include <algorithm>

#include "sim/hardware/roofline.hpp"

namespace collabsim {

LatencyModel::LatencyModel(const ModelCard& model, const DeviceSpec& device,
                           std::shared_ptr<const ProfileTable> profile)
    : m_(model), d_(device), profile_(std::move(profile)), tp_divisor_(device.tp_activity_divisor()) {
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
  return d_.step(w.flops, w.bytes, iteration(l) + extra_seconds, tp_divisor_);
}

}  // namespace collabsim
