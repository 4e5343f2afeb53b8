#pragma once
/// \file scenario.hpp
/// A scenario file (TOML) validated into plain structs with units resolved to base units
/// (s, bytes, bytes/s, W, J, FLOP/s, USD/s, USD/token). Device and model cards from the
/// models/ folder are merged in (scenario keys override card keys). `--set key=value`
/// overrides apply before validation, so they are checked exactly like file content.
///
/// Every field is declared once (name, default, unit, help): the run, workload and
/// quality sections here in scenario.cpp, devices/models/deployments beside their specs in
/// sim/hardware, links in sim/network; `collabsim list` prints the same declarations.
/// This file is the loader: it reads the TOML, merges cards under scenario keys, resolves
/// data files and checks cross-references (devices named by links and deployments).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/config/params.hpp"
#include "sim/hardware/deployment_spec.hpp"
#include "sim/hardware/device_spec.hpp"
#include "sim/hardware/model_card.hpp"
#include "sim/network/link_spec.hpp"
#include "sim/workload/generator_spec.hpp"
#include "sim/workload/request_attributes.hpp"
#include "sim/workload/user_sessions.hpp"

namespace collabsim {

struct WorkloadSpec {
  std::string format;               ///< a trace format name (workload/trace_formats.hpp) or "generated"
  std::filesystem::path trace;      ///< resolved path (empty for a generated workload)
  std::string origin;               ///< device the requests come from
  std::int64_t limit = 0;           ///< max requests (0 = whole trace)
  double rate_scale = 1.0;          ///< arrival rate multiplier (inter-arrival times / scale)
  double bytes_per_token = 4.0;     ///< bytes on the wire per token
  double timeout = 0;               ///< s after arrival a request may wait on the network (0 = none)
  double private_share = 0;         ///< share of prompt tokens that are private (privacy scenarios)
  std::int64_t repeat = 1;          ///< copies of the trace replayed back to back (≥ 1)
  double start = 0;                 ///< s, window start on the trace's clock (its first row = 0)
  double end = 0;                   ///< s, window end (exclusive; 0 = to the end of the trace)
  double duration = 0;              ///< s, generated: no arrival at or after this time (0 = none)
  workload::ArrivalSpec arrivals;   ///< generated: [workload.arrivals]
  workload::LengthSpec lengths;     ///< generated: [workload.lengths]
  workload::ServiceSpec service;    ///< [workload.service] (any format)
  workload::AttributeSpec attributes;  ///< [workload.attributes] (any format; off unless given)
  workload::UserSpec users;         ///< [workload.users] (trace formats; off unless given)
  bool generated() const { return format == "generated"; }
  SourcePos pos;
};

struct QualitySpec {
  std::filesystem::path table;      ///< resolved path
  std::filesystem::path questions;  ///< question texts (JSONL) for kernels; empty = none
  std::string format = "auto";      ///< "auto", "wide", "long", "routellm" (quality::QualityTable::load)
  std::string blank = "skip";       ///< blank-cell policy: "skip", "zero", "error"
  std::vector<std::string> categories;  ///< join only questions of these categories (empty = all)
  SourcePos categories_pos;
  /// "trace": prompt tokens from the trace; "question": ceil(question_chars / chars_per_token).
  std::string prompt_tokens = "trace";
  /// "trace": output tokens from the trace, the same for every model; "model": each
  /// deployment's output tokens from its model's own response to the joined question
  /// (ceil(<column>|out_chars / chars_per_token); Context::output_tokens).
  std::string output_tokens = "trace";
  double chars_per_token = 4.0;     ///< characters per token for prompt_tokens = "question", output_tokens = "model"
  /// "none": the table's scores; "irt": synthetic outcomes drawn from a 2PL fit (quality/irt.hpp).
  std::string synthetic = "none";
  std::vector<std::string> irt_columns;  ///< extra model columns the IRT fit uses (beyond those in use)
  SourcePos pos;
};

/// Service-level objectives a request is held against (DistServe, Zhong et al., OSDI 2024,
/// §2: a request attains its SLO when its TTFT and its TPOT are both within target).
/// 0 = no target for that quantity.
struct SloSpec {
  double ttft = 0;  ///< s, time-to-first-token target
  double tpot = 0;  ///< s, time-per-output-token target (answers in one piece meet it)
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
  /// Requests in flight at once after which a run stops with a LimitError (M4: 10^8
  /// requests arriving together held every one's state with no word).
  std::int64_t max_in_flight = 500'000;
};

/// The [mechanism] section, validated: its registry name and the parameters of
/// [mechanism.<name>] read against the mechanism's declarations (defaults filled in). The
/// sub-tables of the other mechanisms are validated too and not kept.
struct MechanismSpec {
  std::string name;
  ParamSet params;
  SourcePos pos;
  /// Every string value of a key named `weights` anywhere under [mechanism] (any
  /// mechanism's sub-table), as written: candidate router-weight files for the result's
  /// provenance (scenario_inputs.hpp resolves them against the scenario's folder).
  std::vector<std::string> weight_values;
};

/// What the loader knows of a registered mechanism: its name and declared parameters
/// (sim/mechanisms/registry.hpp's mechanism_declarations() lists the registry's).
struct MechanismDeclaration {
  std::string name;
  std::vector<Field> params;
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
  SloSpec slo;
  std::vector<DeviceSpec> devices;
  std::vector<LinkSpec> links;
  std::vector<DeploymentSpec> deployments;
  MechanismSpec mechanism;
  /// (role, path) of every device and model card the loader read ("device_card",
  /// "model_card"), for the result's provenance (scenario_inputs.hpp).
  std::vector<std::pair<std::string, std::filesystem::path>> card_files;

  const DeviceSpec& device(const std::string& name) const;
  const DeploymentSpec& deployment(const std::string& name) const;
  /// Index of a deployment by name; throws InputError naming `pos` and `key` if absent.
  std::size_t deployment_index(const std::string& name, const SourcePos& pos,
                               const std::string& key) const;
};

/// Options from the command line that influence loading.
class ProfileCache;  // sim/hardware/profile_cache.hpp

struct LoadOptions {
  std::vector<std::string> overrides;          ///< "dotted.key=value" (value in TOML syntax or bare string)
  std::optional<std::filesystem::path> data_dir;
  std::optional<std::filesystem::path> output;
  /// Parsed latency profiles shared by the loads of a process (study/InputCache holds one);
  /// null = parse each deployment's profile on its own.
  ProfileCache* profiles = nullptr;
  /// "dotted.key" to remove from the scenario before the overrides apply (`--unset`): a key
  /// or a whole table. A key the scenario does not hold is an InputError naming it.
  std::vector<std::string> unsets;
};

/// Loads and validates a scenario, the parameters of every [mechanism.<name>] table
/// included (against `mechanisms`, the registry's declarations; the registry's
/// load_scenario(file, options) passes them). Throws InputError (file, line, key) on any
/// bad input, including a data file that does not exist (the message says what it is and
/// where it comes from) and an unknown mechanism (with the closest name).
Scenario load_scenario(const std::filesystem::path& file, const LoadOptions& options,
                       std::span<const MechanismDeclaration> mechanisms);

/// Field declarations of the scenario's own sections, for `collabsim list` and docs (the
/// device, link, deployment and model-card keys are declared beside their specs:
/// device_fields(), link_fields(), deployment_fields(), model_card_fields()).
std::span<const Field> run_fields();
std::span<const Field> workload_fields();
std::span<const Field> slo_fields();
std::span<const Field> quality_fields();
/// `workload.format`'s allowed values: the trace formats and "generated".
std::vector<std::string> workload_format_names();

}  // namespace collabsim
