#include "sim/hardware/device_spec.hpp"

#include "sim/config/params.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace collabsim {

namespace {
/// Serving-stack terms of the roofline (docs/CALIBRATION.md, "vLLM 0.11 serving").
std::vector<Field> stack_fields() {
  return {
      Field::real("attention_memory_efficiency", 0.0, "1",
                  "achieved / peak bandwidth of KV-cache reads in attention (0 = memory_efficiency)", 0.0, 1.0),
      Field::text("overlap", "max",
                  "roofline step: 'max' = max(compute, memory) time; 'sum' = compute + memory (no overlap; "
                  "fitted on vLLM 0.11, docs/CALIBRATION.md)",
                  {"max", "sum"}),
      Field::quantity("step_overhead", "0 ms", Dimension::Time,
                      "fixed time per iteration (scheduler, sampling, CUDA-graph replay; fitted)", 0.0, 10.0),
      Field::quantity("sequence_overhead", "0 ms", Dimension::Time,
                      "time per sequence scheduled in a step (per-request scheduling, input preparation, "
                      "sampling; fitted)",
                      0.0, 1.0),
      Field::quantity("tp_layer_overhead", "0 ms", Dimension::Time,
                      "time per layer per step when accelerators > 1 (the stack's all-reduces; fitted)", 0.0, 1.0),
      Field::quantity("eager_layer_overhead", "0 ms", Dimension::Time,
                      "time per layer per step with more tokens than cuda_graph_max_tokens (eager mode; fitted)",
                      0.0, 1.0),
      Field::integer("cuda_graph_max_tokens", 0, "tokens",
                     "largest step run as a CUDA graph (vLLM 0.11: 512); larger steps pay eager_layer_overhead",
                     0, 1e9),
  };
}
/// Terms of the power model beyond the two weights (docs/ENERGY.md).
std::vector<Field> power_shape_fields() {
  return {
      Field::real("power_static_activity", 0.0, "1",
                  "c: activity added to a*U_compute + b*U_memory while a step runs (fitted, docs/ENERGY.md)", -1.0, 1.0),
      Field::real("power_tp_exponent", 0.0, "1",
                  "delta: a k-accelerator replica's activity is divided by k^delta (fitted, docs/ENERGY.md)", 0.0, 1.0),
      Field::real("power_compute_exponent", 1.0, "1",
                  "gamma: U_compute enters the activity as U_compute^gamma (fitted, docs/ENERGY.md; 1 = linear)",
                  0.1, 10.0),
  };
}
std::vector<Field> base_device_fields() {
  return {
      Field::text("card", "", "device card in <models_dir>/devices/<card>.toml"),
      Field::text("title", "", "product name"),
      Field::text("source", "", "datasheet or paper the numbers come from"),
      Field::quantity("peak_flops", "0 TFLOP/s", Dimension::FlopRate,
                      "dense peak per accelerator at the model's precision (roofline deployments need it; "
                      "0 = unknown, else ≥ 1 MFLOP/s)",
                      0.0, 1e21),
      Field::quantity("memory_bandwidth", "0 GB/s", Dimension::Bandwidth,
                      "peak memory bandwidth per accelerator (roofline deployments need it; 0 = unknown, "
                      "else ≥ 1 kB/s)",
                      0.0, 1e18),
      Field::quantity("memory", "0 GB", Dimension::Data,
                      "memory per accelerator (0 = unknown: no weight-fit check, KV unlimited)", 0.0, 1e18),
      Field::quantity("idle_power", "0 W", Dimension::Power, "power when idle, per accelerator", 0.0, 1e9),
      Field::quantity("busy_power", "0 W", Dimension::Power,
                      "power when running a model, per accelerator", 0.0, 1e9),
      Field::real("compute_efficiency", 0.5, "1", "achieved / peak FLOP/s in prefill", 1e-3, 1.0),
      Field::real("memory_efficiency", 0.8, "1", "achieved / peak bandwidth in decode", 1e-3, 1.0),
      Field::quantity("layer_overhead", "0 ms", Dimension::Time,
                      "fixed time per transformer layer per step (launches, framework; Splitwise-calibrated)",
                      0.0, 1.0),
      Field::real("tp_scaling", 1.0, "1",
                  "exponent α: replica FLOP/s and bandwidth = per accelerator × accelerators^α", 0.1, 1.0),
      Field::text("allreduce_profile", "",
                  "measured NCCL all-reduce CSV (Vidur network profile, a data file): adds 2 all-reduces "
                  "per layer of batch tokens × hidden × 2 bytes when accelerators > 1; \"\" = none"),
      Field::quantity("price", "0 USD/h", Dimension::PriceRate,
                      "rental price per accelerator (GPU-hour price)", 0.0, 1e6 / 3600.0),
      Field::boolean("per_user", false,
                     "every request origin has its own instance (phones); else one shared pool"),
      Field::text("binding", "user",
                  "per-user device: one instance per user id (its requests queue on it, its radio keeps its RRC "
                  "state; requests without a user id keep their own) or one per request (a simplification)",
                  {"user", "request"}),
      Field::integer("user_concurrency", 1, "sequences",
                     "per-user device bound to a user: generations at once on it (llama.cpp and MLC on a phone "
                     "serve one sequence: 1); more wait FIFO",
                     1, 1024),
      Field::boolean("trusted", false,
                     "inside the users' privacy domain (e.g. a clinic's or a company's own server): private "
                     "tokens sent to it do not count as leaving the origin"),
      Field::integer("replicas", 1, "1", "identical servers behind one FCFS queue", 1, 1e6),
      Field::integer("accelerators", 1, "1",
                     "accelerators per replica (tensor parallel): FLOP/s, bandwidth, memory, "
                     "power and price add up",
                     1, 1024),
      Field::quantity("battery", "0 Wh", Dimension::Energy, "battery capacity (0 = mains powered)", 0.0, 1e15),
      Field::text("power_model", "utilisation",
                  "busy power: 'utilisation' = idle + (busy - idle)*min(1, a*U_compute + b*U_memory) per step "
                  "(docs/ENERGY.md); 'constant' = busy_power whenever working",
                  {"utilisation", "constant"}),
      Field::real("power_compute_weight", 3.52, "1",
                  "a: weight of achieved/peak FLOP/s in the activity (default: the pre-issue-25 H100 fit, docs/ENERGY.md)", 0.0, 1e3),
      Field::real("power_memory_weight", 1.00, "1",
                  "b: weight of achieved/peak bandwidth in the activity (default: the pre-issue-25 H100 fit)", 0.0, 1e3),
      Field::real("power_kv_weight", 0.0, "1",
                  "b_kv: weight of the KV-cache share of achieved/peak bandwidth, added to b's (fitted, docs/ENERGY.md; "
                  "0 = none)", 0.0, 1e3),
      Field::quantity("power_cap", "0 W", Dimension::Power,
                      "power limit per accelerator (nvidia-smi -pl); power clamped, the step slowed in "
                      "proportion (0 = none)",
                      0.0, 1e9),
      Field::quantity("standby_power", "0 W", Dimension::Power,
                      "power per accelerator of a replica stopped by autoscaling", 0.0, 1e9),
      Field::quantity("weight_load_bandwidth", "7 GB/s", Dimension::Bandwidth,
                      "rate at which a cold-started replica loads its weights (storage/host to device)", 1e3, 1e15),
      Field::quantity("swap_bandwidth", "32 GB/s", Dimension::Bandwidth,
                      "device <-> host memory copy rate for KV swap preemption (default: PCIe 4.0 x16, "
                      "16 GT/s x 16 lanes x 128/130 = 31.5 GB/s per direction, PCI-SIG)", 1e3, 1e15),
  };
}
}  // namespace

/// Keys of a per-user device's battery and heat (hardware/user_devices.hpp, thermal.hpp).
static std::vector<Field> battery_thermal_fields() {
  return {
      Field::real("battery_initial", 1.0, "1",
                  "per-user device with a battery: state of charge at the user's first request, share of capacity "
                  "(assumption: full)",
                  0.0, 1.0),
      Field::real("battery_floor", 0.05, "1",
                  "per-user device with a battery: below this share of capacity it stops serving locally (cascades "
                  "skip its stage, routers take the other model; assumption: 5 %)",
                  0.0, 1.0),
      Field::quantity("thermal_tau", "0 s", Dimension::Time,
                      "per-user device: heating time constant of its first-order thermal model (hardware/thermal.hpp; "
                      "0 = no throttling; ignored on a shared device)",
                      0.0, 1e9),
      Field::real("thermal_floor", 1.0, "1",
                  "per-user device: sustained rate under continuous load, share of the cold rate (1 = no throttling)",
                  0.01, 1.0),
      Field::quantity("thermal_cool_tau", "0 s", Dimension::Time,
                      "per-user device: cooling time constant when idle (0 = thermal_tau, one RC)", 0.0, 1e9),
  };
}

std::span<const Field> device_fields() {
  static const std::vector<Field> f = [] {
    std::vector<Field> all = base_device_fields();
    for (auto& x : stack_fields()) all.push_back(std::move(x));
    for (auto& x : power_shape_fields()) all.push_back(std::move(x));
    for (auto& x : battery_thermal_fields()) all.push_back(std::move(x));
    return all;
  }();
  return f;
}

double DeviceSpec::activity(double flops, double bytes, double seconds, double tp_divisor, double kv_bytes) const {
  return StepPower(*this, tp_divisor).activity(flops, bytes, seconds, kv_bytes);
}

double DeviceSpec::power(double a) const {
  return std::min(idle_watts() + std::clamp(a, 0.0, 1.0) * (busy_watts() - idle_watts()), cap_watts());
}

PowerDraw DeviceSpec::step(double flops, double bytes, double seconds, double tp_divisor, double kv_bytes) const {
  return StepPower(*this, tp_divisor)(flops, bytes, seconds, kv_bytes);
}

DeviceSpec device_from(const ParamSet& p, const std::string& name, const std::string& ctx) {
  DeviceSpec d;
  d.name = name;
  d.title = p.text("title");
  d.source = p.text("source");
  d.peak_flops = p.number("peak_flops");
  d.memory_bandwidth = p.number("memory_bandwidth");
  d.memory = p.number("memory");
  d.idle_power = p.number("idle_power");
  d.busy_power = p.number("busy_power");
  d.compute_efficiency = p.number("compute_efficiency");
  d.memory_efficiency = p.number("memory_efficiency");
  d.layer_overhead = p.number("layer_overhead");
  d.tp_scaling = p.number("tp_scaling");
  d.attention_memory_efficiency = p.number("attention_memory_efficiency");
  d.overlap = p.text("overlap") == "sum" ? Overlap::sum : Overlap::max;
  d.step_overhead = p.number("step_overhead");
  d.sequence_overhead = p.number("sequence_overhead");
  d.tp_layer_overhead = p.number("tp_layer_overhead");
  d.eager_layer_overhead = p.number("eager_layer_overhead");
  d.cuda_graph_max_tokens = p.integer("cuda_graph_max_tokens");
  d.allreduce_profile = p.text("allreduce_profile");
  d.price = p.number("price");
  d.per_user = p.flag("per_user");
  d.bind_user = p.text("binding") == "user";
  d.user_concurrency = static_cast<int>(p.integer("user_concurrency"));
  d.trusted = p.flag("trusted");
  d.replicas = static_cast<int>(p.integer("replicas"));
  d.accelerators = static_cast<int>(p.integer("accelerators"));
  d.battery = p.number("battery");
  d.battery_initial = p.number("battery_initial");
  d.battery_floor = p.number("battery_floor");
  d.thermal.tau = p.number("thermal_tau");
  d.thermal.floor = p.number("thermal_floor");
  d.thermal.cool_tau = p.number("thermal_cool_tau");
  if (!d.per_user) d.thermal = ThermalParams{};  // heat is a user's own device's (a shared pool keeps its rate)
  d.power_model = p.text("power_model") == "constant" ? PowerModel::constant : PowerModel::utilisation;
  d.power_compute_weight = p.number("power_compute_weight");
  d.power_memory_weight = p.number("power_memory_weight");
  d.power_kv_weight = p.number("power_kv_weight");
  d.power_static_activity = p.number("power_static_activity");
  d.power_tp_exponent = p.number("power_tp_exponent");
  d.power_compute_exponent = p.number("power_compute_exponent");
  d.power_cap = p.number("power_cap");
  d.standby_power = p.number("standby_power");
  d.weight_load_bandwidth = p.number("weight_load_bandwidth");
  d.swap_bandwidth = p.number("swap_bandwidth");
  if (d.busy_power < d.idle_power)
    throw InputError(p.pos("busy_power"), ctx + ".busy_power", "busy_power is below idle_power");
  if (d.power_cap > 0 && d.power_cap <= d.idle_power)
    throw InputError(p.pos("power_cap"), ctx + ".power_cap", "power_cap must be above idle_power (or 0 = none)");
  if (d.standby_power > d.idle_power)
    throw InputError(p.pos("standby_power"), ctx + ".standby_power", "standby_power is above idle_power");
  // 0 means "unknown"; a tiny positive rate would turn one step into centuries.
  if (d.peak_flops > 0 && d.peak_flops < 1e6)
    throw InputError(p.pos("peak_flops"), ctx + ".peak_flops",
                     fmt::format("{} FLOP/s: use 0 (unknown) or at least 1 MFLOP/s", d.peak_flops));
  if (d.memory_bandwidth > 0 && d.memory_bandwidth < 1e3)
    throw InputError(p.pos("memory_bandwidth"), ctx + ".memory_bandwidth",
                     fmt::format("{} bytes/s: use 0 (unknown) or at least 1 kB/s", d.memory_bandwidth));
  return d;
}

}  // namespace collabsim
