#pragma once
/// \file latency_model.hpp
/// Time of inference steps for one deployment: the roofline (roofline.hpp) by default, or a
/// measured ProfileTable when the deployment gives one. Both answer the same questions, so
/// servers do not care which is in use.

#include <cstdint>
#include <memory>

#include "sim/hardware/allreduce_table.hpp"
#include "sim/hardware/profile_table.hpp"
#include "sim/hardware/roofline.hpp"
#include "sim/hardware/device_spec.hpp"
#include "sim/hardware/model_card.hpp"

namespace collabsim {

class LatencyModel {
 public:
  /// `profile` may be null (roofline). A roofline model reads the device's
  /// allreduce_profile (AllReduceTable; InputError when unreadable) if it names one.
  LatencyModel(const ModelCard& model, const DeviceSpec& device, std::shared_ptr<const ProfileTable> profile);

  /// Prefill of `tokens` prompt tokens alone (s).
  double prefill(std::int64_t tokens) const;
  /// One decode step alone at context `context` (s).
  double decode_step(std::int64_t context) const;
  /// Decode of `output` tokens alone after `prompt` (s). Profile: output × step at the
  /// mid context (exact where the profile is linear in context).
  double decode(std::int64_t prompt, std::int64_t output) const;
  /// One batched iteration (s), without the fixed overhead.
  double iteration(const IterationLoad& load) const;

  /// Roofline FLOPs and bytes of the same steps (from the model card, also when a
  /// profile gives the times): the power model's input (DeviceSpec::step).
  StepWork iteration_work(const IterationLoad& load) const;
  /// Duration and power of one batched iteration: the one per-step time/energy function
  /// every server calls (do not re-derive it). seconds = iteration(load) + extra_seconds
  /// (the deployment's iteration_overhead, swap copies), stretched by a power cap; watts =
  /// DeviceSpec::step of iteration_work(load) over that time (activity from the simulated
  /// step's utilisation, docs/ENERGY.md). Energy of the iteration = watts × seconds.
  PowerDraw step(const IterationLoad& load, double extra_seconds = 0.0) const;
  /// The decode-only iterations of a coalesced span (BatchingReplica): step(load, extra)
  /// with load.decode_context replaced by `decode_context`, where everything that does not
  /// depend on the context (the step and sequence overheads of roofline.hpp's
  /// iteration_time, the weight bytes, the card's achieved rates and the per-pair constants)
  /// is computed once per span instead of once per step. Bit-identical to step(): the same
  /// operations on the same values in the same order (test Roofline.DecodeSpanEqualsStep
  /// checks every shipped device card); with a measured profile every step goes through
  /// step(). `load` must outlive nothing: it is copied.
  class DecodeSpan {
   public:
    PowerDraw step(double decode_context) const;

   private:
    friend class LatencyModel;
    DecodeSpan(const LatencyModel& lm, const IterationLoad& load, double extra);
    const LatencyModel& lm_;
    IterationLoad load_;
    double extra_;
    bool general_;                    // a profile gives the times: step() itself
    double linear_flops_ = 0;         // 2·P_active·(prefill tokens + decode sequences)
    double pair_flops_ = 0;           // 4·L·(heads·head_dim), FLOPs per attention pair
    double weight_bytes_ = 0, no_weight_bytes_ = 0;  // weights × 1.0 and × 0.0 (step_bytes)
    double kv_token_bytes_ = 0;       // ModelCard::kv_bytes_per_token()
    double flops_rate_ = 0, bandwidth_ = 0, attention_bandwidth_ = 0;
    double overheads_ = 0, sequences_ = 0;  // step_overhead(tokens), sequence_overhead × sequences
  };
  DecodeSpan decode_span(const IterationLoad& load, double extra_seconds) const {
    return DecodeSpan(*this, load, extra_seconds);
  }

  StepWork prefill_work(std::int64_t tokens) const { return collabsim::prefill_work(m_, tokens); }
  StepWork decode_work(std::int64_t prompt, std::int64_t output) const {
    return collabsim::decode_work(m_, prompt, output);
  }

 private:
  const ModelCard& m_;
  const DeviceSpec& d_;
  std::shared_ptr<const ProfileTable> profile_;
  std::shared_ptr<const AllReduceTable> allreduce_;  ///< device.allreduce_profile (roofline only), or null
  /// DeviceSpec::step of d_ with its factors (k^δ = d_.tp_activity_divisor(), per-replica
  /// rates and watts) computed once instead of at every step.
  StepPower power_;
};

}  // namespace collabsim
