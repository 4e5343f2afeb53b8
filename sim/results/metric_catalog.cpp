#include "sim/results/metric_catalog.hpp"

#include <array>

#include "sim/core/strings.hpp"

namespace collabsim {
namespace {

constexpr std::array kCatalog{
    MetricInfo{"n_requests", "requests", Better::none, "requests in the workload",
               "request counts", "collabsim"},
    MetricInfo{"n_ok", "requests", Better::higher, "requests served",
               "request counts", "collabsim"},
    MetricInfo{"n_failed", "requests", Better::lower, "requests that could not be served",
               "request counts", "collabsim"},
    MetricInfo{"n_timed_out", "requests", Better::lower, "requests that gave up waiting on the network",
               "request counts", "collabsim"},
    MetricInfo{"n_context_exceeded", "requests", Better::lower,
               "requests beyond the answering model's context window (prompt + output)",
               "request counts", "collabsim"},
    MetricInfo{"n_out_of_memory", "requests", Better::lower,
               "requests whose KV cache (prompt + output) exceeds the answering device's memory less the weights",
               "`n_out_of_memory`", "KV size: vLLM (Kwon et al., SOSP 2023)"},
    MetricInfo{"n_battery_low", "requests", Better::lower,
               "requests refused because the user's own device was below its battery floor and no other model took them",
               "`n_battery_low`", "battery: the device card's capacity (docs/ENERGY.md)"},
    MetricInfo{"n_truncated", "requests", Better::none,
               "requests whose prompt was truncated to fit a context window or device memory",
               "`n_truncated`", "collabsim"},
    MetricInfo{"n_preemptions", "sequences", Better::lower,
               "sequences preempted by paged KV admission (all continuous-batching replicas)",
               "preemption", "vLLM (Kwon et al., SOSP 2023)"},
    MetricInfo{"recompute_tokens", "tokens", Better::lower,
               "prompt and generated tokens prefilled again after recompute preemptions",
               "`recompute_tokens`", "vLLM (Kwon et al., SOSP 2023)"},
    MetricInfo{"quality_mean", "1", Better::higher, "mean quality score (failed requests count as 0)",
               "`quality_mean`", "collabsim (quality table: docs/QUALITY.md)"},
    MetricInfo{"quality_ci95_lo", "1", Better::none, "lower end of the bootstrap 95% interval of quality_mean (ideal bootstrap, closed form)",
               "`quality_ci95_lo`", "Efron & Tibshirani 1993 (ideal bootstrap)"},
    MetricInfo{"quality_ci95_hi", "1", Better::none, "upper end of the bootstrap 95% interval of quality_mean (ideal bootstrap, closed form)",
               "`quality_ci95_lo`", "Efron & Tibshirani 1993 (ideal bootstrap)"},
    MetricInfo{"latency_p50_s", "s", Better::lower, "end-to-end latency, median",
               "p50 / p95 / p99", "Hyndman & Fan, Am. Stat. 1996 (type 7)"},
    MetricInfo{"latency_p95_s", "s", Better::lower, "end-to-end latency, 95th percentile",
               "p50 / p95 / p99", "Hyndman & Fan, Am. Stat. 1996 (type 7)"},
    MetricInfo{"latency_p99_s", "s", Better::lower, "end-to-end latency, 99th percentile",
               "p50 / p95 / p99", "Hyndman & Fan, Am. Stat. 1996 (type 7)"},
    MetricInfo{"ttft_p50_s", "s", Better::lower, "time to first token, median",
               "p50 / p95 / p99", "TTFT: DistServe (Zhong et al., OSDI 2024); percentiles: Hyndman & Fan 1996"},
    MetricInfo{"ttft_p95_s", "s", Better::lower, "time to first token, 95th percentile",
               "p50 / p95 / p99", "TTFT: DistServe (Zhong et al., OSDI 2024); percentiles: Hyndman & Fan 1996"},
    MetricInfo{"ttft_p99_s", "s", Better::lower, "time to first token, 99th percentile",
               "p50 / p95 / p99", "TTFT: DistServe (Zhong et al., OSDI 2024); percentiles: Hyndman & Fan 1996"},
    MetricInfo{"tpot_p50_s", "s", Better::lower, "time per output token, median",
               "p50 / p95 / p99", "TPOT: DistServe (Zhong et al., OSDI 2024); percentiles: Hyndman & Fan 1996"},
    MetricInfo{"tpot_p99_s", "s", Better::lower, "time per output token, 99th percentile",
               "p50 / p95 / p99", "TPOT: DistServe (Zhong et al., OSDI 2024); percentiles: Hyndman & Fan 1996"},
    MetricInfo{"cost_per_1k_usd", "USD", Better::lower, "cost per 1,000 requests",
               "`cost_per_1k_usd`", "collabsim (device prices, API token prices)"},
    MetricInfo{"energy_per_request_j", "J", Better::lower, "energy per request (devices + radio)",
               "`energy_per_request_j`", "collabsim (power model: docs/ENERGY.md)"},
    MetricInfo{"energy_average_per_request_j", "J", Better::lower,
               "all energy the devices drew (shared pools incl. idle, cold-start, standby) + radio, per request",
               "`energy_average_per_request_j`", "collabsim (docs/ENERGY.md, average and marginal energy)"},
    MetricInfo{"energy_marginal_per_request_j", "J", Better::lower,
               "energy drawn minus the same pools' energy without traffic, per request",
               "`energy_marginal_per_request_j`", "collabsim (docs/ENERGY.md, average and marginal energy)"},
    MetricInfo{"radio_energy_per_request_j", "J", Better::lower, "radio energy per request",
               "`energy_per_request_j`", "Huang et al., MobiSys 2012 (LTE power model)"},
    MetricInfo{"battery_share_per_request", "1", Better::lower, "share of the origin's battery per request",
               "`battery_share_per_request`", "collabsim"},
    MetricInfo{"large_share", "1", Better::none, "share of requests that called the large model",
               "`large_share`", "RouteLLM (Ong et al. 2024)"},
    MetricInfo{"escalation_rate", "1", Better::none, "share of requests escalated after a first answer",
               "escalation rate", "FrugalGPT (Chen et al. 2023), AutoMix (Madaan et al. 2023)"},
    MetricInfo{"bytes_up_per_request", "bytes", Better::lower, "bytes sent up per request",
               "traffic and privacy", "collabsim"},
    MetricInfo{"private_tokens_per_request", "tokens", Better::lower, "private prompt tokens sent off the device",
               "traffic and privacy", "collabsim"},
    MetricInfo{"makespan_s", "s", Better::lower, "last completion time",
               "`makespan_s`", "collabsim"},
    MetricInfo{"throughput_rps", "1/s", Better::higher, "completed requests per second of makespan",
               "`throughput_rps`", "collabsim"},
    MetricInfo{"slo_attainment", "1", Better::higher, "share of requests within both SLO targets ([slo] ttft, tpot)",
               "SLO attainment", "DistServe (Zhong et al., OSDI 2024)"},
    MetricInfo{"goodput_rps", "1/s", Better::higher, "requests per second of makespan within both SLO targets",
               "goodput", "DistServe (Zhong et al., OSDI 2024)"},
    MetricInfo{"prefix_hit_rate", "1", Better::higher,
               "prompt tokens served from prefix caches / prompt tokens (deployments with prefix_cache; NaN without)",
               "prefix hit rate", "Mooncake (Qin et al., FAST 2025); vLLM automatic prefix caching"},
    MetricInfo{"n_saturated_devices", "devices", Better::lower, "shared devices whose queue never drained",
               "`n_saturated_devices`", "collabsim"},
    MetricInfo{"n_questions_skipped", "questions", Better::lower,
               "questions left out of the join for a blank score (quality.blank = skip)",
               "`n_questions_skipped`", "collabsim (docs/QUALITY.md)"},
};

}  // namespace

std::string_view to_string(Better b) {
  switch (b) {
    case Better::higher: return "higher";
    case Better::lower: return "lower";
    case Better::none: break;
  }
  return "none";
}

std::span<const MetricInfo> metric_catalog() { return kCatalog; }

const MetricInfo* find_metric(std::string_view name) {
  for (const auto& m : kCatalog)
    if (m.name == name) return &m;
  return nullptr;
}

std::string closest_metric(std::string_view name) {
  std::string best;
  std::size_t best_d = name.size() / 3 + 1;
  for (const auto& m : kCatalog) {
    const std::size_t d = edit_distance(std::string(name), std::string(m.name));
    if (d < best_d) best_d = d, best = m.name;
  }
  if (best.empty() && name.size() >= 3)  // a prefix: "quality" → quality_mean
    for (const auto& m : kCatalog)
      if (m.name.substr(0, name.size()) == name) return std::string(m.name);
  return best;
}

std::string did_you_mean_metric(std::string_view name) {
  const std::string best = closest_metric(name);
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

}  // namespace collabsim
