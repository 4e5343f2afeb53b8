// Request spans (/spans, run.record_spans) and their Chrome trace-event export: spans tile
// each request's latency, recording changes no result, and the exported JSON follows the
// trace-event format (required fields, non-negative durations, disjoint slices per lane,
// every slice inside its request's lifetime, slices adding up to the recorded latency).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "sim/core/error.hpp"
#include "sim/io/h5_table.hpp"
#include "sim/io/trace_export.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

RunOutput run(const TempDir& d, const std::string& scenario, const std::string& name, std::vector<std::string> sets) {
  return run_scenario_file(d, source_dir() / "scenarios" / (scenario + ".toml"), name, std::move(sets));
}

struct Spans {
  std::vector<double> id, start, end;
  std::vector<std::string> kind, track;
};

Spans read_spans(const fs::path& file) {
  H5::H5File f(file.string(), H5F_ACC_RDONLY);
  return {*read_numeric_field(f, "spans", "request_id"), *read_numeric_field(f, "spans", "start_s"),
          *read_numeric_field(f, "spans", "end_s"), *read_string_field(f, "spans", "kind"),
          *read_string_field(f, "spans", "track")};
}

/// Per request: Σ duration and union length of its non-step spans, and whether all lie in
/// [arrival, arrival + latency].
struct Cover {
  double sum = 0, union_len = 0;
  bool inside = true;
};

std::map<double, Cover> cover(const fs::path& file) {
  const Spans s = read_spans(file);
  const auto rid = read_column<double>(file, "requests", "request_id");
  const auto arr = read_column<double>(file, "requests", "arrival_s");
  const auto lat = read_column<double>(file, "requests", "latency_s");
  std::map<double, std::vector<std::pair<double, double>>> iv;
  for (std::size_t i = 0; i < s.id.size(); ++i)
    if (s.kind[i] != "ask") iv[s.id[i]].push_back({s.start[i], s.end[i]});
  std::map<double, Cover> out;
  for (std::size_t r = 0; r < rid.size(); ++r) {
    auto& v = iv[rid[r]];
    std::sort(v.begin(), v.end());
    Cover c;
    double cur0 = -1, cur1 = -1;
    for (const auto& [a, b] : v) {
      c.sum += b - a;
      if (a < arr[r] - 1e-9 || b > arr[r] + lat[r] + 1e-9) c.inside = false;
      if (cur1 < 0 || a > cur1) {
        if (cur1 >= 0) c.union_len += cur1 - cur0;
        cur0 = a;
        cur1 = b;
      } else {
        cur1 = std::max(cur1, b);
      }
    }
    if (cur1 >= 0) c.union_len += cur1 - cur0;
    out[rid[r]] = c;
  }
  return out;
}

}  // namespace

TEST(Spans, TileEachRequestsLatencyInSequentialMechanisms) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // A cascade (SLM on the phone, escalation over the cellular link to the cloud pool), a
  // speculative edge–cloud run (draft/verify rounds) and an offline fallback with outages.
  for (const char* sc : {"edge_cloud_cascade", "speculative_edge_cloud", "offline_fallback_outages"}) {
    const auto o = run(d, sc, sc, {"run.record_spans=true", "workload.limit=300"});
    const auto lat = read_column<double>(o.file, "requests", "latency_s");
    const auto c = cover(o.file);
    ASSERT_EQ(c.size(), lat.size()) << sc;
    std::size_t i = 0;
    for (const auto& [id, cv] : c) {
      EXPECT_TRUE(cv.inside) << sc << " request " << id;
      EXPECT_NEAR(cv.sum, lat[i], 1e-6) << sc << " request " << id;
      ++i;
    }
  }
}

TEST(Spans, CoverTheLatencyOfParallelMechanisms) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto o = run(d, "fusion_ensemble", "fusion", {"run.record_spans=true", "workload.limit=200"});
  const auto lat = read_column<double>(o.file, "requests", "latency_s");
  const auto c = cover(o.file);
  std::size_t i = 0, overlapping = 0;
  for (const auto& [id, cv] : c) {
    EXPECT_TRUE(cv.inside) << id;
    EXPECT_NEAR(cv.union_len, lat[i], 1e-6) << id;  // members answer in parallel: the union, not the sum
    overlapping += cv.sum > cv.union_len + 1e-6 ? 1 : 0;
    ++i;
  }
  EXPECT_GT(overlapping, 0u);
}

TEST(Spans, RecordingChangesNoResultAndIsOffByDefault) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto off = run(d, "edge_cloud_cascade", "off", {"workload.limit=500"});
  const auto on = run(d, "edge_cloud_cascade", "on", {"workload.limit=500", "run.record_spans=true"});
  EXPECT_EQ(read_raw(off.file, "requests"), read_raw(on.file, "requests"));
  EXPECT_EQ(read_raw(off.file, "summary"), read_raw(on.file, "summary"));
  H5::H5File f(off.file.string(), H5F_ACC_RDONLY);
  EXPECT_FALSE(f.nameExists("spans"));
  const Spans s = read_spans(on.file);
  EXPECT_GT(s.id.size(), 1000u);
  std::set<std::string> kinds(s.kind.begin(), s.kind.end());
  for (const char* k : {"prefill", "decode", "upload", "download", "ask"}) EXPECT_TRUE(kinds.count(k)) << k;
  std::set<std::string> tracks(s.track.begin(), s.track.end());
  // The default scenario's users ([workload.users]) each have their own phone track.
  EXPECT_TRUE(std::any_of(tracks.begin(), tracks.end(), [](const std::string& t) {
    return t.rfind("phone/user ", 0) == 0 && t.size() > 4 && t.compare(t.size() - 4, 4, "/slm") == 0;
  })) << "per-user instances";
  EXPECT_FALSE(tracks.count("phone/slm")) << "no per-request phone when requests have users";
  EXPECT_TRUE(tracks.count("cloud/llm/replica 0"));
  EXPECT_TRUE(tracks.count("link phone→cloud"));
}

TEST(TraceExport, FollowsTheTraceEventFormatAndAddsUpToLatency) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto o = run(d, "edge_cloud_cascade", "t", {"run.record_spans=true", "workload.limit=400"});
  TraceExportStats st;
  const auto doc = nlohmann::json::parse(chrome_trace_json(o.file, TraceExportOptions{60}, &st));
  EXPECT_EQ(st.requests, 60u);
  ASSERT_TRUE(doc.contains("traceEvents"));
  const auto& ev = doc["traceEvents"];
  ASSERT_TRUE(ev.is_array());
  std::set<int> named_pids;
  std::map<long long, std::pair<double, double>> life;           // request → [ts, ts + dur] µs
  std::map<long long, double> dur_sum;                            // request → Σ span dur (no steps) µs
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> lanes;
  std::vector<const nlohmann::json*> slices;
  std::map<long long, int> flow_s, flow_f;
  for (const auto& e : ev) {
    ASSERT_TRUE(e.contains("ph") && e.contains("pid") && e.contains("tid")) << e.dump();
    const std::string ph = e["ph"];
    if (ph == "M") {
      if (e["name"] == "process_name") named_pids.insert(e["pid"].get<int>());
      continue;
    }
    if (ph == "s" || ph == "f") {
      ASSERT_TRUE(e.contains("id") && e.contains("ts"));
      (ph == "s" ? flow_s : flow_f)[e["id"].get<long long>()]++;
      continue;
    }
    ASSERT_EQ(ph, "X") << e.dump();
    for (const char* k : {"name", "cat", "ts", "dur", "args"}) ASSERT_TRUE(e.contains(k)) << k << " in " << e.dump();
    const double ts = e["ts"], dur = e["dur"];
    EXPECT_GE(ts, 0.0);
    EXPECT_GE(dur, 0.0);
    const long long id = e["args"]["request_id"];
    lanes[{e["pid"].get<int>(), e["tid"].get<int>()}].push_back({ts, ts + dur});
    if (e["cat"] == "request")
      life[id] = {ts, ts + dur};
    else {
      slices.push_back(&e);
      if (e["cat"] != "ask") dur_sum[id] += dur;
    }
  }
  EXPECT_EQ(life.size(), 60u);
  EXPECT_EQ(named_pids.size(), st.tracks);
  for (const auto* e : slices) {
    const long long id = (*e)["args"]["request_id"];
    ASSERT_TRUE(life.count(id)) << id;
    const double ts = (*e)["ts"], dur = (*e)["dur"];
    EXPECT_GE(ts, life[id].first - 1e-3) << e->dump();
    EXPECT_LE(ts + dur, life[id].second + 1e-3) << e->dump();
  }
  for (const auto& [id, l] : life) EXPECT_NEAR(dur_sum[id], l.second - l.first, 1e-3 + 1e-9 * l.second) << id;
  for (auto& [lane, v] : lanes) {  // slices of one lane never overlap
    std::sort(v.begin(), v.end());
    for (std::size_t i = 1; i < v.size(); ++i) EXPECT_LE(v[i - 1].second, v[i].first + 1e-6);
  }
  EXPECT_EQ(flow_s.size(), st.flows);
  for (const auto& [id, n] : flow_s) EXPECT_EQ(flow_f[id], n) << "flow " << id;
}

TEST(TraceExport, NamesTheFileWhenItHasNoSpans) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  const auto o = run(d, "edge_cloud_cascade", "plain", {"workload.limit=50"});
  try {
    chrome_trace_json(o.file, {});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(o.file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("run.record_spans=true"), std::string::npos) << e.what();
  }
  write_file(d.path / "not.h5", "hello");
  EXPECT_THROW(chrome_trace_json(d.path / "not.h5", {}), InputError);
  std::string out;
  EXPECT_EQ(run_cli("trace-export " + o.file.string() + " -o " + (d.path / "t.json").string(), out), 2) << out;
  EXPECT_FALSE(fs::exists(d.path / "t.json"));
}
