#pragma once
/// \file roofline.hpp
/// Roofline latency of transformer inference (Williams, Waterman & Patterson, CACM 2009,
/// applied to LLMs as in Yuan et al., "LLM Inference Unveiled: Survey and Roofline Model
/// Insights", 2024). A step takes max(compute time, memory time):
///
///   prefill of n tokens:  FLOPs = 2·P_active·n + 2·L·n²·(heads·head_dim)   (causal attention)
///                         bytes = weights (P·bytes_per_param) read once
///   decode step at context c (batch 1):
///                         FLOPs = 2·P_active + 4·L·c·(heads·head_dim)
///                         bytes = weights + KV cache of c tokens (kv_bytes_per_token · c)
///
/// Achieved rates are peak × efficiency (device card: compute_efficiency for FLOP/s,
/// memory_efficiency for bandwidth), times the replica's tensor-parallel speed-up
/// (DeviceSpec::tp_speedup: accelerators^tp_scaling).
///
/// Each step also pays step_overhead(): layers × layer_overhead (device card) plus, when a
/// measured all-reduce table is given and the replica has k > 1 accelerators, 2 all-reduces
/// per layer (Megatron-LM tensor parallelism, Shoeybi et al. 2019) of the step's tokens ×
/// hidden × 2 bytes (BF16/FP16 activations). Both are 0 by default. Calibrated against
/// SplitwiseSim's measurements in docs/CALIBRATION.md.

#include <cstdint>

#include "sim/hardware/allreduce_table.hpp"
#include "sim/hardware/device_spec.hpp"
#include "sim/hardware/model_card.hpp"

namespace collabsim {

/// Work of a step in roofline counts (the power model's input, DeviceSpec::step).
struct StepWork {
  double flops = 0;  ///< FLOPs
  double bytes = 0;  ///< bytes of memory traffic
};

/// FLOPs and bytes of a prefill of `prompt_tokens` tokens (the counts prefill_time uses).
StepWork prefill_work(const ModelCard& m, std::int64_t prompt_tokens);

/// FLOPs and bytes of decoding `output_tokens` tokens after `prompt_tokens` at batch 1:
/// Σ over the steps of decode_step_time's counts (closed form).
StepWork decode_work(const ModelCard& m, std::int64_t prompt_tokens, std::int64_t output_tokens);


/// Fixed and communication time (s) of one step that processes `step_tokens` tokens:
/// layers × layer_overhead + (ar and accelerators > 1 ? 2 × layers × ar->time(accelerators,
/// step_tokens × hidden × 2 bytes) : 0).
double step_overhead(const ModelCard& m, const DeviceSpec& d, const AllReduceTable* ar, double step_tokens);

/// Prefill time (s) of `prompt_tokens` tokens on one replica (+ step_overhead).
double prefill_time(const ModelCard& m, const DeviceSpec& d, std::int64_t prompt_tokens,
                    const AllReduceTable* ar = nullptr);

/// Time (s) of one decode step at context length `context` tokens, batch 1 (+ step_overhead).
double decode_step_time(const ModelCard& m, const DeviceSpec& d, std::int64_t context,
                        const AllReduceTable* ar = nullptr);

/// Time (s) to decode `output_tokens` tokens after a prompt of `prompt_tokens` tokens,
/// batch 1: Σ_{k=0}^{output−1} decode_step_time(prompt + k), in closed form (O(1)).
double decode_time(const ModelCard& m, const DeviceSpec& d, std::int64_t prompt_tokens,
                   std::int64_t output_tokens, const AllReduceTable* ar = nullptr);

}  // namespace collabsim
