#include "sim/io/trace_export.hpp"

#include <H5Cpp.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/error.hpp"
#include "sim/core/input_file.hpp"
#include "sim/io/h5_table.hpp"

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

std::vector<double> numeric(const H5::H5File& f, const std::filesystem::path& file, const std::string& path,
                            const std::string& field) {
  auto v = read_numeric_field(f, path, field);
  if (!v) throw InputError(SourcePos{file, 0, 0}, "", "/" + path + " has no numeric field '" + field + "'");
  return std::move(*v);
}

std::vector<std::string> strings(const H5::H5File& f, const std::filesystem::path& file, const std::string& path,
                                 const std::string& field) {
  auto v = read_string_field(f, path, field);
  if (!v) throw InputError(SourcePos{file, 0, 0}, "", "/" + path + " has no string field '" + field + "'");
  return std::move(*v);
}

const char* status_name(double s) {
  return s == 0 ? "ok" : s == 1 ? "failed" : s == 2 ? "timed_out" : s == 3 ? "context_exceeded" : "out_of_memory";
}

/// Assigns tids so that slices of one pid that share a tid never overlap: first lane whose
/// last slice ended at or before the start (slices sorted by start, longer first).
void assign_lanes(std::vector<Slice*>& slices) {
  std::stable_sort(slices.begin(), slices.end(), [](const Slice* a, const Slice* b) {
    return a->start != b->start ? a->start < b->start : a->end > b->end;
  });
  std::vector<double> lane_end;
  for (Slice* s : slices) {
    std::size_t k = 0;
    while (k < lane_end.size() && lane_end[k] > s->start) ++k;
    if (k == lane_end.size()) lane_end.push_back(s->end);
    lane_end[k] = s->end;
    s->tid = static_cast<int>(k) + 1;
  }
}

}  // namespace

std::string chrome_trace_json(const std::filesystem::path& file, const TraceExportOptions& opt,
                              TraceExportStats* stats) {
  const SourcePos at{file, 0, 0};
  check_input_file(file, SourcePos{}, "", "result file");
  H5::Exception::dontPrint();
  if (H5Fis_hdf5(file.string().c_str()) <= 0) throw InputError(at, "", "not an HDF5 file (expected a collabsim run file)");
  const H5::H5File f(file.string(), H5F_ACC_RDONLY);
  if (!f.nameExists("requests"))
    throw InputError(at, "", "no /requests table (a sweep file, or a run written without requests)");
  if (!f.nameExists("spans"))
    throw InputError(at, "", "no /spans table: run the scenario with --set run.record_spans=true");

  const auto sp_id = numeric(f, file, "spans", "request_id");
  const auto sp_start = numeric(f, file, "spans", "start_s");
  const auto sp_end = numeric(f, file, "spans", "end_s");
  const auto sp_track = strings(f, file, "spans", "track");
  const auto sp_kind = strings(f, file, "spans", "kind");
  const auto sp_dep = strings(f, file, "spans", "deployment");
  const auto rq_id = numeric(f, file, "requests", "request_id");
  const auto rq_arrival = numeric(f, file, "requests", "arrival_s");
  const auto rq_latency = numeric(f, file, "requests", "latency_s");
  const auto rq_ttft = numeric(f, file, "requests", "ttft_s");
  const auto rq_status = numeric(f, file, "requests", "status");
  const auto rq_route = numeric(f, file, "requests", "route");
  const auto rq_quality = numeric(f, file, "requests", "quality");
  const auto rq_prompt = numeric(f, file, "requests", "prompt_tokens");
  const auto rq_output = numeric(f, file, "requests", "output_tokens");

  std::map<double, std::size_t> row_of;  // request id → /requests row
  for (std::size_t i = 0; i < rq_id.size(); ++i) row_of.emplace(rq_id[i], i);
  std::set<double> ids(sp_id.begin(), sp_id.end());
  std::set<double> chosen;
  for (double id : ids) {
    if (opt.max_requests > 0 && chosen.size() >= opt.max_requests) break;
    if (!row_of.count(id))
      throw InputError(at, "", "/spans names request " + std::to_string(static_cast<long long>(id)) +
                                   ", which /requests does not have");
    chosen.insert(id);
  }

  std::vector<Slice> slices;
  for (double id : chosen) {
    const std::size_t r = row_of[id];
    slices.push_back(Slice{r, "requests", "request " + std::to_string(static_cast<long long>(id)), "",
                           rq_arrival[r], rq_arrival[r] + rq_latency[r], false});
  }
  for (std::size_t i = 0; i < sp_id.size(); ++i)
    if (chosen.count(sp_id[i]))
      slices.push_back(Slice{row_of[sp_id[i]], sp_track[i], sp_kind[i], sp_dep[i], sp_start[i], sp_end[i],
                             sp_kind[i] == "ask"});

  // Processes: "requests" first, "mechanism" second, then the tracks by name.
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

  json events = json::array();
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
  TraceExportStats st;
  st.requests = chosen.size();
  st.tracks = tracks.size();
  for (const auto& s : slices) {
    const std::size_t r = s.request;
    json args = {{"request_id", static_cast<long long>(rq_id[r])}};
    if (s.track == "requests") {
      args["status"] = status_name(rq_status[r]);
      args["route"] = static_cast<int>(rq_route[r]);
      args["quality"] = rq_quality[r];
      args["ttft_s"] = rq_ttft[r];
      args["latency_s"] = rq_latency[r];
      args["prompt_tokens"] = static_cast<long long>(rq_prompt[r]);
      args["output_tokens"] = static_cast<long long>(rq_output[r]);
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
    ++st.slices;
  }
  // Flow arrows: per request, lifetime → spans in time order (steps excluded). Bound at the
  // slices' midpoints so that adjacent slices on a lane are never ambiguous.
  std::map<std::size_t, std::vector<const Slice*>> chain;
  for (const auto& s : slices)
    if (!s.step) chain[s.request].push_back(&s);
  long long flow_id = 0;
  for (auto& [r, list] : chain) {
    std::stable_sort(list.begin(), list.end(), [](const Slice* a, const Slice* b) {
      const bool la = a->track == "requests", lb = b->track == "requests";
      return la != lb ? la : a->start < b->start;
    });
    for (std::size_t k = 1; k < list.size(); ++k) {
      const Slice* a = list[k - 1];
      const Slice* b = list[k];
      const std::string name = "request " + std::to_string(static_cast<long long>(rq_id[r]));
      ++flow_id;
      // From the lifetime slice the arrow leaves at the first span's time (inside the lifetime).
      const double from = a->track == "requests" ? 0.5 * (b->start + b->end) : 0.5 * (a->start + a->end);
      events.push_back({{"ph", "s"}, {"name", name}, {"cat", "flow"}, {"id", flow_id}, {"pid", a->pid},
                        {"tid", a->tid}, {"ts", from * kMicro}});
      events.push_back({{"ph", "f"}, {"bp", "e"}, {"name", name}, {"cat", "flow"}, {"id", flow_id},
                        {"pid", b->pid}, {"tid", b->tid}, {"ts", 0.5 * (b->start + b->end) * kMicro}});
      ++st.flows;
    }
  }
  if (stats) *stats = st;
  json doc = {{"traceEvents", std::move(events)},
              {"displayTimeUnit", "ms"},
              {"otherData", {{"source", file.filename().string()}, {"generator", "collabsim trace-export"}}}};
  return doc.dump();
}

}  // namespace collabsim
