#pragma once
/// \file request_source.hpp
/// Where a run's requests come from, one at a time: a trace replay (study/trace_source.hpp)
/// or a generator (generated_source.hpp). run_scenario's arrival processes pull from this
/// interface and never see a whole workload (memory does not grow with the request count).
///
/// A source has one or more streams. An open source (a trace, a renewal process) has one
/// stream whose requests arrive whatever happens to earlier ones. A closed-loop source
/// (N users with think time) has one stream per user: run_scenario asks for a stream's
/// next request only after that stream's previous request has been answered, passing the
/// time of the answer, so the feedback from completion to the source is the call order
/// itself (no callback, no shared mutable state between the two). A closed loop's streams
/// begin lazily (next_start): a user's process and state exist from its first request on,
/// so users who have not sent anything yet cost no process (issue 23, M3).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace collabsim::workload {

/// One request as a source emits it.
struct SourceRequest {
  std::int64_t arrival_ns = 0;     ///< ns since the start of the run, ≥ the stream's previous arrival
  std::int64_t prompt_tokens = 0;  ///< tokens
  std::int64_t output_tokens = 0;  ///< tokens
  /// Prefix-block hash ids of the prompt (Mooncake traces; empty otherwise): a view into the
  /// source's shared trace data, which outlives the run (no copy per request or per hop).
  std::span<const std::int64_t> prefix_blocks;
};

/// A closed loop's stream that begins: its first request arrives at `at_ns`.
struct StreamStart {
  std::size_t stream = 0;  ///< the stream (user) index, < streams()
  std::int64_t at_ns = 0;  ///< ns since the start of the run, its first request's arrival
};

class RequestSource {
 public:
  virtual ~RequestSource() = default;
  /// Streams: 1 for open sources, N (users) for closed loops.
  virtual std::size_t streams() const { return 1; }
  /// True when a stream's next request is asked for only after its previous request's
  /// answer (closed loop); false for open arrivals.
  virtual bool closed_loop() const { return false; }
  /// Next request of `stream`, std::nullopt when the stream has ended. `now_ns` is the
  /// current simulated time: for a closed loop the time the stream's previous answer
  /// arrived (its arrival is then now_ns + a think time); open sources ignore it. Token
  /// counts may be left for assign() (generators draw them from the request id's stream).
  virtual std::optional<SourceRequest> next(std::size_t stream, std::int64_t now_ns) = 0;
  /// Closed loop: the streams that send anything, in the order of their first arrivals
  /// (ties by stream index), one per call; std::nullopt after the last. run_scenario starts
  /// a stream's process at that arrival, and the stream's first next() call (at now_ns =
  /// at_ns) returns a request arriving at at_ns. Open sources are not asked (their one
  /// stream starts at 0): the default returns std::nullopt.
  virtual std::optional<StreamStart> next_start() { return std::nullopt; }
  /// Closed loop: streams whose per-stream state exists now (users begun and not ended);
  /// 0 for open sources (their one stream's state is the source's own). For tests of the
  /// memory held before and during a run (issue 23, M3).
  virtual std::size_t streams_with_state() const { return 0; }
  /// Called once per issued request with its id (0-based, in issue order) before it is
  /// served: a generator draws the request's token counts here, from streams keyed by id,
  /// so they do not depend on which user or when. Trace sources keep the file's counts.
  virtual void assign(std::uint64_t id, SourceRequest& r) { (void)id, (void)r; }
  /// Requests the source expects to emit (0 = not known in advance), for progress lines.
  virtual std::uint64_t expected_requests() const = 0;
  /// s of simulated time the arrivals are expected to span (0 = not known), for progress.
  virtual double horizon_s() const = 0;
};

}  // namespace collabsim::workload
