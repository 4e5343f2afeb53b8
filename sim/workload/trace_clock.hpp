#pragma once
/// \file trace_clock.hpp
/// The arrival-time rule every trace format shares, written once: arrivals are relative to
/// the trace's first row (which arrives at 0), time never goes backwards, and a trace spans
/// at most kMaxTraceSpanNs, so arrival + any simulated duration stays inside the 64-bit
/// nanosecond clock.

#include <cstdint>
#include <string>

#include "sim/core/error.hpp"
#include "sim/workload/trace_record.hpp"

namespace collabsim::workload {

class TraceClock {
 public:
  /// `ns_per_tick`: nanoseconds per unit of the format's timestamps (1 for ns, 10^6 for ms).
  explicit TraceClock(std::int64_t ns_per_tick = 1) : ns_per_tick_(ns_per_tick) {}

  /// Arrival (ns after the first row) of a row stamped `tick` (≥ 0). Throws InputError at
  /// `at`/`key` when `tick` is earlier than the previous row's or more than kMaxTraceSpanNs
  /// after the first row's.
  std::int64_t arrival_ns(std::int64_t tick, const SourcePos& at, const std::string& key) {
    if (!started_) {
      first_ = last_ = tick;
      started_ = true;
    }
    if (tick < last_) throw InputError(at, key, "timestamp goes backwards (earlier than the previous row)");
    // Both ticks are ≥ the first, so the difference cannot overflow; bound it before scaling.
    if (tick - first_ > kMaxTraceSpanNs / ns_per_tick_)
      throw InputError(at, key,
                       std::string("timestamp is more than 1e9 s (about 31.7 years, the limit of a trace's span) "
                                   "after the first row's") +
                           (ns_per_tick_ == 1'000'000 ? " (timestamps are in ms)" : ""));
    last_ = tick;
    return (tick - first_) * ns_per_tick_;
  }

 private:
  std::int64_t ns_per_tick_;
  std::int64_t first_ = 0, last_ = 0;
  bool started_ = false;
};

}  // namespace collabsim::workload
