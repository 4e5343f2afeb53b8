// Per-user devices bound to users (devices.<name>.binding = "user", hardware/user_devices):
// one phone per user id, whose generations queue on it (user_concurrency 1: never two at
// once) and whose radio keeps its RRC state across the user's requests (a burst pays one
// promotion). binding = "request" is the old one-instance-per-request simplification.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "sim/io/h5_table.hpp"
#include "test_support.hpp"

using namespace collabsim;
using namespace collabsim::testing;
namespace fs = std::filesystem;

namespace {

RunOutput run(const TempDir& d, const std::string& name, std::vector<std::string> sets) {
  return run_scenario_file(d, source_dir() / "scenarios" / "edge_cloud_cascade.toml", name, std::move(sets));
}

/// Prefill and decode spans per track whose name contains `part`: (start, end) pairs, s.
std::map<std::string, std::vector<std::pair<double, double>>> generation_spans(const fs::path& file,
                                                                              const std::string& part) {
  H5::H5File f(file.string(), H5F_ACC_RDONLY);
  const auto start = *read_numeric_field(f, "spans", "start_s");
  const auto end = *read_numeric_field(f, "spans", "end_s");
  const auto id = *read_numeric_field(f, "spans", "request_id");
  const auto kind = *read_string_field(f, "spans", "kind");
  const auto track = *read_string_field(f, "spans", "track");
  // One generation = the union of a request's prefill and decode on the track.
  std::map<std::pair<std::string, double>, std::pair<double, double>> gen;
  for (std::size_t i = 0; i < start.size(); ++i) {
    if ((kind[i] != "prefill" && kind[i] != "decode") || track[i].find(part) == std::string::npos) continue;
    auto [it, fresh] = gen.try_emplace({track[i], id[i]}, start[i], end[i]);
    if (!fresh) it->second = {std::min(it->second.first, start[i]), std::max(it->second.second, end[i])};
  }
  std::map<std::string, std::vector<std::pair<double, double>>> out;
  for (const auto& [key, iv] : gen) out[key.first].push_back(iv);
  for (auto& [t, v] : out) std::sort(v.begin(), v.end());
  return out;
}

/// Most generations running at once on one track.
std::size_t max_overlap(const std::vector<std::pair<double, double>>& v) {
  std::vector<std::pair<double, int>> ev;
  for (const auto& [a, b] : v) ev.push_back({a, 1}), ev.push_back({b, -1});
  std::sort(ev.begin(), ev.end());  // an end before a start at the same time
  int cur = 0, best = 0;
  for (const auto& [t, k] : ev) best = std::max(best, cur += k);
  return static_cast<std::size_t>(best);
}

}  // namespace

TEST(UserBinding, AUsersPhoneNeverRunsTwoGenerationsAtOnce) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // 3 users issue 300 requests of the conversation trace, each request's user drawn
  // whatever the user is doing (assignment "independent"): many overlap in time.
  // Heat off: a user-bound phone heats up across its user's requests (test_thermal.cpp);
  // here only the queueing differs between the two bindings.
  const std::vector<std::string> base = {"mechanism.name=small_only", "workload.limit=300",
                                         "workload.users.count=3", "workload.users.assignment=\"independent\"",
                                         "run.record_spans=true", "devices.phone.thermal_tau=\"0 s\""};
  const auto bound = run(d, "bound", base);
  const auto spans = generation_spans(bound.file, "/user ");
  ASSERT_EQ(spans.size(), 3u) << "one phone per user";
  std::size_t generations = 0;
  for (const auto& [track, v] : spans) {
    EXPECT_EQ(max_overlap(v), 1u) << track;
    generations += v.size();
  }
  EXPECT_EQ(static_cast<std::int64_t>(generations), bound.s.n_ok);
  // Queueing on the user's phone shows in latency; the answers and their energy do not change.
  auto per_request = base;
  per_request.push_back("devices.phone.binding=\"request\"");
  const auto free = run(d, "per_request", per_request);
  std::size_t most = 0;
  for (const auto& [track, v] : generation_spans(free.file, "phone/")) most = std::max(most, max_overlap(v));
  EXPECT_GT(most, 1u) << "one instance per request: a user's generations overlap";
  EXPECT_GT(bound.s.latency_p95_s, free.s.latency_p95_s);
  EXPECT_EQ(bound.s.quality_mean, free.s.quality_mean);
  EXPECT_NEAR(bound.s.energy_per_request_j / free.s.energy_per_request_j, 1.0, 1e-12);
  // Two at once on the card's concurrency: up to two overlap, never three.
  auto two = base;
  two.push_back("devices.phone.user_concurrency=2");
  std::size_t most2 = 0;
  for (const auto& [track, v] : generation_spans(run(d, "two", two).file, "/user "))
    most2 = std::max(most2, max_overlap(v));
  EXPECT_EQ(most2, 2u);
}

TEST(UserBinding, AUsersBurstPaysOnePromotionOnItsRadio) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // One user asks three questions 2 s apart (inside LTE's 11.6 s tail).
  const fs::path trace = d.path / "burst.csv";
  write_file(trace,
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-11-16 18:15:46.0000000,200,20\n"
             "2023-11-16 18:15:48.0000000,200,20\n"
             "2023-11-16 18:15:50.0000000,200,20\n");
  const std::vector<std::string> base = {"workload.trace=\"" + trace.string() + "\"", "mechanism.name=large_only",
                                         "workload.users.count=1", "workload.users.assignment=\"independent\"",
                                         "links.cellular.radio=\"lte\""};
  const auto bound = run(d, "burst_bound", base);
  auto per_request = base;
  per_request.push_back("devices.phone.binding=\"request\"");
  const auto free = run(d, "burst_free", per_request);
  auto promotions = [](const RunOutput& o) {
    return read_column<double>(o.file, "links/cellular/summary", "rrc_promotions")[0];
  };
  EXPECT_EQ(promotions(bound), 1.0) << "one radio, connected through the burst";
  EXPECT_EQ(promotions(free), 3.0) << "a radio per request: each is promoted";
  for (const RunOutput* o : {&bound, &free}) {  // what the requests pay is what the link spent
    const auto radio = read_column<double>(o->file, "requests", "energy_radio_j");
    const double link = read_column<double>(o->file, "links/cellular/summary", "radio_energy_j")[0];
    EXPECT_NEAR(std::accumulate(radio.begin(), radio.end(), 0.0) / link, 1.0, 1e-9);
  }
  // One promotion and one tail instead of three of each: the burst costs
  // 2 × (P_pro·D_pro + P_tail·T_tail) less, plus the tail gaps it spends instead.
  const auto rb = read_column<double>(bound.file, "requests", "energy_radio_j");
  const auto rf = read_column<double>(free.file, "requests", "energy_radio_j");
  const double saved = std::accumulate(rf.begin(), rf.end(), 0.0) - std::accumulate(rb.begin(), rb.end(), 0.0);
  EXPECT_GT(saved, 0.0);
  EXPECT_LT(saved, 2 * (1.2107 * 0.2601 + 1.060 * 11.576));
  // Later requests skip the 260 ms promotion.
  const auto ttft_b = read_column<double>(bound.file, "requests", "ttft_s");
  const auto ttft_f = read_column<double>(free.file, "requests", "ttft_s");
  EXPECT_LT(ttft_b[1], ttft_f[1] - 0.2);
  EXPECT_LT(ttft_b[2], ttft_f[2] - 0.2);
}

TEST(UserBinding, ABurstsRadioEnergyIsTheClosedForm) {
  COLLABSIM_NEED_DATA(data_dir());
  TempDir d;
  // The burst of AUsersBurstPaysOnePromotionOnItsRadio, with spans. LTE (Huang et al. 2012,
  // Tables 3-4): D_pro = 0.2601 s at P_pro = 1.2107 W, P_active = 1.28804 W, tail
  // T_tail = 11.576 s at P_tail = 1.060 W. A request's radio is connected for its upload
  // (the upload span less the link's 40 ms one-way latency, spent after the last bit) and
  // while its answer streams down, from the first token at the user to the last
  // (arrival + ttft_s to arrival + latency_s; docs/ENERGY.md).
  const fs::path trace = d.path / "burst.csv";
  write_file(trace,
             "TIMESTAMP,ContextTokens,GeneratedTokens\n"
             "2023-11-16 18:15:46.0000000,200,20\n"
             "2023-11-16 18:15:48.0000000,200,20\n"
             "2023-11-16 18:15:50.0000000,200,20\n");
  const std::vector<std::string> base = {"workload.trace=\"" + trace.string() + "\"", "mechanism.name=large_only",
                                         "workload.users.count=1", "workload.users.assignment=\"independent\"", "links.cellular.radio=\"lte\"",
                                         "run.record_spans=true"};
  const double d_pro = 0.2601, p_pro = 1.2107, p_act = 1.28804, t_tail = 11.576, p_tail = 1.060, prop = 0.040;
  // Per request: its radio's connected intervals (upload, stream), s, in time order.
  auto intervals = [&](const fs::path& file) {
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    const auto start = *read_numeric_field(f, "spans", "start_s");
    const auto end = *read_numeric_field(f, "spans", "end_s");
    const auto id = *read_numeric_field(f, "spans", "request_id");
    const auto kind = *read_string_field(f, "spans", "kind");
    const auto rid = read_column<double>(file, "requests", "request_id");
    const auto arrival = read_column<double>(file, "requests", "arrival_s");
    const auto ttft = read_column<double>(file, "requests", "ttft_s");
    const auto latency = read_column<double>(file, "requests", "latency_s");
    std::map<double, std::vector<std::pair<double, double>>> by_request;
    for (std::size_t i = 0; i < start.size(); ++i)
      if (kind[i] == "upload") by_request[id[i]].push_back({start[i], end[i] - prop});
    for (std::size_t i = 0; i < rid.size(); ++i)
      by_request[rid[i]].push_back({arrival[i] + ttft[i], arrival[i] + latency[i]});
    for (auto& [r, v] : by_request) std::sort(v.begin(), v.end());
    return by_request;
  };
  // Energy of one radio driven by `v` (sorted, from idle): one promotion (the first
  // interval waits it out), P_active over the intervals, P_tail over the gaps (each inside
  // T_tail: no second promotion) and one full tail.
  auto closed_form = [&](const std::vector<std::pair<double, double>>& v, double* active, double* tail) {
    double a = -d_pro, gaps = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      a += v[i].second - v[i].first;
      if (i + 1 < v.size()) {
        const double gap = v[i + 1].first - v[i].second;
        EXPECT_GT(gap, 0.0);
        EXPECT_LT(gap, t_tail);
        gaps += gap;
      }
    }
    if (active) *active = a;
    if (tail) *tail = gaps + t_tail;
    return p_pro * d_pro + p_act * a + p_tail * (gaps + t_tail);
  };
  auto rrc_energy = [](const RunOutput& o) {
    return read_column<double>(o.file, "links/cellular/summary", "rrc_energy_j")[0];
  };
  const auto bound = run(d, "bound", base);
  std::vector<std::pair<double, double>> all;
  for (const auto& [r, v] : intervals(bound.file)) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 6u);
  double active = 0, tail = 0;
  const double closed = closed_form(all, &active, &tail);
  EXPECT_NEAR(rrc_energy(bound), closed, 1e-6 * closed);
  EXPECT_NEAR(read_column<double>(bound.file, "users", "radio_promotion_s")[0], d_pro, 1e-12);
  EXPECT_NEAR(read_column<double>(bound.file, "users", "radio_active_s")[0], active, 1e-6);
  EXPECT_NEAR(read_column<double>(bound.file, "users", "radio_tail_s")[0], tail, 1e-6);
  // A radio per request: each pays a promotion and a full tail.
  auto per_request = base;
  per_request.push_back("devices.phone.binding=\"request\"");
  const auto free = run(d, "free", per_request);
  double closed_free = 0;
  for (const auto& [r, v] : intervals(free.file)) {
    EXPECT_EQ(v.size(), 2u);
    closed_free += closed_form(v, nullptr, nullptr);
  }
  EXPECT_NEAR(rrc_energy(free), closed_free, 1e-6 * closed_free);
  EXPECT_GT(closed_free - closed, 2 * (p_pro * d_pro + p_tail * 2.0));  // two promotions, and tails beyond the 2 s gaps
}
