#pragma once
/// \file trace_window.hpp
/// The part of a trace a run replays: the requests arriving in [workload.start,
/// workload.end) of the trace's own clock (0 = its first row), re-based so that the
/// window's start is simulated time 0.

#include <cstddef>
#include <cstdint>

#include "sim/core/error.hpp"
#include "sim/workload/trace_data.hpp"

namespace collabsim::workload {

struct TraceWindow {
  std::size_t first = 0, last = 0;  ///< records [first, last) of the trace
  std::int64_t offset_ns = 0;       ///< subtracted from every arrival: the window's start
  std::int64_t span_ns = 0;         ///< last selected arrival − offset_ns
};

/// The window [start_s, end_s) of `trace` (end_s = 0: to the end; the scenario loader has
/// checked end > start). Throws InputError at `pos` naming workload.start / workload.end
/// when no request arrives in it.
TraceWindow trace_window(const TraceData& trace, double start_s, double end_s, const SourcePos& pos);

}  // namespace collabsim::workload
