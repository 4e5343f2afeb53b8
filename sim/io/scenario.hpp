#pragma once
/// \file scenario.hpp
/// A scenario file (TOML) validated into plain structs with units resolved to base units
/// (s, bytes, bytes/s, W, J, FLOP/s, USD/s, USD/token). Device and model cards from the
/// models/ folder are merged in (scenario keys override card keys). `--set key=value`
/// overrides apply before validation, so they are checked exactly like file content.
///
/// Every field is declared once in scenario.cpp (name, default, unit, help); `collabsim
/// list` prints the same declarations.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "sim/io/params.hpp"

namespace collabsim {

/// Hardware of one device type (from a device card in models/devices, then scenario keys).
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
  double price = 0;            ///< USD/s per accelerator (GPU-hour price / 3600)
  bool per_user = false;       ///< true: every request origin has its own instance
  int replicas = 1;            ///< identical servers behind one FCFS line (shared devices)
  int accelerators = 1;        ///< accelerators per replica (tensor parallel), rates add up
  double battery = 0;          ///< J of battery capacity (0 = mains powered)
  SourcePos pos;
};

/// A network link between two devices; "up" is from→to, "down" is to→from.
struct LinkSpec {
  std::string name;
  std::string from, to;
  double up_bandwidth = 0;    ///< bytes/s
  double down_bandwidth = 0;  ///< bytes/s
  double latency = 0;         ///< s, one-way propagation
  double jitter = 0;          ///< s, mean of an exponential extra delay per hop traversal
  double mtbf = 0;            ///< s, mean time between failures (0 = never fails)
  double mttr = 0;            ///< s, mean time to repair
  double radio_energy_up = 0;   ///< J/byte spent by a per-user end sending up
  double radio_energy_down = 0; ///< J/byte spent by a per-user end receiving down
  std::filesystem::path bandwidth_trace;  ///< optional CSV time_s,up_mbps,down_mbps
  SourcePos pos;
};

/// Architecture of a transformer LLM (from a model card in models/llms).
struct ModelCard {
  std::string id;              ///< card file stem
  std::string title, source;
  double params = 0;           ///< total parameters
  double active_params = 0;    ///< parameters used per token (= params unless MoE)
  int layers = 0, hidden = 0, heads = 0, kv_heads = 0, head_dim = 0;
  double bytes_per_param = 2;  ///< weight storage (2 = BF16, 1 = FP8/INT8, 0.5625 = 4-bit + scales)
  double kv_bytes_per_element = 2;
  std::string quality_column;  ///< default column in a quality table

  /// Weight bytes read per decode step: params × bytes_per_param.
  double weight_bytes() const { return params * bytes_per_param; }
  /// KV-cache bytes per token: 2 (K and V) × layers × kv_heads × head_dim × bytes/element.
  double kv_bytes_per_token() const {
    return 2.0 * layers * kv_heads * head_dim * kv_bytes_per_element;
  }
};

/// A model hosted on a device.
struct DeploymentSpec {
  std::string name;
  std::string device;
  ModelCard model;
  std::string quality_column;  ///< column used for per-query quality
  double price_input = 0;      ///< USD/token (API pricing; 0 = none)
  double price_output = 0;     ///< USD/token
  /// Serving on shared devices: "continuous" (iteration-level batching) or "fcfs" (one
  /// request at a time per replica). Per-user devices always serve one request at a time.
  std::string scheduler = "continuous";
  int max_batch = 256;                 ///< sequences per iteration
  std::int64_t max_prefill_tokens = 0; ///< chunked prefill: prompt tokens per iteration (0 = off)
  double kv_memory_utilization = 0.9;  ///< share of replica memory usable for weights + KV (vLLM's gpu_memory_utilization)
  double iteration_overhead = 0;       ///< s per batching iteration
  std::string dispatch = "least_loaded";  ///< replica choice: "least_loaded" | "round_robin"
  std::filesystem::path profile;       ///< measured latency profile (empty = roofline)
  SourcePos pos;
};

struct WorkloadSpec {
  std::string format;               ///< a trace format name (workload/trace_formats.hpp)
  std::filesystem::path trace;      ///< resolved path
  std::string origin;               ///< device the requests come from
  std::int64_t limit = 0;           ///< max requests (0 = whole trace)
  double rate_scale = 1.0;          ///< arrival rate multiplier (inter-arrival times / scale)
  double bytes_per_token = 4.0;     ///< bytes on the wire per token
  double timeout = 0;               ///< s after arrival a request may wait on the network (0 = none)
  double private_share = 0;         ///< share of prompt tokens that are private (privacy scenarios)
  std::int64_t repeat = 1;          ///< copies of the trace replayed back to back (≥ 1)
  SourcePos pos;
};

struct QualitySpec {
  std::filesystem::path table;      ///< resolved path
  std::filesystem::path questions;  ///< question texts (JSONL) for kernels; empty = none
  SourcePos pos;
};

struct RunSpec {
  std::string name;
  std::uint64_t seed = 1;
  std::filesystem::path output;     ///< resolved output file
  double sample_interval = 1.0;     ///< s between timeline samples (0 = no timelines, else ≥ 1 ms)
  bool record_spans = false;        ///< write /spans (span_log.hpp)
  /// s of simulated time after which a run stops with a LimitError (Engine::set_limits).
  double max_sim_time = 30 * 86400.0;
  /// Events after which a run stops with a LimitError (Engine::set_limits).
  std::uint64_t max_events = 2'000'000'000;
};

struct MechanismSpec {
  std::string name;
  const toml::table* table = nullptr;  ///< the [mechanism] table (owned by Scenario::root)
  SourcePos pos;
};

/// A fully validated scenario.
struct Scenario {
  std::filesystem::path file;
  std::string source_text;     ///< the file as written
  std::string effective_toml;  ///< after --set overrides (recorded in results)
  std::vector<std::string> overrides;
  RunSpec run;
  WorkloadSpec workload;
  QualitySpec quality;
  std::vector<DeviceSpec> devices;
  std::vector<LinkSpec> links;
  std::vector<DeploymentSpec> deployments;
  MechanismSpec mechanism;
  std::shared_ptr<toml::table> root;

  const DeviceSpec& device(const std::string& name) const;
  const DeploymentSpec& deployment(const std::string& name) const;
  /// Index of a deployment by name; throws InputError naming `pos` and `key` if absent.
  std::size_t deployment_index(const std::string& name, const SourcePos& pos,
                               const std::string& key) const;
};

/// Options from the command line that influence loading.
struct LoadOptions {
  std::vector<std::string> overrides;          ///< "dotted.key=value" (value in TOML syntax or bare string)
  std::optional<std::filesystem::path> data_dir;
  std::optional<std::filesystem::path> output;
};

/// Loads and validates a scenario. Throws InputError (file, line, key) on any bad input,
/// including a data file that does not exist (the message says what it is and where it
/// comes from).
Scenario load_scenario(const std::filesystem::path& file, const LoadOptions& options = {});

/// A DeviceSpec from validated device_fields() values (card merged with scenario keys).
DeviceSpec device_from(const ParamSet& p, const std::string& name);
/// A ModelCard from validated model_card_fields() values; `id` is the card's file stem.
ModelCard model_card_from(const ParamSet& p, const std::string& id);

/// Field declarations of each section, for `collabsim list` and docs.
std::span<const Field> run_fields();
std::span<const Field> workload_fields();
std::span<const Field> device_fields();
std::span<const Field> link_fields();
std::span<const Field> deployment_fields();
std::span<const Field> model_card_fields();

}  // namespace collabsim
