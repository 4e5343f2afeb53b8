#pragma once
/// \file trace_export.hpp
/// A run's request timelines (/spans, span_log.hpp) as a Chrome trace-event JSON document,
/// the format ui.perfetto.dev and chrome://tracing open (Trace Event Format, Google, "JSON
/// Object Format": traceEvents array, "X" complete events with ts/dur in µs, "M" metadata,
/// flow events "s"/"f").
///
/// Layout: one process per track (a device replica, pool or per-user instance, a path
/// direction, origin compute, the mechanism's steps) plus a "requests" process whose slices
/// are the selected requests' lifetimes [arrival, arrival + latency] with their outcome in
/// args. Slices that overlap on one track (batched sequences, concurrent users) go to
/// separate lanes (threads) of that process, assigned greedily in start order by a sweep
/// line (O(n log n)), so every lane holds disjoint slices. Flow arrows join a request's lifetime slice to its first
/// span and each span to the next in time (mechanism steps excluded).

#include <cstddef>
#include <filesystem>
#include <string>

namespace collabsim {

struct TraceExportOptions {
  std::size_t max_requests = 100;  ///< the first N request ids that have spans (0 = all)
  bool isolate = true;             ///< probe the file in a child process first (h5_reader.hpp)
};

struct TraceExportStats {
  std::size_t requests = 0;  ///< requests exported
  std::size_t slices = 0;    ///< "X" events, lifetimes included
  std::size_t flows = 0;     ///< flow arrows (s/f pairs)
  std::size_t tracks = 0;    ///< processes, the "requests" one included
};

/// The Chrome trace JSON of `result` (a run file). Throws InputError naming the file when
/// it is not a collabsim run file or has no /spans (then it says to run with
/// run.record_spans = true), when a span names a request that /requests lacks, when a
/// table has another shape or type than a run file's, or when a span is not a finite
/// interval (all reads checked, h5_reader.hpp).
std::string chrome_trace_json(const std::filesystem::path& result, const TraceExportOptions& options,
                              TraceExportStats* stats = nullptr);

}  // namespace collabsim
