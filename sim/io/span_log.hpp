#pragma once
/// \file span_log.hpp
/// Request timelines: what each request did where and when, as spans (one row of /spans),
/// recorded when `run.record_spans = true` (off by default: a run of the whole Azure trace
/// records ~10^5 spans). `collabsim trace-export` turns them into a Chrome trace-event file
/// for ui.perfetto.dev; figures.gantt draws them.
///
/// A span is a half-open interval [start, end) of simulated time (ns) spent by one request
/// on one track, of one kind:
///  - tracks: `<device>/<deployment>/replica <k>` (a continuous-batching replica),
///    `<device>/<deployment>/pool` (the FCFS c-server pool), `<device>/<deployment>`
///    (per-user instances), `link <from>→<to>` (a network path direction, whatever its hops),
///    `<device>/compute` (work on the origin device outside a model, e.g. a router kernel),
///    `mechanism` (the mechanism's steps);
///  - kinds: queue (waiting for admission), prefill (prompt pass; it emits the first token),
///    decode (the further tokens), upload / download (a transfer, from the call to the last
///    byte, including waits for a link outage), wait (waiting for a path to come back up),
///    compute, ask (one mechanism step: a model answering, from the upload to the last token
///    at the user).
/// Zero-length spans are not recorded. For a mechanism whose steps run one after another,
/// the non-ask spans of a request tile [arrival, arrival + latency] (tested).
///
/// Memory is bounded: at most kMaxSpans spans are kept; later ones are counted in
/// dropped() and the result file says so (attribute spans_dropped).

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/io/h5_table.hpp"

namespace collabsim {

enum class SpanKind : std::int8_t { Queue, Prefill, Decode, Upload, Download, Wait, Compute, Ask };

/// The kind's name as stored in /spans ("queue", "prefill", ...).
std::string_view span_kind_name(SpanKind kind);

struct Span {
  std::uint64_t request_id = 0;
  std::uint32_t track = 0;      ///< index into SpanLog::tracks()
  SpanKind kind = SpanKind::Queue;
  std::int32_t deployment = -1; ///< scenario deployment index; −1 for links without one
  SimTime start = 0;            ///< ns, absolute simulated time
  SimTime end = 0;              ///< ns, > start
};

class SpanLog {
 public:
  /// Most spans kept per run (~40 bytes each: 160 MB at the cap).
  static constexpr std::size_t kMaxSpans = std::size_t{4} << 20;

  /// Index of track `name`, created on first use.
  std::uint32_t track(const std::string& name);
  /// Records a span; ignored when end ≤ start or for background work (request_id ==
  /// kNoRequest, record.hpp); counted in dropped() past kMaxSpans.
  void add(std::uint64_t request_id, std::uint32_t track, SpanKind kind, SimTime start, SimTime end,
           std::int32_t deployment = -1);

  const std::vector<Span>& spans() const { return spans_; }
  const std::vector<std::string>& tracks() const { return tracks_; }
  std::uint64_t dropped() const { return dropped_; }

  /// The /spans columns: request_id, track (name), kind (name), deployment (name or ""),
  /// start_s, end_s (s). `deployments` maps Span::deployment to names.
  std::vector<TableColumn> columns(const std::vector<std::string>& deployments) const;

 private:
  std::vector<Span> spans_;
  std::vector<std::string> tracks_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::uint64_t dropped_ = 0;
};

}  // namespace collabsim
