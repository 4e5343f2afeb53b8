#pragma once
/// \file device_spec.hpp
/// Hardware of one device type (a device card in models/devices merged with the scenario's
/// `[devices.<name>]` keys), and every formula that computes from it: achieved compute
/// rate and bandwidth of a replica, its power and its price. The roofline, the latency
/// model, the serving classes, the energy accounting and the kernels' cost estimates call
/// these methods; none writes the formulas again.
///
/// Units: FLOP/s, bytes/s, bytes, W, J, USD/s. "Per accelerator" values are multiplied by
/// `accelerators` (tensor parallel: rates, memory, power and price add up) for a replica.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>

#include "sim/core/error.hpp"
#include "sim/core/power_law.hpp"
#include "sim/hardware/thermal.hpp"

namespace collabsim {

struct Field;
class ParamSet;

/// How a working replica's power follows its work (`power_model` key).
enum class PowerModel {
  constant,     ///< two-state: busy_power whenever it works, whatever the step
  utilisation,  ///< idle + (busy − idle)·min(1, a·U_compute + b·U_memory) per step
};

/// Power of one step (a batching iteration, a prefill or a decode run) and its duration
/// after a power cap: `watts` of the replica (all accelerators), `seconds` ≥ the uncapped
/// duration (equal without a cap, or when the step demands no more than the cap).
struct PowerDraw {
  double watts = 0;
  double seconds = 0;
};

/// How a roofline step combines its compute and memory time (`overlap` key).
enum class Overlap {
  max,  ///< max(compute, memory): the classic roofline (perfect overlap)
  sum,  ///< compute + memory: no overlap (fitted on vLLM 0.11, ML.ENERGY v3; docs/CALIBRATION.md)
};

struct DeviceSpec {
  std::string name;            ///< scenario key, e.g. "phone"
  std::string title;           ///< product name from the card
  std::string source;          ///< datasheet / paper the numbers come from
  double peak_flops = 0;       ///< FLOP/s (dense, the precision the model runs in), per accelerator
  double memory_bandwidth = 0; ///< bytes/s, per accelerator
  double memory = 0;           ///< bytes, per accelerator
  double idle_power = 0;       ///< W, per accelerator
  double busy_power = 0;       ///< W, per accelerator
  double compute_efficiency = 0.5;  ///< achieved / peak FLOP/s, (0, 1]
  double memory_efficiency = 0.8;   ///< achieved / peak bandwidth, (0, 1]
  double layer_overhead = 0;   ///< s per transformer layer per step (kernel launches, framework), calibrated
  /// Achieved / peak bandwidth of the attention kernels' KV-cache traffic; 0 = memory_efficiency
  /// (paged attention's KV reads: fitted 0.73 on H100 from ML.ENERGY v3 chat and GPQA runs,
  /// whose mean contexts differ ~8x, docs/CALIBRATION.md).
  double attention_memory_efficiency = 0;
  Overlap overlap = Overlap::max;  ///< compute/memory combination of a step (roofline.hpp)
  double step_overhead = 0;    ///< s per iteration whatever its size (scheduler, sampling, graph replay), fitted
  /// s per sequence scheduled in a step (prefill or decode): the stack's per-request work
  /// (scheduling, input preparation, sampling), fitted (ML.ENERGY v3 chat + GPQA,
  /// docs/CALIBRATION.md); 0 = none.
  double sequence_overhead = 0;
  double tp_layer_overhead = 0;     ///< s per layer per step when accelerators > 1 (the stack's all-reduces), fitted
  double eager_layer_overhead = 0;  ///< s per layer per step with more tokens than cuda_graph_max_tokens, fitted
  /// Largest step (tokens) the stack runs as a captured CUDA graph (vLLM 0.11: 512, its
  /// default largest cudagraph capture size); larger steps pay eager_layer_overhead.
  std::int64_t cuda_graph_max_tokens = 0;
  double tp_scaling = 1;       ///< exponent α: a replica's rates are per-accelerator × accelerators^α
  std::string allreduce_profile;  ///< measured NCCL all-reduce CSV (Vidur format), resolved path; "" = none
  double price = 0;            ///< USD/s per accelerator (GPU-hour price / 3600)
  bool per_user = false;       ///< true: every request origin has its own instance
  /// Per-user device (devices.<name>.binding): true ("user", default) = one instance per
  /// user id shared by that user's requests (hardware/user_devices.hpp); false ("request")
  /// = one instance per request. Requests without a user id always get their own.
  bool bind_user = true;
  /// Generations at once on one user's instance (devices.<name>.user_concurrency; 1 =
  /// llama.cpp / MLC serving one sequence on a phone); more wait FIFO.
  int user_concurrency = 1;
  /// Inside the user's privacy domain (e.g. a clinic's own server): private prompt tokens
  /// sent to it are not counted as leaving the origin (/requests private_tokens_sent).
  bool trusted = false;
  int replicas = 1;            ///< identical servers behind one FCFS line (shared devices)
  int accelerators = 1;        ///< accelerators per replica (tensor parallel), rates add up
  double battery = 0;          ///< J of battery capacity (0 = mains powered)
  /// Per-user device with a battery: state of charge at the user's first request, share
  /// of capacity (devices.<name>.battery_initial; assumption: 1, full).
  double battery_initial = 1;
  /// Share of capacity below which the user's device stops serving locally
  /// (devices.<name>.battery_floor; assumption 0.05; Context::fits).
  double battery_floor = 0.05;
  /// First-order thermal model of the per-user device (hardware/thermal.hpp;
  /// devices.<name>.thermal_tau, thermal_floor, thermal_cool_tau); off when tau = 0.
  ThermalParams thermal;
  PowerModel power_model = PowerModel::utilisation;
  double power_compute_weight = 3.52;  ///< a: weight of U_compute in the activity (1); default: the pre-issue-25 H100 fit (utilisation from measured ITL), docs/ENERGY.md
  double power_memory_weight = 1.00;   ///< b: weight of U_memory in the activity (1); same fit
  /// c: activity of a running step beyond what its utilisation explains (clocks, SM
  /// occupancy of memory-bound kernels); fitted, docs/ENERGY.md. 0 = none.
  double power_static_activity = 0;
  /// δ: the activity of a k-accelerator replica is divided by k^δ (tensor-parallel GPUs wait
  /// on each other's all-reduces at lower power); fitted, docs/ENERGY.md. 0 = none.
  double power_tp_exponent = 0;
  /// γ: U_compute enters the activity as U_compute^γ (γ < 1: power rises steeply at low
  /// utilisation and flattens, as clocks boost first); fitted, docs/ENERGY.md. 1 = linear.
  double power_compute_exponent = 1;
  /// b_kv: weight of the KV-cache share of the memory traffic, U_kv = kv_bytes /
  /// (memory_bandwidth·k·seconds), added to the activity on top of b·U_m (attention over a
  /// long context draws more than streaming the weights: ML.ENERGY v3's H100 GPQA runs);
  /// fitted, docs/ENERGY.md. 0 = none.
  double power_kv_weight = 0;
  double power_cap = 0;        ///< W per accelerator (0 = none): power clamped, the step slowed (docs/ENERGY.md)
  double standby_power = 0;    ///< W per accelerator of a stopped (autoscaled-down) replica
  double weight_load_bandwidth = 7e9;  ///< bytes/s at which a cold-started replica loads its weights
  /// bytes/s of a device ↔ host memory copy (KV swap preemption; default PCIe 4.0 x16 per
  /// direction: 16 GT/s × 16 lanes × 128/130 ≈ 31.5 GB/s, PCI-SIG PCIe 4.0 specification)
  double swap_bandwidth = 32e9;
  SourcePos pos;

  /// FLOP/s one accelerator achieves: peak_flops × compute_efficiency.
  double achieved_flops_per_accelerator() const { return peak_flops * compute_efficiency; }
  /// Speed-up of a replica over one accelerator: accelerators^tp_scaling (= accelerators
  /// when tp_scaling = 1, the default; calibrated below 1 on Splitwise's measurements,
  /// docs/CALIBRATION.md, where smaller per-GPU shards run at lower efficiency).
  double tp_speedup() const {
    return tp_scaling == 1.0 ? static_cast<double>(accelerators) : std::pow(static_cast<double>(accelerators), tp_scaling);
  }
  /// FLOP/s a replica achieves: achieved_flops_per_accelerator() × tp_speedup().
  double achieved_flops() const { return achieved_flops_per_accelerator() * tp_speedup(); }
  /// Bytes/s a replica achieves: memory_bandwidth × memory_efficiency × tp_speedup().
  double achieved_bandwidth() const { return memory_bandwidth * memory_efficiency * tp_speedup(); }
  /// Bytes/s a replica's attention kernels achieve on KV-cache traffic:
  /// memory_bandwidth × attention_memory_efficiency × tp_speedup() (only used when
  /// attention_memory_efficiency > 0).
  double attention_bandwidth() const { return memory_bandwidth * attention_memory_efficiency * tp_speedup(); }
  /// Bytes of memory of a replica: memory × accelerators (0 = unknown).
  double replica_memory() const { return memory * accelerators; }

  /// W a replica draws at full activity: busy_power × accelerators (the board limit, TDP).
  double busy_watts() const { return busy_power * accelerators; }
  /// W per sequence when `replica_accelerators` of this card run at full activity for
  /// `batch` sequences: busy_power × replica_accelerators / batch (the API energy
  /// estimate's assumed provider hardware, docs/ENERGY.md; batch > 0).
  double busy_watts_per_sequence(double replica_accelerators, double batch) const {
    return busy_power * replica_accelerators / batch;
  }
  /// W a replica draws while idle (model loaded): idle_power × accelerators.
  double idle_watts() const { return idle_power * accelerators; }
  /// W a stopped replica draws (autoscaling): standby_power × accelerators.
  double standby_watts() const { return standby_power * accelerators; }
  /// W a replica may draw under its power cap: min(power_cap, busy_power) × accelerators
  /// (busy_watts() without a cap).
  double cap_watts() const {
    return (power_cap > 0 && power_cap < busy_power ? power_cap : busy_power) * accelerators;
  }

  /// Activity α ∈ [0, 1] of a step of `seconds` that does `flops` FLOPs and moves `bytes`
  /// of memory traffic on a replica: constant model 1; utilisation model
  /// min(1, (c + a·U_c^γ + b·U_m + b_kv·U_kv) / k^δ) (c = power_static_activity, δ = power_tp_exponent,
  /// γ = power_compute_exponent, b_kv = power_kv_weight, k = accelerators) with U_c = flops /
  /// (peak_flops·k·seconds), U_m = bytes / (memory_bandwidth·k·seconds) (achieved over *peak*,
  /// so a memory-bound roofline step has U_m = memory_efficiency) and U_kv the same for
  /// `kv_bytes`, the KV-cache share of `bytes` (0 when not given). 1 when the peak rates are
  /// unknown (0); 0 for seconds ≤ 0. U_c^γ is power_law() (sim/core/power_law.hpp: relative
  /// error ≤ (3 + 2·|γ·ln U_c|)·2^−52, deterministic on every platform), not std::pow.
  double activity(double flops, double bytes, double seconds) const {
    return activity(flops, bytes, seconds, tp_activity_divisor());
  }
  /// The same activity with k^δ given as `tp_divisor` (= tp_activity_divisor(), which a
  /// caller computing many steps of one device keeps instead of a std::pow per step;
  /// LatencyModel does). Bit-identical to the three-argument form for that value.
  double activity(double flops, double bytes, double seconds, double tp_divisor, double kv_bytes = 0) const;
  /// k^δ of activity() (δ = power_tp_exponent, k = accelerators); 1 when δ = 0.
  double tp_activity_divisor() const {
    return power_tp_exponent != 0 ? std::pow(static_cast<double>(accelerators), power_tp_exponent) : 1.0;
  }
  /// W of a replica at activity α ∈ [0, 1]: idle_watts() + α·(busy_watts() − idle_watts()),
  /// clamped to cap_watts(). Source of the linear form: power rising with utilisation as in
  /// ML.ENERGY v3 (power against batch size) and Splitwise (Patel et al., ISCA 2024: the
  /// memory-bound token phase draws less than the compute-bound prompt phase).
  double power(double activity) const;
  /// Power and duration of a step (uncapped duration `seconds`, work `flops`, `bytes`).
  /// Under a power cap (power(α) uncapped above cap_watts()) the step runs at the cap and
  /// its duration stretches by (α·(busy − idle)) / (cap − idle): the dynamic power above
  /// idle is taken proportional to the clock (DVFS, P_dyn ∝ f at the voltage floor), so
  /// the work slows in proportion to the power removed. Evidence and limits: docs/ENERGY.md
  /// (Splitwise's power-capped H100 rows: prompt 1.30× slower, token phase unchanged).
  PowerDraw step(double flops, double bytes, double seconds) const {
    return step(flops, bytes, seconds, tp_activity_divisor());
  }
  /// step() with k^δ given as `tp_divisor` (= tp_activity_divisor()); bit-identical.
  PowerDraw step(double flops, double bytes, double seconds, double tp_divisor, double kv_bytes = 0) const;
  /// W of the whole pool with `busy_replicas` of `replicas` working at full activity
  /// (an upper bound used by timelines of servers that do not report their own power).
  double pool_power(int busy_replicas) const {
    return busy_replicas * busy_watts() + (replicas - busy_replicas) * idle_watts();
  }
  /// J a replica spends working `seconds` at full activity: busy_watts() × seconds.
  double busy_energy(double seconds) const { return busy_watts() * seconds; }
  /// J a replica spends idle for `seconds`: idle_watts() × seconds.
  double idle_energy(double seconds) const { return idle_watts() * seconds; }

  /// USD a replica costs for `seconds` of its time: price × accelerators × seconds.
  double replica_cost(double seconds) const { return price * accelerators * seconds; }
};

/// DeviceSpec::activity() and step() for one device with their per-device factors computed
/// once (a replica's peak FLOP/s and bandwidth, its idle, busy and capped watts, k^δ), so a
/// caller computing many steps of one device (LatencyModel, every batching iteration) does
/// not derive them from the card at every step. The formulas live here only: DeviceSpec's
/// activity() and step() build a StepPower and call it. Same operations on the same values
/// in the same order as writing the formulas out per call, so bit-identical results.
class StepPower {
 public:
  /// Factors of `d` with k^δ given as `tp_divisor` (= d.tp_activity_divisor()).
  StepPower(const DeviceSpec& d, double tp_divisor)
      : peak_flops_(d.peak_flops * static_cast<double>(d.accelerators)),
        peak_bandwidth_(d.memory_bandwidth * static_cast<double>(d.accelerators)),
        static_activity_(d.power_static_activity),
        compute_weight_(d.power_compute_weight),
        memory_weight_(d.power_memory_weight),
        kv_weight_(d.power_kv_weight),
        compute_exponent_(d.power_compute_exponent),
        tp_divisor_(tp_divisor),
        idle_watts_(d.idle_watts()),
        busy_watts_(d.busy_watts()),
        dynamic_watts_(d.busy_watts() - d.idle_watts()),
        cap_watts_(d.cap_watts()),
        constant_(d.power_model == PowerModel::constant),
        rates_unknown_(d.peak_flops <= 0 || d.memory_bandwidth <= 0),
        divide_(d.power_tp_exponent != 0) {}

  /// DeviceSpec::activity (the formula and units are documented there): α ∈ [0, 1] of a
  /// step of `seconds` doing `flops` FLOPs and moving `bytes` (`kv_bytes` of them KV cache).
  double activity(double flops, double bytes, double seconds, double kv_bytes = 0) const {
    if (seconds <= 0) return 0.0;
    if (constant_ || rates_unknown_) return 1.0;
    const double u_compute = flops / (peak_flops_ * seconds);
    const double u_memory = bytes / (peak_bandwidth_ * seconds);
    const double uc = compute_exponent_ == 1 ? u_compute : power_law(u_compute, compute_exponent_);
    double a = static_activity_ + compute_weight_ * uc + memory_weight_ * u_memory;
    if (kv_weight_ != 0) a += kv_weight_ * (kv_bytes / (peak_bandwidth_ * seconds));
    if (divide_) a /= tp_divisor_;  // k^δ
    return std::clamp(a, 0.0, 1.0);
  }
  /// DeviceSpec::step (documented there): W of the replica and the step's duration (s)
  /// after the power cap.
  PowerDraw operator()(double flops, double bytes, double seconds, double kv_bytes = 0) const {
    const double demand =
        constant_ ? busy_watts_ : idle_watts_ + activity(flops, bytes, seconds, kv_bytes) * dynamic_watts_;
    if (demand <= cap_watts_ || seconds <= 0) return {demand, seconds};
    // cap > idle here (device_from refuses a cap at or below idle).
    return {cap_watts_, seconds * (demand - idle_watts_) / (cap_watts_ - idle_watts_)};
  }

 private:
  double peak_flops_, peak_bandwidth_;  // FLOP/s, bytes/s of the replica: peak × k
  double static_activity_, compute_weight_, memory_weight_, kv_weight_, compute_exponent_;  // c, a, b, b_kv, γ
  double tp_divisor_;                   // k^δ
  double idle_watts_, busy_watts_, dynamic_watts_, cap_watts_;  // W of the replica; dynamic = busy − idle
  bool constant_, rates_unknown_, divide_;
};

/// Keys of a device card / `[devices.<name>]` table (name, default, unit, help, range).
std::span<const Field> device_fields();

/// A DeviceSpec from validated device_fields() values (card merged with scenario keys).
/// Throws InputError naming the key for values that contradict each other (busy_power
/// below idle_power; a power_cap below idle_power; a positive peak_flops below 1 MFLOP/s or memory_bandwidth below
/// 1 kB/s, which would turn one step into centuries). `context` is e.g. "devices.cloud".
DeviceSpec device_from(const ParamSet& p, const std::string& name, const std::string& context);

}  // namespace collabsim
