#include "sim/io/summary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>


namespace collabsim {

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  const auto it = v.begin() + static_cast<std::ptrdiff_t>(lo);
  std::nth_element(v.begin(), it, v.end());
  const double x_lo = *it;
  const double x_hi = hi == lo ? x_lo : *std::min_element(it + 1, v.end());
  return x_lo + (pos - static_cast<double>(lo)) * (x_hi - x_lo);
}

bool SloTargets::met(const RequestRecord& r) const {
  if (r.status != Status::Ok) return false;
  const double ttft = r.slo_ttft_s > 0 ? r.slo_ttft_s : ttft_s;
  const double tpot = r.slo_tpot_s > 0 ? r.slo_tpot_s : tpot_s;
  if (ttft > 0 && !(r.ttft_s <= ttft)) return false;
  return !(tpot > 0 && std::isfinite(r.tpot_s) && r.tpot_s > tpot);
}

void SummaryAccumulator::add(const RequestRecord& r) {
  ++s_.n_requests;
  const double q = r.status == Status::Ok ? r.quality : 0.0;
  // Welford's update of Σ(x − x̄)² with the running mean before and after this score.
  const double mean_before = quality_sum_ / static_cast<double>(std::max<std::int64_t>(s_.n_requests - 1, 1));
  quality_sum_ += q;
  const double mean_after = quality_sum_ / static_cast<double>(s_.n_requests);
  quality_m2_ += s_.n_requests == 1 ? 0.0 : (q - mean_before) * (q - mean_after);
  cost_sum_ += r.cost_usd;
  energy_sum_ += r.energy_j;
  radio_sum_ += r.energy_radio_j;
  if (battery_j_ > 0 && origin_ < r.device_energy.size())
    battery_sum_ += (r.device_energy[origin_] + r.energy_radio_j) / battery_j_;
  s_.n_failed += r.status == Status::Failed ? 1 : 0;
  s_.n_timed_out += r.status == Status::TimedOut ? 1 : 0;
  s_.n_context_exceeded += r.status == Status::ContextExceeded ? 1 : 0;
  s_.n_out_of_memory += r.status == Status::OutOfMemory ? 1 : 0;
  s_.n_battery_low += r.status == Status::BatteryLow ? 1 : 0;
  s_.n_truncated += r.truncated_tokens > 0 ? 1 : 0;
  bytes_up_sum_ += static_cast<double>(r.bytes_up);
  private_sum_ += static_cast<double>(r.private_tokens_sent);
  escalated_ += r.escalated ? 1 : 0;
  slo_met_ += slo_.met(r) ? 1 : 0;
  bool large = false;
  for (std::size_t i = 0; i < r.tokens.size() && i < large_.size(); ++i)
    if (large_[i] && r.tokens[i] > 0) large = true;
  large_count_ += large ? 1 : 0;
  if (r.status == Status::Ok) {
    ++s_.n_ok;
    latency_.add(r.latency_s);
    ttft_.add(r.ttft_s);
    if (std::isfinite(r.tpot_s)) tpot_.add(r.tpot_s);  // NaN: answered in one piece
    end_max_ = std::max(end_max_, r.arrival_s + r.latency_s);
  }
}

Summary SummaryAccumulator::finish() {
  Summary s = s_;
  const double n = static_cast<double>(std::max<std::int64_t>(s.n_requests, 1));
  s.quality_mean = quality_sum_ / n;
  s.quality_ci95_lo = s.quality_ci95_hi = std::numeric_limits<double>::quiet_NaN();
  if (s.n_requests > 1) {  // ideal bootstrap standard error of the mean: sqrt(Σ(x − x̄)²) / m
    const double half = 1.959963984540054 * std::sqrt(std::max(0.0, quality_m2_)) / n;
    // Scores lie in [0, 1]: the normal interval is clipped to that range (W10: a 2-request
    // run gave quality_ci95_lo = -0.18, a value no run can have).
    s.quality_ci95_lo = std::max(0.0, s.quality_mean - half);
    s.quality_ci95_hi = std::min(1.0, s.quality_mean + half);
  }
  s.latency_p50_s = latency_.percentile(50);
  s.latency_p95_s = latency_.percentile(95);
  s.latency_p99_s = latency_.percentile(99);
  s.ttft_p50_s = ttft_.percentile(50);
  s.ttft_p95_s = ttft_.percentile(95);
  s.ttft_p99_s = ttft_.percentile(99);
  s.tpot_p50_s = tpot_.percentile(50);
  s.tpot_p99_s = tpot_.percentile(99);
  s.cost_per_1k_usd = cost_sum_ / n * 1000.0;
  s.energy_per_request_j = energy_sum_ / n;
  s.radio_energy_per_request_j = radio_sum_ / n;
  s.battery_share_per_request = battery_sum_ / n;
  s.large_share = static_cast<double>(large_count_) / n;
  s.escalation_rate = static_cast<double>(escalated_) / n;
  s.bytes_up_per_request = bytes_up_sum_ / n;
  s.private_tokens_per_request = private_sum_ / n;
  s.makespan_s = end_max_;
  s.throughput_rps = end_max_ > 0 ? static_cast<double>(s.n_ok) / end_max_ : 0.0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s.slo_attainment = slo_.any() ? static_cast<double>(slo_met_) / n : nan;
  s.goodput_rps = !slo_.any() ? nan : end_max_ > 0 ? static_cast<double>(slo_met_) / end_max_ : 0.0;
  return s;
}

MetricRow Summary::columns() const {
  return {
      {"n_requests", {"requests", static_cast<double>(n_requests)}},
      {"n_ok", {"requests", static_cast<double>(n_ok)}},
      {"n_failed", {"requests", static_cast<double>(n_failed)}},
      {"n_timed_out", {"requests", static_cast<double>(n_timed_out)}},
      {"n_context_exceeded", {"requests", static_cast<double>(n_context_exceeded)}},
      {"n_out_of_memory", {"requests", static_cast<double>(n_out_of_memory)}},
      {"n_battery_low", {"requests", static_cast<double>(n_battery_low)}},
      {"n_truncated", {"requests", static_cast<double>(n_truncated)}},
      {"n_preemptions", {"sequences", static_cast<double>(n_preemptions)}},
      {"recompute_tokens", {"tokens", static_cast<double>(recompute_tokens)}},
      {"quality_mean", {"1", quality_mean}},
      {"quality_ci95_lo", {"1", quality_ci95_lo}},
      {"quality_ci95_hi", {"1", quality_ci95_hi}},
      {"latency_p50_s", {"s", latency_p50_s}},
      {"latency_p95_s", {"s", latency_p95_s}},
      {"latency_p99_s", {"s", latency_p99_s}},
      {"ttft_p50_s", {"s", ttft_p50_s}},
      {"ttft_p95_s", {"s", ttft_p95_s}},
      {"ttft_p99_s", {"s", ttft_p99_s}},
      {"tpot_p50_s", {"s", tpot_p50_s}},
      {"tpot_p99_s", {"s", tpot_p99_s}},
      {"cost_per_1k_usd", {"USD", cost_per_1k_usd}},
      {"energy_per_request_j", {"J", energy_per_request_j}},
      {"energy_average_per_request_j", {"J", energy_average_per_request_j}},
      {"energy_marginal_per_request_j", {"J", energy_marginal_per_request_j}},
      {"radio_energy_per_request_j", {"J", radio_energy_per_request_j}},
      {"battery_share_per_request", {"1", battery_share_per_request}},
      {"large_share", {"1", large_share}},
      {"escalation_rate", {"1", escalation_rate}},
      {"bytes_up_per_request", {"bytes", bytes_up_per_request}},
      {"private_tokens_per_request", {"tokens", private_tokens_per_request}},
      {"makespan_s", {"s", makespan_s}},
      {"throughput_rps", {"1/s", throughput_rps}},
      {"slo_attainment", {"1", slo_attainment}},
      {"goodput_rps", {"1/s", goodput_rps}},
      {"prefix_hit_rate", {"1", prefix_hit_rate}},
      {"n_saturated_devices", {"devices", static_cast<double>(n_saturated_devices)}},
      {"n_questions_skipped", {"questions", static_cast<double>(n_questions_skipped)}},
  };
}

}  // namespace collabsim
