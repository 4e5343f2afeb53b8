#pragma once
/// \file trace_source.hpp
/// A trace replay as a RequestSource (workload/request_source.hpp): the window of the
/// trace (trace_window.hpp), `workload.repeat` copies back to back (copy k shifted by
/// k × (span + mean gap), so the gap between copies is the window's mean inter-arrival
/// gap), arrivals divided by `workload.rate_scale`, at most `workload.limit` requests.

#include <memory>

#include "sim/workload/trace_data.hpp"
#include "sim/workload/trace_window.hpp"
#include "sim/workload/request_source.hpp"

namespace collabsim::workload {

class TraceSource final : public RequestSource {
 public:
  /// `repeat` ≥ 1, `rate_scale` > 0, `limit` ≥ 0 (0 = all).
  TraceSource(std::shared_ptr<const TraceData> trace, const TraceWindow& window, std::int64_t repeat,
              double rate_scale, std::int64_t limit);
  std::optional<SourceRequest> next(std::size_t stream, std::int64_t now_ns) override;
  std::uint64_t expected_requests() const override { return total_; }
  double horizon_s() const override { return horizon_s_; }

 private:
  std::shared_ptr<const TraceData> trace_;
  TraceWindow window_;
  std::int64_t repeat_;
  double rate_scale_;
  std::size_t n_ = 0;
  std::int64_t period_ = 0;
  std::uint64_t total_ = 0, emitted_ = 0;
  double horizon_s_ = 0;
  std::int64_t copy_ = 0;
  std::size_t k_ = 0;
};

}  // namespace collabsim::workload
