#include "sim/workload/trace_source.hpp"

#include <algorithm>

#include "sim/core/time.hpp"

namespace collabsim::workload {

TraceSource::TraceSource(std::shared_ptr<const TraceData> trace, const TraceWindow& window, std::int64_t repeat,
                         double rate_scale, std::int64_t limit)
    : trace_(std::move(trace)), window_(window), repeat_(repeat), rate_scale_(rate_scale) {
  n_ = window.last - window.first;
  const std::int64_t gap = n_ > 1 ? window.span_ns / static_cast<std::int64_t>(n_ - 1) : 0;
  period_ = window.span_ns + gap;
  total_ = static_cast<std::uint64_t>(n_) * static_cast<std::uint64_t>(repeat);
  if (limit > 0) total_ = std::min<std::uint64_t>(total_, static_cast<std::uint64_t>(limit));
  horizon_s_ = (static_cast<double>(period_) * static_cast<double>(repeat - 1) + static_cast<double>(window.span_ns)) /
               1e9 / rate_scale;
}

std::optional<SourceRequest> TraceSource::next(std::size_t, std::int64_t) {
  if (emitted_ >= total_ || n_ == 0) return std::nullopt;
  if (k_ == n_) {
    k_ = 0;
    ++copy_;
  }
  if (copy_ >= repeat_) return std::nullopt;
  const std::size_t i = window_.first + k_++;
  const TraceRecord& rec = trace_->records[i];
  ++emitted_;
  const double arrival_ns = static_cast<double>(rec.arrival_ns - window_.offset_ns) +
                            static_cast<double>(copy_) * static_cast<double>(period_);
  SourceRequest r;
  r.arrival_ns = static_cast<SimTime>(arrival_ns / rate_scale_);
  r.prompt_tokens = rec.prompt_tokens;
  r.output_tokens = rec.output_tokens;
  r.prefix_blocks = trace_->prefix_blocks(i);
  return r;
}

}  // namespace collabsim::workload
