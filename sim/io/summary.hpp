#pragma once
/// \file summary.hpp
/// Headline metrics of one run (the /summary row), accumulated request by request in
/// memory that does not grow with the number of requests.
/// Percentiles use linear interpolation between order statistics (numpy's default,
/// Hyndman & Fan type 7) over requests that completed (status ok): exact up to
/// kExactQuantileLimit completed requests, beyond that within relative error
/// kSketchRelativeAccuracy (QuantileSketch, quantile_sketch.hpp).

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sim/io/metric_row.hpp"
#include "sim/io/quantile_sketch.hpp"
#include "sim/io/record.hpp"

namespace collabsim {

struct Summary {
  std::int64_t n_requests = 0;
  std::int64_t n_ok = 0;
  std::int64_t n_failed = 0;        ///< could not be served (e.g. KV cache too small)
  std::int64_t n_timed_out = 0;     ///< gave up waiting on the network
  std::int64_t n_context_exceeded = 0;  ///< prompt + output beyond the answering model's context window
  std::int64_t n_out_of_memory = 0;     ///< KV of prompt + output beyond the answering device's memory (memory_policy)
  std::int64_t n_battery_low = 0;       ///< refused: the user's device below its battery floor, no other model took it
  std::int64_t n_truncated = 0;         ///< requests answered with a truncated prompt (status ok; not a count of its own)
  /// Paged KV admission, over every continuous-batching replica (set by run_scenario, not
  /// from records): sequences preempted, and prompt + generated tokens prefilled again
  /// after recompute preemptions.
  std::int64_t n_preemptions = 0;
  std::int64_t recompute_tokens = 0;
  double quality_mean = 0;          ///< mean score over all requests (failed count as 0)
  /// 95% bootstrap interval of quality_mean over the run's requests: normal interval
  /// quality_mean ± 1.96·se (Efron & Tibshirani 1993, ch. 13), se the ideal (B → ∞)
  /// bootstrap standard error of a mean, in closed form sqrt(Σ(x_i − x̄)²)/m over the m
  /// request scores x_i (Efron & Tibshirani 1993, ch. 6; it is what the standard deviation
  /// of B resampled means converges to, without their Monte-Carlo error of ~1/sqrt(2B)).
  /// It says how much quality_mean depends on which questions the requests drew, not on
  /// the seed's other draws. Clipped to [0, 1], the range of a score (a normal interval of
  /// a few requests can pass it). NaN with fewer than 2 requests.
  double quality_ci95_lo = 0, quality_ci95_hi = 0;
  double latency_p50_s = 0, latency_p95_s = 0, latency_p99_s = 0;
  double ttft_p50_s = 0, ttft_p95_s = 0, ttft_p99_s = 0;
  double tpot_p50_s = 0, tpot_p99_s = 0;  ///< time per output token at the user
  double cost_per_1k_usd = 0;       ///< USD per 1,000 requests
  double energy_per_request_j = 0;  ///< J (devices + radio): the energy attributed to the requests
  /// Average energy per request, J: everything the devices drew over the run (shared pools:
  /// busy + idle + cold-start + standby = ∫ power dt; per-user devices: their busy energy)
  /// + radio, / n_requests. Set by run_scenario (NaN until then).
  double energy_average_per_request_j = std::numeric_limits<double>::quiet_NaN();
  /// Marginal energy per request, J: (energy drawn − what the same pools would draw over
  /// the same time with no traffic: DeviceUsage::no_traffic_energy_j) / n_requests, i.e.
  /// the energy the traffic added. A fixed pool's no-traffic energy is all replicas idle,
  /// so halving its traffic lowers this only as far as its power rises with load. Set by
  /// run_scenario (NaN until then).
  double energy_marginal_per_request_j = std::numeric_limits<double>::quiet_NaN();
  double radio_energy_per_request_j = 0;  ///< J
  double battery_share_per_request = 0;   ///< origin battery used per request (origin + radio energy / capacity); 0 without a battery
  double large_share = 0;           ///< share of requests that called the large model
  double escalation_rate = 0;       ///< share escalated after a first answer
  double bytes_up_per_request = 0;  ///< bytes
  double private_tokens_per_request = 0;  ///< private prompt tokens sent off the device
  double makespan_s = 0;            ///< last completion time (s since start)
  double throughput_rps = 0;        ///< completed requests / makespan
  /// Share of all requests that completed within both SLO targets (SloTargets); NaN when
  /// the scenario sets no target.
  double slo_attainment = 0;
  /// Requests per second that completed within both SLO targets: their count / makespan
  /// (the per-run goodput; DistServe's goodput, the highest rate whose attainment reaches a
  /// goal such as 90%, is read off a sweep over workload.rate_scale). NaN without targets.
  double goodput_rps = 0;
  /// Prefix caching: prompt tokens served from the replicas' prefix caches / prompt tokens
  /// admitted by the deployments that cache (deployments.<name>.prefix_cache); NaN when no
  /// deployment caches (set by run_scenario).
  double prefix_hit_rate = std::numeric_limits<double>::quiet_NaN();
  std::int64_t n_saturated_devices = 0;  ///< shared devices whose queue never drained (set by run_scenario)
  /// Questions left out of the request → question join because a column in use is blank
  /// (quality.blank = "skip"; set by run_scenario from QueryJoin::skipped).
  std::int64_t n_questions_skipped = 0;

  /// (name, unit, value) triples in /summary column order.
  MetricRow columns() const;
};

/// Linear-interpolation percentile (q in [0, 100]) of `v` (type 7, exact; reorders `v` by
/// selection, no full sort). NaN when empty.
double percentile(std::vector<double>& v, double q);

/// SLO targets of a run (DistServe, Zhong et al., OSDI 2024, §2): a request attains its SLO
/// when it completed (status ok), its TTFT ≤ ttft_s and its TPOT ≤ tpot_s. 0 = no target
/// for that quantity; an answer that arrives in one piece (TPOT NaN) meets any TPOT target.
struct SloTargets {
  double ttft_s = 0;  ///< s
  double tpot_s = 0;  ///< s
  /// Some requests carry their own targets (RequestRecord::slo_ttft_s/slo_tpot_s, from
  /// [workload.attributes.categories.<c>]), so attainment is measured even without run targets.
  bool per_request = false;
  bool any() const { return ttft_s > 0 || tpot_s > 0 || per_request; }
  /// True when the record completed within both targets: its own (slo_ttft_s, slo_tpot_s)
  /// where set (> 0), else the run's.
  bool met(const RequestRecord& r) const;
};

class SummaryAccumulator {
 public:
  /// `large_deployments[i]` true when deployment i counts as "large" for large_share.
  /// `origin`/`battery_j`: device index of the request origin and its battery capacity
  /// (J, 0 = none) for the battery metric.
  /// `slo`: the targets slo_attainment and goodput_rps are measured against.
  explicit SummaryAccumulator(std::vector<bool> large_deployments, std::size_t origin = 0, double battery_j = 0,
                              SloTargets slo = {})
      : large_(std::move(large_deployments)), origin_(origin), battery_j_(battery_j), slo_(slo) {}
  void add(const RequestRecord& r);
  /// The summary (may be called more than once).
  Summary finish();

 private:
  std::vector<bool> large_;
  std::size_t origin_ = 0;
  double battery_j_ = 0, battery_sum_ = 0;
  QuantileSketch latency_, ttft_, tpot_;
  double quality_m2_ = 0;  ///< Σ(x − running mean)² of the request scores (Welford 1962)
  Summary s_;
  double quality_sum_ = 0, cost_sum_ = 0, energy_sum_ = 0, radio_sum_ = 0, bytes_up_sum_ = 0, private_sum_ = 0, end_max_ = 0;
  SloTargets slo_;
  std::int64_t large_count_ = 0, escalated_ = 0, slo_met_ = 0;
};

}  // namespace collabsim
