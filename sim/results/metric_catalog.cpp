#include "sim/results/metric_catalog.hpp"

#include <array>

#include "sim/core/strings.hpp"

namespace collabsim {
namespace {

constexpr std::array kCatalog{
    MetricInfo{"n_requests", "requests", Better::none, "requests in the workload"},
    MetricInfo{"n_ok", "requests", Better::higher, "requests served"},
    MetricInfo{"n_failed", "requests", Better::lower, "requests that could not be served"},
    MetricInfo{"n_timed_out", "requests", Better::lower, "requests that gave up waiting on the network"},
    MetricInfo{"n_context_exceeded", "requests", Better::lower,
               "requests beyond the answering model's context window (prompt + output)"},
    MetricInfo{"n_out_of_memory", "requests", Better::lower,
               "requests whose KV cache (prompt + output) exceeds the answering device's memory less the weights"},
    MetricInfo{"n_truncated", "requests", Better::none,
               "requests whose prompt was truncated to fit a context window or device memory"},
    MetricInfo{"n_preemptions", "sequences", Better::lower,
               "sequences preempted by paged KV admission (all continuous-batching replicas)"},
    MetricInfo{"recompute_tokens", "tokens", Better::lower,
               "prompt and generated tokens prefilled again after recompute preemptions"},
    MetricInfo{"quality_mean", "1", Better::higher, "mean quality score (failed requests count as 0)"},
    MetricInfo{"quality_ci95_lo", "1", Better::none, "lower end of the bootstrap 95% interval of quality_mean (ideal bootstrap, closed form)"},
    MetricInfo{"quality_ci95_hi", "1", Better::none, "upper end of the bootstrap 95% interval of quality_mean (ideal bootstrap, closed form)"},
    MetricInfo{"latency_p50_s", "s", Better::lower, "end-to-end latency, median"},
    MetricInfo{"latency_p95_s", "s", Better::lower, "end-to-end latency, 95th percentile"},
    MetricInfo{"latency_p99_s", "s", Better::lower, "end-to-end latency, 99th percentile"},
    MetricInfo{"ttft_p50_s", "s", Better::lower, "time to first token, median"},
    MetricInfo{"ttft_p95_s", "s", Better::lower, "time to first token, 95th percentile"},
    MetricInfo{"ttft_p99_s", "s", Better::lower, "time to first token, 99th percentile"},
    MetricInfo{"tpot_p50_s", "s", Better::lower, "time per output token, median"},
    MetricInfo{"tpot_p99_s", "s", Better::lower, "time per output token, 99th percentile"},
    MetricInfo{"cost_per_1k_usd", "USD", Better::lower, "cost per 1,000 requests"},
    MetricInfo{"energy_per_request_j", "J", Better::lower, "energy per request (devices + radio)"},
    MetricInfo{"radio_energy_per_request_j", "J", Better::lower, "radio energy per request"},
    MetricInfo{"battery_share_per_request", "1", Better::lower, "share of the origin's battery per request"},
    MetricInfo{"large_share", "1", Better::none, "share of requests that called the large model"},
    MetricInfo{"escalation_rate", "1", Better::none, "share of requests escalated after a first answer"},
    MetricInfo{"bytes_up_per_request", "bytes", Better::lower, "bytes sent up per request"},
    MetricInfo{"private_tokens_per_request", "tokens", Better::lower, "private prompt tokens sent off the device"},
    MetricInfo{"makespan_s", "s", Better::lower, "last completion time"},
    MetricInfo{"throughput_rps", "1/s", Better::higher, "completed requests per second of makespan"},
    MetricInfo{"slo_attainment", "1", Better::higher, "share of requests within both SLO targets ([slo] ttft, tpot)"},
    MetricInfo{"goodput_rps", "1/s", Better::higher, "requests per second of makespan within both SLO targets"},
    MetricInfo{"prefix_hit_rate", "1", Better::higher,
               "prompt tokens served from prefix caches / prompt tokens (deployments with prefix_cache; NaN without)"},
    MetricInfo{"n_saturated_devices", "devices", Better::lower, "shared devices whose queue never drained"},
    MetricInfo{"n_questions_skipped", "questions", Better::lower,
               "questions left out of the join for a blank score (quality.blank = skip)"},
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
