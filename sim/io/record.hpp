#pragma once
/// \file record.hpp
/// The per-request outcome (one row of /requests) and its column layout. The fixed columns
/// are the same for every scenario; `tokens_<deployment>` and `energy_<device>_j` columns
/// follow the scenario's deployments and devices.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>


namespace collabsim {

/// How a request ended.
/// Outcome of a request: answered; failed (could never be served, e.g. its KV cache does
/// not fit a replica); timed out (gave up waiting on the network); context exceeded (prompt
/// + output beyond the answering model's context window, ModelCard::context_window).
/// out of memory (its KV cache, prompt + output, beyond the device's memory less the weights,
/// deployments.<name>.memory_policy = "fail").
/// battery low (the user's own device was below its battery floor, DeviceSpec::battery_floor,
/// and no other model took the request).
enum class Status : std::int8_t { Ok = 0, Failed = 1, TimedOut = 2, ContextExceeded = 3, OutOfMemory = 4, BatteryLow = 5 };

/// Which model's answer the user got: the index of the answering model in the
/// mechanism's own order (two-model mechanisms: 0 = small, 1 = large; a cascade: its
/// stage; a bandit: its arm; fusion: the member whose answer arrived last). Stored as
/// /requests `route` (int8).
struct Route {
  std::int8_t index = 0;
  static constexpr Route small() { return Route{0}; }
  static constexpr Route large() { return Route{1}; }
  /// Stage, arm or member `i` (0-based). Throws std::out_of_range above 127.
  static Route at(std::size_t i);
  bool operator==(const Route&) const = default;
};

/// request_id of a record that accounts background work, not a user request (e.g. the
/// distillation mechanism's labelling jobs): it is never a /requests row and has no spans.
inline constexpr std::uint64_t kNoRequest = ~std::uint64_t{0};

struct RequestRecord {
  std::uint64_t request_id = 0;
  std::int64_t query_id = -1;
  double arrival_s = 0;        ///< s
  double ttft_s = 0;           ///< s, first token of the final answer at the user, from arrival
  double latency_s = 0;        ///< s, last token of the final answer at the user, from arrival
  /// s, mean time per output token at the user after the first: (last − first token at the
  /// user) / (output_tokens − 1). NaN (not applicable) when the answer reached the user in
  /// one piece: one output token, or every token released at once (a cascade stage's
  /// answer held back until its confidence decision). Summary percentiles skip NaN.
  double tpot_s = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t output_tokens = 0;
  Route route = Route::small();
  bool escalated = false;      ///< a second model was called after a first answer
  std::int64_t bytes_up = 0;   ///< bytes sent away from the origin device
  std::int64_t bytes_down = 0; ///< bytes sent towards the origin device
  double cost_usd = 0;
  double energy_j = 0;         ///< Σ device energy + radio energy
  double energy_radio_j = 0;   ///< radio energy of per-user ends
  double quality = 0;          ///< score in [0, 1] of the final answer
  std::int64_t private_tokens_sent = 0;  ///< private prompt tokens that left the origin device
  Status status = Status::Ok;
  /// Prompt tokens served from a prefix cache instead of prefilled, summed over the
  /// request's generations (deployments.<name>.prefix_cache), tokens.
  std::int64_t prefix_hit_tokens = 0;
  /// Prompt tokens dropped by truncation (context_policy / memory_policy = "truncate") over
  /// the request's calls; /summary n_truncated counts requests with any. Not a /requests column.
  std::int64_t truncated_tokens = 0;
  std::vector<std::int64_t> tokens;  ///< generated tokens per deployment
  std::vector<double> device_energy; ///< J per device
  // Request attributes (columns only with [workload.attributes]; workload/request_attributes.hpp)
  std::int64_t user_id = -1;   ///< issuing user, -1 = none
  double private_share = 0;    ///< share of the prompt that is private
  double slo_ttft_s = 0;       ///< s, the request's TTFT target (0 = the run's [slo] ttft)
  double slo_tpot_s = 0;       ///< s, the request's TPOT target (0 = the run's [slo] tpot)
  /// State of charge (share of capacity, 1) of the battery of the request's user's own
  /// origin device when the request completed (after its final radio tail was charged);
  /// NaN when that device has no battery or is not bound to users (Context::battery_soc).
  /// Ordered by completion, a user's rows are the user's battery trajectory.
  double battery_soc = std::numeric_limits<double>::quiet_NaN();
};

/// Field of the compound row: name, unit, HDF5 type code and byte offset.
struct Column {
  enum class Type { F64, I64, U64, I8, U8 };
  std::string name;
  std::string unit;
  Type type;
  std::size_t offset;
};

/// Packed row layout for a scenario.
class RecordLayout {
 public:
  /// `attributes`: append the request-attribute columns (user_id, private_share,
  /// slo_ttft_s, slo_tpot_s, battery_soc) after `status`. `prefix_column`: add `prefix_hit_tokens` after
  /// private_tokens_sent (only when some deployment caches prefixes, so the layout of other
  /// scenarios is unchanged).
  RecordLayout(const std::vector<std::string>& deployments, const std::vector<std::string>& devices,
               bool attributes = false, bool prefix_column = false);
  const std::vector<Column>& columns() const { return columns_; }
  std::size_t row_size() const { return size_; }
  /// Writes `r` into `out` (row_size() bytes). Throws std::logic_error on a size mismatch
  /// of the per-deployment / per-device vectors.
  void encode(const RequestRecord& r, unsigned char* out) const;

 private:
  std::vector<Column> columns_;
  std::size_t size_ = 0;
  std::size_t n_deployments_, n_devices_;
  bool attributes_ = false;
  bool prefix_column_ = false;
};

}  // namespace collabsim
