#pragma once
/// \file allreduce_table.hpp
/// Measured NCCL all-reduce times by GPU count and message size, the tensor-parallel
/// communication term of the roofline (Megatron-LM, Shoeybi et al. 2019: two all-reduces
/// per transformer layer, one after attention and one after the MLP, each of the layer's
/// activations: batch tokens × hidden × bytes per element).
///
/// Reads Vidur's network profiles (Agrawal et al., MLSys 2024; microsoft/vidur
/// data/profiling/network/<cluster>/all_reduce.csv, see ../shared/data/profiles/SOURCE.md):
/// columns `time_stats.all_reduce.median` [ms], `num_workers` [GPUs], `size` [fp16 elements,
/// bytes = 2 × size], `devices_per_node`. Only rows with devices_per_node = num_workers
/// (all GPUs of the group in one NVLink node, as a tensor-parallel replica is) are kept.
///
/// Interpolation: linear in message bytes between measured sizes; below the smallest size
/// the smallest size's time (latency floor); above the largest, the largest size's time
/// scaled by bytes (its bandwidth). Between measured GPU counts linear in the count;
/// outside them the nearest measured count; 1 GPU costs 0.

#include <filesystem>
#include <map>
#include <utility>
#include <vector>

namespace collabsim {

class AllReduceTable {
 public:
  /// Throws InputError (file, line, column) for a missing file, a missing column, a
  /// non-numeric or negative value, or a file without intra-node rows.
  explicit AllReduceTable(const std::filesystem::path& file);

  /// Time (s) of one all-reduce of `bytes` over `gpus` GPUs (0 for gpus ≤ 1 or bytes ≤ 0).
  double time(int gpus, double bytes) const;

  /// The GPU counts measured.
  std::vector<int> gpu_counts() const;

 private:
  using Curve = std::vector<std::pair<double, double>>;  // (bytes, s), sorted
  static double along(const Curve& c, double bytes);
  std::map<int, Curve> by_gpus_;
};

}  // namespace collabsim
