#include "sim/io/span_log.hpp"

#include "sim/io/record.hpp"

namespace collabsim {

std::string_view span_kind_name(SpanKind kind) {
  switch (kind) {
    case SpanKind::Queue: return "queue";
    case SpanKind::Prefill: return "prefill";
    case SpanKind::Decode: return "decode";
    case SpanKind::Upload: return "upload";
    case SpanKind::Download: return "download";
    case SpanKind::Wait: return "wait";
    case SpanKind::Compute: return "compute";
    case SpanKind::Ask: return "ask";
  }
  return "unknown";
}

std::uint32_t SpanLog::track(const std::string& name) {
  const auto [it, inserted] = index_.try_emplace(name, static_cast<std::uint32_t>(tracks_.size()));
  if (inserted) tracks_.push_back(name);
  return it->second;
}

void SpanLog::add(std::uint64_t request_id, std::uint32_t track, SpanKind kind, SimTime start, SimTime end,
                  std::int32_t deployment) {
  if (end <= start || request_id == kNoRequest) return;
  if (spans_.size() >= kMaxSpans) {
    ++dropped_;
    return;
  }
  spans_.push_back(Span{request_id, track, kind, deployment, start, end});
}

std::vector<TableColumn> SpanLog::columns(const std::vector<std::string>& deployments) const {
  std::vector<std::int64_t> id;
  std::vector<std::string> track, kind, dep;
  std::vector<double> start, end;
  const std::size_t n = spans_.size();
  id.reserve(n);
  track.reserve(n);
  kind.reserve(n);
  dep.reserve(n);
  start.reserve(n);
  end.reserve(n);
  for (const Span& s : spans_) {
    id.push_back(static_cast<std::int64_t>(s.request_id));
    track.push_back(tracks_[s.track]);
    kind.emplace_back(span_kind_name(s.kind));
    dep.push_back(s.deployment >= 0 && static_cast<std::size_t>(s.deployment) < deployments.size()
                      ? deployments[static_cast<std::size_t>(s.deployment)]
                      : std::string());
    start.push_back(to_seconds(s.start));
    end.push_back(to_seconds(s.end));
  }
  return {{"request_id", "1", std::move(id)},  {"track", "", std::move(track)},
          {"kind", "", std::move(kind)},        {"deployment", "", std::move(dep)},
          {"start_s", "s", std::move(start)},   {"end_s", "s", std::move(end)}};
}

}  // namespace collabsim
