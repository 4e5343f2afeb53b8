#include "sim/workload/trace_window.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "sim/core/time.hpp"

namespace collabsim::workload {

TraceWindow trace_window(const TraceData& trace, double start_s, double end_s, const SourcePos& pos) {
  const SimTime start = from_seconds(start_s);
  const SimTime end = end_s > 0 ? from_seconds(end_s) : std::numeric_limits<SimTime>::max();
  const auto& r = trace.records;
  auto at = [](const TraceRecord& x, SimTime t) { return x.arrival_ns < t; };
  TraceWindow w;
  w.first = static_cast<std::size_t>(std::lower_bound(r.begin(), r.end(), start, at) - r.begin());
  w.last = static_cast<std::size_t>(std::lower_bound(r.begin(), r.end(), end, at) - r.begin());
  if (w.first == w.last)
    throw InputError(pos, start_s > 0 ? "workload.start" : "workload.end",
                     fmt::format("no request of the trace arrives in [{} s, {}) (the trace spans {:.3f} s)", start_s,
                                 end_s > 0 ? fmt::format("{} s", end_s) : std::string("end"),
                                 to_seconds(trace.span_ns)));
  w.offset_ns = start;
  w.span_ns = r[w.last - 1].arrival_ns - start;
  return w;
}

}  // namespace collabsim::workload
