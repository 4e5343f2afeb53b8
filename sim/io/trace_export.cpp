#include "sim/io/trace_export.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <queue>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"
#include "sim/io/h5_reader.hpp"

namespace collabsim {
namespace {

using nlohmann::json;

constexpr double kMicro = 1e6;  // s → µs (the format's time unit)

/// One slice to place: which request, on which track, what, when (s).
struct Slice {
  std::size_t request;  // row in /requests
  std::string track;
  std::string name;
  std::string deployment;
  double start, end;
  bool step;            // a mechanism step (not on a request's flow chain)
  int pid = 0, tid = 0;
};

const char* status_name(double s) {
  return s == 0 ? "ok" : s == 1 ? "failed" : s == 2 ? "timed_out" : s == 3 ? "context_exceeded" : s == 4 ? "out_of_memory" : "battery_low";
}

/// Assigns tids so that slices of one pid that share a tid never overlap: the lowest lane
/// whose last slice ended at or before the start (slices sorted by start, longer first).
/// Sweep line over a heap of busy lanes (by end) and a heap of free lanes: O(n log n).
void assign_lanes(std::vector<Slice*>& slices) {
  std::stable_sort(slices.begin(), slices.end(), [](const Slice* a, const Slice* b) {
    return a->start != b->start ? a->start < b->start : a->end > b->end;
  });
  using Busy = std::pair<double, int>;  // (end, lane)
  std::priority_queue<Busy, std::vector<Busy>, std::greater<>> busy;
  std::priority_queue<int, std::vector<int>, std::greater<>> free;
  int lanes = 0;
  for (Slice* s : slices) {
    while (!busy.empty() && busy.top().first <= s->start) {
      free.push(busy.top().second);
      busy.pop();
    }
    int k;
    if (free.empty()) {
      k = lanes++;
    } else {
      k = free.top();
      free.pop();
    }
    busy.emplace(s->end, k);
    s->tid = k + 1;
  }
}

/// The columns of /spans and /requests the export reads.
struct ExportColumns {
  std::vector<double> sp_id, sp_start, sp_end;
  std::vector<std::string> sp_track, sp_kind, sp_dep;
  std::vector<double> rq_id, rq_arrival, rq_latency, rq_ttft, rq_status, rq_route, rq_quality, rq_prompt, rq_output;
};

/// Reads the columns; throws InputError (at `at`) when a table is missing.
ExportColumns read_columns(const H5Reader& f, const SourcePos& at) {
  if (!f.exists("requests"))
    throw InputError(at, "", "no /requests table (a sweep file, or a run written without requests)");
  if (!f.exists("spans"))
    throw InputError(at, "", "no /spans table: run the scenario with --set run.record_spans=true");
  const H5TableInfo spans = f.table("spans"), requests = f.table("requests");
  ExportColumns c;
  c.sp_id = f.numbers(spans, "request_id");
  c.sp_start = f.numbers(spans, "start_s");
  c.sp_end = f.numbers(spans, "end_s");
  c.sp_track = f.strings(spans, "track");
  c.sp_kind = f.strings(spans, "kind");
  c.sp_dep = f.strings(spans, "deployment");
  c.rq_id = f.numbers(requests, "request_id");
  c.rq_arrival = f.numbers(requests, "arrival_s");
  c.rq_latency = f.numbers(requests, "latency_s");
  c.rq_ttft = f.numbers(requests, "ttft_s");
  c.rq_status = f.numbers(requests, "status");
  c.rq_route = f.numbers(requests, "route");
  c.rq_quality = f.numbers(requests, "quality");
  c.rq_prompt = f.numbers(requests, "prompt_tokens");
  c.rq_output = f.numbers(requests, "output_tokens");
  return c;
}

/// Refuses (InputError at `at`, naming the row) spans that are not finite intervals and
/// ids or integer fields that no integer can hold.
void check_columns(const ExportColumns& c, const SourcePos& at) {
  for (std::size_t i = 0; i < c.sp_id.size(); ++i)
    if (!std::isfinite(c.sp_start[i]) || !std::isfinite(c.sp_end[i]) || c.sp_end[i] < c.sp_start[i])
      throw InputError(at, "/spans", fmt::format("row {}: span [{}, {}] s is not a finite interval", i, c.sp_start[i],
                                                 c.sp_end[i]));

  for (std::size_t i = 0; i < c.rq_id.size(); ++i)
    if (!std::isfinite(c.rq_id[i]) || std::fabs(c.rq_id[i]) > 9e15 || !std::isfinite(c.rq_arrival[i]))
      throw InputError(at, "/requests", fmt::format("row {}: request_id or arrival_s is not a finite number", i));
  // Integer fields are written as JSON integers: refuse values an integer cannot hold
  // (casting them would be undefined behaviour; fuzz finding, result_file harness).
  const auto integral = [](double v, double limit) { return std::isfinite(v) && std::fabs(v) <= limit; };
  for (std::size_t i = 0; i < c.rq_id.size(); ++i)
    if (!integral(c.rq_route[i], 2147483647.0) || !integral(c.rq_prompt[i], 9e15) || !integral(c.rq_output[i], 9e15))
      throw InputError(at, "/requests",
                       fmt::format("row {}: route, prompt_tokens or output_tokens is not a finite integer in range "
                                   "(route {}, prompt_tokens {}, output_tokens {})",
                                   i, c.rq_route[i], c.rq_prompt[i], c.rq_output[i]));
  for (std::size_t i = 0; i < c.sp_id.size(); ++i)
    if (!std::isfinite(c.sp_id[i]) || std::fabs(c.sp_id[i]) > 9e15)
      throw InputError(at, "/spans", fmt::format("row {}: request_id is not a finite number", i));
}

/// One lifetime slice per chosen request (the first `max_requests` ids with spans, 0 =
/// all) and its spans. Throws InputError when /spans names a request /requests lacks.
std::vector<Slice> make_slices(const ExportColumns& c, std::size_t max_requests, const SourcePos& at,
                               std::size_t& n_chosen) {
  std::map<double, std::size_t> row_of;  // request id → /requests row
  for (std::size_t i = 0; i < c.rq_id.size(); ++i) row_of.emplace(c.rq_id[i], i);
  std::set<double> ids(c.sp_id.begin(), c.sp_id.end());
  std::set<double> chosen;
  for (double id : ids) {
    if (max_requests > 0 && chosen.size() >= max_requests) break;
    if (!row_of.count(id))
      throw InputError(at, "", "/spans names request " + std::to_string(static_cast<long long>(id)) +
                                   ", which /requests does not have");
    chosen.insert(id);
  }
  std::vector<Slice> slices;
  for (double id : chosen) {
    const std::size_t r = row_of[id];
    slices.push_back(Slice{r, "requests", "request " + std::to_string(static_cast<long long>(id)), "",
                           c.rq_arrival[r],
                           c.rq_arrival[r] + (std::isfinite(c.rq_latency[r]) && c.rq_latency[r] > 0 ? c.rq_latency[r] : 0),
                           false});
  }
  for (std::size_t i = 0; i < c.sp_id.size(); ++i)
    if (chosen.count(c.sp_id[i]))
      slices.push_back(Slice{row_of[c.sp_id[i]], c.sp_track[i], c.sp_kind[i], c.sp_dep[i], c.sp_start[i], c.sp_end[i],
                             c.sp_kind[i] == "ask"});
  n_chosen = chosen.size();
  return slices;
}

/// Processes ("requests" first, "mechanism" second, then the tracks by name) and lanes:
/// sets every slice's pid and tid, appends the metadata events; returns the track names.
std::vector<std::string> place_slices(std::vector<Slice>& slices, json& events) {
  std::vector<std::string> tracks;
  for (const auto& s : slices) tracks.push_back(s.track);
  std::sort(tracks.begin(), tracks.end(), [](const std::string& a, const std::string& b) {
    auto rank = [](const std::string& t) { return t == "requests" ? 0 : t == "mechanism" ? 1 : 2; };
    return rank(a) != rank(b) ? rank(a) < rank(b) : a < b;
  });
  tracks.erase(std::unique(tracks.begin(), tracks.end()), tracks.end());
  std::map<std::string, int> pid_of;
  for (std::size_t i = 0; i < tracks.size(); ++i) pid_of[tracks[i]] = static_cast<int>(i) + 1;
  std::map<int, std::vector<Slice*>> by_pid;
  for (auto& s : slices) {
    s.pid = pid_of[s.track];
    by_pid[s.pid].push_back(&s);
  }
  for (auto& [pid, list] : by_pid) {
    assign_lanes(list);
    const std::string& name = tracks[static_cast<std::size_t>(pid) - 1];
    events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", pid}, {"tid", 0}, {"args", {{"name", name}}}});
    events.push_back({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", pid}, {"tid", 0},
                      {"args", {{"sort_index", pid}}}});
    int lanes = 0;
    for (const Slice* s : list) lanes = std::max(lanes, s->tid);
    for (int t = 1; t <= lanes; ++t)
      events.push_back({{"ph", "M"}, {"name", "thread_name"}, {"pid", pid}, {"tid", t},
                        {"args", {{"name", "lane " + std::to_string(t)}}}});
  }
  return tracks;
}

/// One complete ("X") event per slice; a lifetime slice carries its request's columns.
std::size_t slice_events(const std::vector<Slice>& slices, const ExportColumns& c, json& events) {
  std::size_t n = 0;
  for (const auto& s : slices) {
    const std::size_t r = s.request;
    json args = {{"request_id", static_cast<long long>(c.rq_id[r])}};
    if (s.track == "requests") {
      args["status"] = status_name(c.rq_status[r]);
      args["route"] = static_cast<int>(c.rq_route[r]);
      args["quality"] = c.rq_quality[r];
      args["ttft_s"] = c.rq_ttft[r];
      args["latency_s"] = c.rq_latency[r];
      args["prompt_tokens"] = static_cast<long long>(c.rq_prompt[r]);
      args["output_tokens"] = static_cast<long long>(c.rq_output[r]);
    } else if (!s.deployment.empty()) {
      args["deployment"] = s.deployment;
    }
    events.push_back({{"ph", "X"},
                      {"name", s.step && !s.deployment.empty() ? "ask " + s.deployment : s.name},
                      {"cat", s.track == "requests" ? "request" : s.name},
                      {"pid", s.pid},
                      {"tid", s.tid},
                      {"ts", s.start * kMicro},
                      {"dur", (s.end - s.start) * kMicro},
                      {"args", std::move(args)}});
    ++n;
  }
  return n;
}

/// Flow arrows: per request, lifetime → spans in time order (steps excluded). Bound at the
/// slices' midpoints so that adjacent slices on a lane are never ambiguous. Returns how many.
std::size_t flow_events(const std::vector<Slice>& slices, const ExportColumns& c, json& events) {
  std::map<std::size_t, std::vector<const Slice*>> chain;
  for (const auto& s : slices)
    if (!s.step) chain[s.request].push_back(&s);
  long long flow_id = 0;
  std::size_t n = 0;
  for (auto& [r, list] : chain) {
    std::stable_sort(list.begin(), list.end(), [](const Slice* a, const Slice* b) {
      const bool la = a->track == "requests", lb = b->track == "requests";
      return la != lb ? la : a->start < b->start;
    });
    for (std::size_t k = 1; k < list.size(); ++k) {
      const Slice* a = list[k - 1];
      const Slice* b = list[k];
      const std::string name = "request " + std::to_string(static_cast<long long>(c.rq_id[r]));
      ++flow_id;
      // From the lifetime slice the arrow leaves at the first span's time (inside the lifetime).
      const double from = a->track == "requests" ? 0.5 * (b->start + b->end) : 0.5 * (a->start + a->end);
      events.push_back({{"ph", "s"}, {"name", name}, {"cat", "flow"}, {"id", flow_id}, {"pid", a->pid},
                        {"tid", a->tid}, {"ts", from * kMicro}});
      events.push_back({{"ph", "f"}, {"bp", "e"}, {"name", name}, {"cat", "flow"}, {"id", flow_id},
                        {"pid", b->pid}, {"tid", b->tid}, {"ts", 0.5 * (b->start + b->end) * kMicro}});
      ++n;
    }
  }
  return n;
}

}  // namespace

std::string chrome_trace_json(const std::filesystem::path& file, const TraceExportOptions& opt,
                              TraceExportStats* stats) {
  const SourcePos at{file, 0, 0};
  const H5Reader f(file, opt.isolate);
  const ExportColumns c = read_columns(f, at);
  check_columns(c, at);
  TraceExportStats st;
  std::vector<Slice> slices = make_slices(c, opt.max_requests, at, st.requests);
  json events = json::array();
  st.tracks = place_slices(slices, events).size();
  st.slices = slice_events(slices, c, events);
  st.flows = flow_events(slices, c, events);
  if (stats) *stats = st;
  json doc = {{"traceEvents", std::move(events)},
              {"displayTimeUnit", "ms"},
              {"otherData", {{"source", file.filename().string()}, {"generator", "collabsim trace-export"}}}};
  // Names read from the file (tracks, kinds, deployments) are bytes, not checked UTF-8: an
  // invalid sequence is written as U+FFFD rather than failing the export (fuzz finding of
  // 2026-12-07: nlohmann's type_error 316 escaped as a non-InputError).
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace collabsim
