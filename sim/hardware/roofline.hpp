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
/// Memory time = weights / achieved bandwidth + KV-cache bytes / attention bandwidth
/// (DeviceSpec::attention_bandwidth: attention_memory_efficiency of peak when the card sets
/// it, else the same achieved bandwidth). The step's core time combines compute and memory
/// time as the card's `overlap` says: max (the classic roofline: the two overlap perfectly)
/// or sum (no overlap: fitted on ML.ENERGY v3's vLLM 0.11 measurements, docs/CALIBRATION.md,
/// where inter-token latency rises linearly with batch from batch 8 on, before the GEMMs
/// become compute-bound).
///
/// Each step also pays step_overhead(): the serving stack's fixed costs (device card keys,
/// all 0 by default): step_overhead per iteration (scheduler, sampling, CUDA-graph replay),
/// layers × layer_overhead (kernel launches and non-GEMM kernels), layers ×
/// tp_layer_overhead when k > 1 (the stack's two all-reduces per layer, Megatron-LM tensor
/// parallelism, Shoeybi et al. 2019), layers × eager_layer_overhead when the step has more
/// tokens than cuda_graph_max_tokens (vLLM runs larger batches eagerly, without CUDA
/// graphs), and, when a measured all-reduce table is given and k > 1, 2 all-reduces per
/// layer of the step's tokens × hidden × 2 bytes (BF16/FP16 activations). Calibrated
/// against SplitwiseSim's (2023 stack) and ML.ENERGY v3's (vLLM 0.11) measurements in
/// docs/CALIBRATION.md. And every sequence of the step pays sequence_overhead (the stack's
/// per-request scheduling, input preparation and sampling): with it and the KV term, the
/// attention cost of a step is split into a part per sequence and a part per context token,
/// identified by ML.ENERGY's chat (~560-token mean context) and GPQA (~4,000) runs.

#include <cstdint>

#include "sim/hardware/allreduce_table.hpp"
#include "sim/hardware/device_spec.hpp"
#include "sim/hardware/model_card.hpp"

namespace collabsim {

/// Work of a step in roofline counts (the power model's input, DeviceSpec::step).
struct StepWork {
  double flops = 0;     ///< FLOPs
  double bytes = 0;     ///< bytes of memory traffic (weights + KV cache)
  double kv_bytes = 0;  ///< the KV-cache share of `bytes` (reads of the cached context, writes of new tokens)
};

/// Work of one continuous-batching iteration (or of a lone prefill / decode step).
struct IterationLoad {
  int prefill_seqs = 0;           ///< sequences with a prefill chunk in this iteration
  double prefill_tokens = 0;      ///< Σ n (new prompt tokens)
  double prefill_attention = 0;   ///< Σ n·(o + n/2), o = tokens already cached
  double prefill_kv_tokens = 0;   ///< Σ (o + n) tokens of KV touched by the chunks
  int decode_seqs = 0;            ///< sequences decoding one token
  double decode_context = 0;      ///< Σ context length of the decoding sequences
};

/// Roofline FLOPs and bytes of an iteration: FLOPs = 2·P_active·(prefill tokens + decode
/// sequences) + 4·L·H·d_h·(prefill_attention + decode_context); bytes = weights + KV of
/// (decode_context + prefill_kv_tokens) tokens.
StepWork iteration_work(const ModelCard& m, const IterationLoad& load);

/// Time (s) of one iteration on a replica: core(compute, memory) + step_overhead(tokens of
/// the step) + sequence_overhead × (prefill_seqs + decode_seqs) (DeviceSpec), core = max or
/// sum by the card's `overlap` (see the file comment). The one
/// formula behind prefill_time, decode_step_time and LatencyModel::iteration.
double iteration_time(const ModelCard& m, const DeviceSpec& d, const AllReduceTable* ar, const IterationLoad& load);

/// FLOPs and bytes of a prefill of `prompt_tokens` tokens (the counts prefill_time uses).
StepWork prefill_work(const ModelCard& m, std::int64_t prompt_tokens);

/// FLOPs and bytes of decoding `output_tokens` tokens after `prompt_tokens` at batch 1:
/// Σ over the steps of decode_step_time's counts (closed form).
StepWork decode_work(const ModelCard& m, std::int64_t prompt_tokens, std::int64_t output_tokens);


/// Fixed and communication time (s) of one step that processes `step_tokens` tokens:
/// step_overhead + layers × (layer_overhead + (k > 1 ? tp_layer_overhead : 0) +
/// (step_tokens > cuda_graph_max_tokens ? eager_layer_overhead : 0)) + (ar and k > 1 ?
/// 2 × layers × ar->time(k, step_tokens × hidden × 2 bytes) : 0), k = accelerators.
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
