#include "sim/study/run_scenario.hpp"
#include "sim/study/saturation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "collabsim/version.hpp"
#include "sim/core/engine.hpp"
#include "sim/core/error.hpp"
#include "sim/hardware/deployment_server.hpp"
#include "sim/hardware/device_monitor.hpp"
#include "sim/io/output_path.hpp"
#include "sim/io/recorder.hpp"
#include "sim/io/provenance.hpp"
#include "sim/scenario/scenario_inputs.hpp"
#include "sim/io/result_file.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/network/network.hpp"
#include "sim/quality/irt.hpp"
#include "sim/quality/query_join.hpp"
#include "sim/quality/text_tokens.hpp"
#include "sim/study/input_cache.hpp"
#include "sim/workload/trace_window.hpp"
#include "sim/topology/topology.hpp"
#include "sim/workload/trace_source.hpp"
#include "sim/workload/distribution.hpp"
#include "sim/workload/generated_source.hpp"
#include "sim/workload/request_attributes.hpp"
#include "sim/workload/request_source.hpp"
#include "sim/workload/servegen_windows.hpp"
#include "sim/workload/trace_record.hpp"
#include "sim/workload/user_sessions.hpp"

namespace collabsim {
namespace {

/// A shared device counts as saturated when its utilisation exceeds this share ...
constexpr double kSaturatedUtilisation = 0.95;
/// ... and its last answer comes this many times later than the last arrival.
constexpr double kSaturatedMakespanRatio = 1.5;


/// Prompt tokens of a request from its joined question's text (quality.prompt_tokens =
/// "question"): ceil(question_chars / chars_per_token), at least 1. The default 4
/// characters per token is OpenAI's rule of thumb for English text ("one token generally
/// corresponds to ~4 characters", help.openai.com, What are tokens and how to count them);
/// the MMLU-Pro question_chars count question + options, not the 5-shot prompt.
std::int64_t question_tokens(const quality::QualityTable& t, std::size_t row, const QualitySpec& q) {
  const std::int64_t chars = t.question_chars(row);
  if (chars < 0)
    throw InputError(q.pos, "quality.prompt_tokens",
                     "prompt_tokens = \"question\" needs the question's length, but " + t.file().string() +
                         " has no question_chars for question " + std::to_string(t.query_id(row)) +
                         " (add a question_chars column, or use prompt_tokens = \"trace\")");
  return quality::tokens_from_chars(chars, q.chars_per_token);
}

/// The join's question filter under quality.output_tokens = "model": `keep` (when given)
/// and a response length (an output_tokens or out_chars cell) in every column of `cols`,
/// so Context::output_tokens always has one. Questions left out this way count as
/// filtered, not skipped.
std::function<bool(std::int64_t)> with_response_lengths(const quality::QualityTable& t,
                                                        const std::vector<std::size_t>& cols,
                                                        std::function<bool(std::int64_t)> keep) {
  auto missing = std::make_shared<std::unordered_set<std::int64_t>>();
  for (std::size_t row = 0; row < t.num_queries(); ++row)
    for (auto c : cols)
      if (t.output_tokens(row, c) < 0 && t.out_chars(row, c) < 0) {
        missing->insert(t.query_id(row));
        break;
      }
  return [missing, keep = std::move(keep)](std::int64_t id) { return !missing->count(id) && (!keep || keep(id)); };
}

/// Run-time state shared by the processes of one run.
struct RunState {
  Engine& engine;
  const Scenario& sc;
  Mechanism& mech;
  Context& cx;
  ResultFile& out;
  SummaryAccumulator& acc;
  std::int64_t in_flight = 0;
  bool arrivals_done = false;
  double last_arrival_s = 0;  ///< arrival time of the last request, s
  DecisionHook* decisions = nullptr;  ///< RunOptions::decisions (null = the mechanism decides)
  workload::UserSessions* users = nullptr;  ///< [workload.users] (null = off)
  /// Per-deployment token and per-device energy vectors of finished requests' rows, reused
  /// by the next arrivals (two allocations fewer per request; their values are reset).
  std::vector<std::pair<std::vector<std::int64_t>, std::vector<double>>> spare_row_vectors;
  /// The arrival stream while no user can send its request ([workload.users] sessions): an
  /// answer wakes it, and so does `parked_timer` (the earliest ready turn) when set.
  std::coroutine_handle<> parked;
  std::optional<std::uint64_t> parked_timer;
};

/// Wakes the parked arrival stream now (an answer freed a user or made a turn ready).
void wake_parked(RunState& st) {
  if (!st.parked) return;
  if (st.parked_timer) st.engine.cancel(*st.parked_timer);
  const std::coroutine_handle<> h = st.parked;
  st.parked = {};
  st.parked_timer.reset();
  st.engine.schedule(st.engine.now(), h);
}

/// Awaitable: parks the arrival stream until an answer (wake_parked) or until `ready` (ns),
/// whichever comes first.
struct ParkStream {
  RunState& st;
  std::optional<std::int64_t> ready;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    st.parked = h;
    if (ready) st.parked_timer = st.engine.schedule(std::max<SimTime>(*ready, st.engine.now()), h);
  }
  void await_resume() noexcept {
    st.parked = {};
    st.parked_timer.reset();
  }
};

/// One request from arrival to answer; hands its row to the result file.
Task<void> request_process(RunState& st, Request r, RequestRecord rec) {
  st.cx.open_request(r);  // counted on its user's device (allocated at the user's first request)
  co_await st.mech.serve(r, rec);
  if (st.users && r.user >= 0) {  // the user has the answer: thinks, or ends the session
    st.users->answered(r.user, r.id, st.engine.now());
    wake_parked(st);
  }
  st.cx.close_radio(r, rec);  // the final RRC tail (links with radio ≠ "none")
  rec.battery_soc = st.cx.battery_soc(r);  // the user's battery after this request
  if (st.decisions) st.decisions->completed(rec);
  st.acc.add(rec);
  st.out.add(rec);
  st.spare_row_vectors.emplace_back(std::move(rec.tokens), std::move(rec.device_energy));
  --st.in_flight;
}

/// What the arrival processes of one run share: the source, the count bound, the
/// request → question join and the service-time distribution.
struct Arrivals {
  workload::RequestSource& source;
  std::uint64_t limit = 0;  ///< requests (0 = none)
  std::uint64_t total = 0;  ///< for progress: expected requests (0 = unknown)
  double horizon_s = 0;     ///< for progress
  std::size_t origin = 0;
  QueryJoin& join;
  const quality::QualityTable& table;
  std::optional<workload::Distribution> service;
  const workload::AttributeDrawer* attributes = nullptr;  ///< [workload.attributes], null = off
  std::uint64_t next_id = 0;
  std::size_t live_streams = 0;
};

/// One stream of the source (the whole trace or renewal process; one user of a closed
/// loop): pulls a request, waits for its arrival, spawns its process (open) or serves it
/// to the end before pulling the next one (closed loop: the next request's think time
/// starts at this answer).
Task<void> arrival_stream(RunState& st, Arrivals& in, std::size_t stream, const RunOptions& opt) {
  const Scenario& sc = st.sc;
  const bool closed = in.source.closed_loop();
  // A closed-loop stream begins at its first arrival (stream_starts): that request is
  // issued at once, as the wake-up at its arrival would have issued it.
  bool first = closed;
  for (;;) {
    if (in.limit > 0 && in.next_id >= in.limit) break;
    std::optional<workload::SourceRequest> next = in.source.next(stream, st.engine.now());
    if (!next) break;
    if (!first || next->arrival_ns != st.engine.now()) co_await st.engine.until(next->arrival_ns);
    first = false;
    if (in.limit > 0 && in.next_id >= in.limit) break;  // another user took the last one
    workload::SourceRequest& s = *next;
    std::optional<workload::UserSessions::Pick> user;
    if (st.users) {  // [workload.users]: the request waits (in trace order) until a user can send it
      while (!(user = st.users->pick(in.next_id, st.engine.now()))) co_await ParkStream{st, st.users->next_ready_ns()};
      s.arrival_ns = st.engine.now();
    }
    Request r;
    r.id = in.next_id++;
    in.source.assign(r.id, s);
    r.arrival = s.arrival_ns;
    r.origin = in.origin;
    r.prompt_tokens = s.prompt_tokens;
    r.output_tokens = s.output_tokens;
    r.quality_row = in.join.row(r.id);
    r.query_id = in.table.query_id(r.quality_row);
    if (sc.quality.output_tokens == "model")  // the largest model's own response (Context::output_tokens)
      r.output_tokens = st.cx.output_tokens(st.cx.reference_deployment(), r);
    if (sc.quality.prompt_tokens == "question") r.prompt_tokens = question_tokens(in.table, r.quality_row, sc.quality);
    else r.prefix_blocks = s.prefix_blocks;  // the trace's prompt: its prefix blocks apply
    if (sc.workload.timeout > 0) r.deadline = r.arrival + from_seconds(sc.workload.timeout);
    if (in.service) {
      RngStream rng(sc.run.seed, "service_time", r.id);
      r.service_s = in.service->sample(rng);
    }
    r.private_share = sc.workload.private_share;
    RequestRecord row;
    if (in.attributes) {  // per-request user, private share and SLO (workload/request_attributes.hpp)
      const workload::RequestAttributes a = in.attributes->draw(r.id, in.table.category(r.quality_row));
      r.user = row.user_id = a.user;
      r.private_share = row.private_share = a.private_share;
      r.slo_ttft = row.slo_ttft_s = a.slo_ttft;
      r.slo_tpot = row.slo_tpot_s = a.slo_tpot;
    }
    if (user) r.user = row.user_id = user->user;
    row.request_id = r.id;
    row.query_id = r.query_id;
    row.arrival_s = to_seconds(r.arrival);
    row.prompt_tokens = r.prompt_tokens;
    row.output_tokens = r.output_tokens;
    if (!st.spare_row_vectors.empty()) {
      row.tokens = std::move(st.spare_row_vectors.back().first);
      row.device_energy = std::move(st.spare_row_vectors.back().second);
      st.spare_row_vectors.pop_back();
    }
    row.tokens.assign(sc.deployments.size(), 0);
    row.device_energy.assign(sc.devices.size(), 0.0);
    if (++st.in_flight > sc.run.max_in_flight)
      throw LimitError("run.max_in_flight",
                       fmt::format("{} requests in flight at once at t = {:.6g} s, the cap (the system does not keep "
                                   "up with the arrivals; raise run.max_in_flight if it should hold them)",
                                   st.in_flight, to_seconds(st.engine.now())));
    st.last_arrival_s = row.arrival_s;
    const std::uint64_t id = in.next_id;
    if (opt.progress && (id % 2048 == 0 || id == in.total))
      opt.progress(RunProgress{to_seconds(st.engine.now()), in.horizon_s, id, in.total});
    if (closed)
      co_await request_process(st, r, std::move(row));
    else
      st.engine.spawn(request_process(st, r, std::move(row)));
  }
  if (--in.live_streams == 0) st.arrivals_done = true;
}

/// Closed loop: starts each user's arrival_stream at its first arrival, in the order the
/// source gives (RequestSource::next_start), so a user's process and state exist only from
/// its first request on (issue 23, M3; 10^6 users cost no process each before they send).
/// Users whose first requests arrive at the same instant start together; the next group is
/// started only when this one arrives.
Task<void> stream_starts(RunState& st, Arrivals& in, const RunOptions& opt) {
  std::optional<workload::StreamStart> s = in.source.next_start();
  while (s && !(in.limit > 0 && in.next_id >= in.limit)) {
    const std::int64_t at = s->at_ns;
    do {
      ++in.live_streams;
      st.engine.spawn(arrival_stream(st, in, s->stream, opt), at);
      s = in.source.next_start();
    } while (s && s->at_ns == at);
    co_await st.engine.until(at);
  }
  if (--in.live_streams == 0) st.arrivals_done = true;
}

/// The registry entry and validated parameters of the scenario's mechanism. Throws
/// InputError when a target share is still to be calibrated (calibrate.hpp does that first).
std::pair<const MechanismInfo*, ParamSet> run_mechanism(const Scenario& sc) {
  const MechanismInfo& info = scenario_mechanism(sc);
  const ParamSet& params = sc.mechanism.params;
  if (params.has("target_large_share") && params.number("target_large_share") >= 0)
    throw InputError(params.pos("target_large_share"), "mechanism." + sc.mechanism.name + ".target_large_share",
                     "a target share is calibrated by collabsim run/sweep/check before the run "
                     "(calibrate_target_share); run_scenario needs the calibrated value");
  return {&info, params};
}

/// The quality table of a run and the model columns it reads.
struct QualityInputs {
  std::vector<std::string> columns;       ///< one per deployment (its quality_column)
  std::vector<std::string> join_columns;  ///< columns + the mechanism's extra columns
  std::shared_ptr<const quality::QualityTable> table;
};

/// Loads the quality table (through `inputs`) with the columns the deployments and the
/// mechanism read, or a synthetic table drawn from its 2PL fit (quality.synthetic = "irt").
QualityInputs load_quality(const Scenario& sc, InputCache& inputs, const MechanismInfo& info, const ParamSet& params) {
  QualityInputs q;
  for (const auto& d : sc.deployments) q.columns.push_back(d.quality_column);
  q.join_columns = q.columns;
  auto add = [](std::vector<std::string>& to, const std::string& c) {
    if (std::find(to.begin(), to.end(), c) == to.end()) to.push_back(c);
  };
  if (info.extra_columns)
    for (const auto& c : info.extra_columns(params)) add(q.join_columns, c);
  std::vector<std::string> load_columns = q.join_columns;
  if (sc.quality.synthetic == "irt")
    for (const auto& c : sc.quality.irt_columns) add(load_columns, c);
  q.table = inputs.quality(sc.quality.table, load_columns, sc.quality.format,
                           sc.quality.blank == "zero"    ? quality::BlankPolicy::zero
                           : sc.quality.blank == "error" ? quality::BlankPolicy::error
                                                         : quality::BlankPolicy::skip);
  if (sc.quality.synthetic == "irt")  // a synthetic table drawn from the 2PL fit (quality/irt.hpp)
    q.table = std::make_shared<const quality::QualityTable>(
        quality::draw_irt(*q.table, quality::fit_irt(*q.table), sc.run.seed));
  return q;
}

/// The request source of a run (workload/request_source.hpp) and the trace it reads from.
struct RunSource {
  std::unique_ptr<workload::RequestSource> source;
  std::shared_ptr<const workload::TraceData> length_trace;  ///< keeps a generator's length pool alive
};

/// A trace replay (the window, repeat, rate_scale and limit of [workload]) or a generator.
RunSource make_source(const Scenario& sc, InputCache& inputs) {
  RunSource rs;
  const WorkloadSpec& w = sc.workload;
  if (w.generated()) {
    workload::GeneratedWorkload g{w.arrivals, w.lengths, sc.run.seed, w.rate_scale, w.duration, w.start, w.end,
                                  w.limit};
    std::vector<workload::ServegenWindow> windows;
    if (g.arrivals.process->reads_windows) windows = workload::read_servegen_windows(g.arrivals.servegen);
    std::span<const workload::TraceRecord> pool;
    if (g.lengths.source->reads_trace) {
      rs.length_trace = inputs.trace(g.lengths.trace_format, g.lengths.trace);
      pool = rs.length_trace->records;
    }
    rs.source = workload::make_generated_source(g, std::move(windows), pool);
  } else {
    const std::shared_ptr<const workload::TraceData> trace = inputs.trace(w.format, w.trace);
    const workload::TraceWindow window = workload::trace_window(*trace, w.start, w.end, w.pos);
    rs.source = std::make_unique<workload::TraceSource>(trace, window, w.repeat, w.rate_scale, w.limit);
  }
  return rs;
}

/// The file a run's workload reads, for the result's `trace_file` attribute: the trace, or
/// for a generated workload the ServeGen windows or the lengths trace, else "generated".
std::string trace_file_name(const Scenario& sc) {
  const WorkloadSpec& w = sc.workload;
  if (!w.generated()) return w.trace.filename().string();
  return !w.arrivals.servegen.empty() ? w.arrivals.servegen.filename().string()
         : !w.lengths.trace.empty()   ? w.lengths.trace.filename().string()
         : !w.lengths.dataset.empty() ? w.lengths.dataset.filename().string()
                                      : std::string("generated");
}

/// The result's root attributes: provenance, the scenario as run, its inputs and the join.
void write_run_attributes(ResultFile& out, const Scenario& sc, const RunOptions& opt, const QueryJoin& join,
                          bool held_out) {
  out.set_attribute("collabsim_version", std::string(kVersion));
  out.set_attribute("git_commit", std::string(kGitCommit));
  out.set_attribute("schema_version", kResultSchemaVersion);
  out.set_attribute("file_kind", std::string("run"));
  out.set_attribute("scenario", sc.effective_toml);
  out.set_attribute("scenario_source", sc.source_text);
  out.set_attribute("scenario_file", sc.file.string());
  out.set_attribute("scenario_name", sc.run.name);
  out.set_attribute("mechanism", sc.mechanism.name);
  out.set_attribute("seed", static_cast<std::int64_t>(sc.run.seed));
  out.set_attribute("created", utc_now());
  out.set_attribute("trace_file", trace_file_name(sc));
  out.set_attribute("quality_file", sc.quality.table.filename().string());
  out.set_attribute("join_questions", static_cast<std::int64_t>(join.eligible()));
  out.set_attribute("join_held_out", std::string(held_out ? "outside the kernel's training split" : "all"));
  for (const auto& [k, v] : opt.attributes) out.set_attribute(k, v);
}

/// Names of the deployments and devices, in scenario order (result columns and groups).
struct RunNames {
  std::vector<std::string> deployments, devices;
  bool prefix_cache = false;  ///< some deployment caches prefixes (its /requests column)
};

RunNames run_names(const Scenario& sc) {
  RunNames n;
  for (const auto& d : sc.deployments) n.deployments.push_back(d.name);
  for (const auto& d : sc.devices) n.devices.push_back(d.name);
  n.prefix_cache = std::any_of(sc.deployments.begin(), sc.deployments.end(),
                               [](const DeploymentSpec& d) { return d.prefix_cache(); });
  return n;
}

/// The /summary accumulator: which deployments count as large (a heterogeneous pool's
/// members answer for it), the origin's battery and the SLO targets. Throws InputError
/// for a [workload.attributes.categories] entry the quality table does not have.
SummaryAccumulator make_accumulator(const Scenario& sc, const Mechanism& mech, const Topology& topo,
                                    const quality::QualityTable& table) {
  std::vector<bool> large(sc.deployments.size(), false);
  for (auto i : mech.large_deployments()) {
    large[i] = true;
    for (const auto& m : sc.deployments[i].share_with)
      large[sc.deployment_index(m, sc.deployments[i].share_with_pos, "share_with")] = true;
  }
  const std::size_t origin = topo.device_index(sc.workload.origin);
  const auto& attr_spec = sc.workload.attributes;
  bool per_request_slo = false;
  std::set<std::string> cats;
  if (!attr_spec.categories.empty())
    for (std::size_t row = 0; row < table.num_queries(); ++row) cats.insert(table.category(row));
  for (const auto& c : attr_spec.categories) {
    per_request_slo = per_request_slo || c.slo_ttft > 0 || c.slo_tpot > 0;
    if (!cats.count(c.category))
      throw InputError(c.pos, "workload.attributes.categories." + c.category,
                       fmt::format("{} has no category '{}' (categories: {})", sc.quality.table.filename().string(),
                                   c.category, fmt::join(cats, ", ")));
  }
  return SummaryAccumulator(std::move(large), origin, sc.devices[origin].battery,
                            SloTargets{sc.slo.ttft, sc.slo.tpot, per_request_slo});
}

/// Spawns the arrival streams of `in` (one per source stream) and, with a sample
/// interval, the recorder's sampling process (until the last request is answered).
void start_processes(RunState& st, Arrivals& in, const RunOptions& opt, Recorder& recorder) {
  const Scenario& sc = st.sc;
  in.total = in.source.expected_requests();
  if (sc.workload.limit > 0 && (in.total == 0 || in.total > in.limit)) in.total = in.limit;
  if (const auto& sv = sc.workload.service; sv.distribution != "none")
    in.service.emplace(workload::dist_kind(sv.distribution), sv.mean, sv.cv);
  if (in.source.closed_loop()) {  // one process that starts each user at its first request
    in.live_streams = 1;
    st.engine.spawn(stream_starts(st, in, opt));
  } else {
    in.live_streams = in.source.streams();
    for (std::size_t k = 0; k < in.source.streams(); ++k) st.engine.spawn(arrival_stream(st, in, k, opt));
  }
  if (recorder.interval() > 0)
    st.engine.spawn(recorder.run(st.engine, [&st] { return st.arrivals_done && st.in_flight == 0; }));
}

/// Totals the servers keep: the prefix-cache hit rate over the deployments that cache
/// (hit tokens / prompt tokens) and, with paged KV admission, preemptions and recomputed tokens.
void add_server_totals(Summary& s, const std::vector<std::unique_ptr<DeploymentServer>>& deps,
                       const std::vector<DeviceMonitor>& monitors, double horizon, bool prefix_cache) {
  if (prefix_cache) {
    std::int64_t prompt = 0, hit = 0;
    for (const auto& d : deps) {
      const Server::PrefixStats p = d->server().prefix_stats();
      prompt += p.prompt_tokens;
      hit += p.hit_tokens;
    }
    s.prefix_hit_rate =
        prompt > 0 ? static_cast<double>(hit) / static_cast<double>(prompt) : std::numeric_limits<double>::quiet_NaN();
  }
  // Average and marginal energy: the attributed (busy + radio) energy plus what shared
  // pools drew unattributed (idle, cold start, standby), less their no-traffic energy.
  double unattributed_j = 0, no_traffic_j = 0;
  for (const auto& m : monitors) {
    const DeviceUsage u = m.usage(horizon);
    s.n_preemptions += u.preemptions;
    s.recompute_tokens += u.recompute_tokens;
    unattributed_j += u.total_energy_j() - u.busy_energy_j;
    no_traffic_j += u.no_traffic_energy_j;
  }
  const double n = static_cast<double>(std::max<std::int64_t>(s.n_requests, 1));
  s.energy_average_per_request_j = s.energy_per_request_j + unattributed_j / n;
  s.energy_marginal_per_request_j = s.energy_average_per_request_j - no_traffic_j / n;
}

/// Saturated: a shared device busy almost all the time and still working long after the
/// last arrival (its queue grew faster than it drained). Counted in /summary and warned
/// about, with the fix that fits the component (saturation.hpp).
void check_saturation(RunResult& res, const Scenario& sc, const DeviceSpec& dev, const DeviceUsage& u,
                      double last_arrival) {
  const double last_answer = res.summary.makespan_s;
  if (!u.shared || u.utilisation <= kSaturatedUtilisation || last_answer <= kSaturatedMakespanRatio * last_arrival ||
      last_arrival <= 0)
    return;
  ++res.summary.n_saturated_devices;
  SaturationFacts f;
  f.utilisation = u.utilisation;
  f.last_answer_s = last_answer;
  f.last_arrival_s = last_arrival;
  f.origin = dev.name == sc.workload.origin;
  f.autoscaled = std::any_of(sc.deployments.begin(), sc.deployments.end(),
                             [&](const DeploymentSpec& d) { return d.device == dev.name && d.autoscaled(); });
  res.warnings.push_back(saturation_warning(dev, f));
}

/// The same test for each direction of each shared link (a FIFO server, network.hpp): busy
/// sending almost all the time the link was up, and the last answer long after the last
/// arrival. Warned about with the link, the direction and a fix that fits (saturation.hpp).
void check_link_saturation(RunResult& res, const Scenario& sc, Network& net, double horizon, double last_arrival) {
  const double last_answer = res.summary.makespan_s;
  if (last_answer <= kSaturatedMakespanRatio * last_arrival || last_arrival <= 0 || horizon <= 0) return;
  for (std::size_t l = 0; l < sc.links.size(); ++l) {
    if (!net.shared(l)) continue;
    const double up_s = horizon - to_seconds(net.outages(l).down_time_before(from_seconds(horizon)));
    for (const bool up : {true, false}) {
      const double busy = net.busy_seconds(l, up);
      if (up_s <= 0 || busy <= kSaturatedLinkBusyShare * up_s) continue;
      LinkSaturationFacts f;
      f.up = up;
      f.busy_share = busy / up_s;
      f.bytes = net.bytes_carried(l, up);
      f.availability = up_s / horizon;
      f.last_answer_s = last_answer;
      f.last_arrival_s = last_arrival;
      const LinkSpec& link = sc.links[l];
      if (link.from == sc.workload.origin || link.to == sc.workload.origin) f.origin_end = sc.workload.origin;
      res.warnings.push_back(link_saturation_warning(link, f));
    }
  }
}

/// The run's /summary row, declared for the recorder (core/measurement.hpp): `s` as it is
/// at write time (the accumulator's totals with the servers' added, write_results), and the
/// API energy estimate (docs/ENERGY.md: only when a deployment names an assumed card, and
/// never added to energy_per_request_j). `s` and `cx` must outlive the source.
MeasurementSource summary_measurements(const Scenario& sc, const Summary& s, const Context& cx) {
  MeasurementSource src;
  src.path = "summary";
  src.row_at = RowAt::path;
  const bool api_estimate =
      std::any_of(sc.deployments.begin(), sc.deployments.end(), [](const auto& d) { return d.api_energy_power() > 0; });
  src.summary = [&s, &cx, api_estimate](double) {
    std::vector<NamedValue> row;
    for (const auto& [name, v] : s.columns()) row.push_back({name, v.first, v.second});
    if (api_estimate)
      row.push_back({"api_energy_estimate_per_request_j", "J",
                     cx.api_energy_estimate_j() / static_cast<double>(std::max<std::int64_t>(s.n_requests, 1))});
    return row;
  };
  return src;
}

/// /spans (run.record_spans) and the count of spans dropped beyond SpanLog::kMaxSpans.
void write_spans(ResultFile& out, RunResult& res, const SpanLog& spans, const std::vector<std::string>& dep_names) {
  out.write_columns("spans", spans.columns(dep_names));
  out.set_attribute("spans_dropped", static_cast<std::int64_t>(spans.dropped()));
  if (spans.dropped() > 0)
    res.warnings.push_back(fmt::format("/spans keeps the first {} spans; {} later ones were dropped",
                                       SpanLog::kMaxSpans, spans.dropped()));
}

/// What the servers and the join say after the run: server totals, saturation and
/// skipped-question warnings; then every declared measurement through the recorder
/// (/summary, /mechanism, devices, links, /users) and /spans.
void write_results(ResultFile& out, RunResult& res, const RunState& st, const QualityInputs& q, const QueryJoin& join,
                   const std::vector<std::unique_ptr<DeploymentServer>>& deps,
                   const std::vector<DeviceMonitor>& monitors, const RunNames& names, const Recorder& recorder,
                   const SpanLog& spans) {
  const Scenario& sc = st.sc;
  // Devices work until the last answer or the end of background work, whichever is later.
  const double horizon = std::max(res.summary.makespan_s, st.mech.background_end_s());
  res.summary.n_questions_skipped = static_cast<std::int64_t>(join.skipped());
  add_server_totals(res.summary, deps, monitors, horizon, names.prefix_cache);
  if (join.skipped() > 0)
    res.warnings.push_back(fmt::format(
        "{} of {} questions in {} were left out of the join: a column in use ({}) is blank (quality.blank = \"{}\")",
        join.skipped(), q.table->num_queries(), sc.quality.table.filename().string(), fmt::join(q.join_columns, ", "),
        sc.quality.blank));
  for (std::size_t i = 0; i < sc.devices.size(); ++i)
    check_saturation(res, sc, sc.devices[i], monitors[i].usage(horizon), st.last_arrival_s);
  check_link_saturation(res, sc, st.cx.network(), horizon, st.last_arrival_s);
  recorder.write(out, horizon);
  if (sc.run.record_spans) write_spans(out, res, spans, names.deployments);
}

/// Every declared measurement (core/measurement.hpp), in the order written: the run's
/// /summary (`summary`, filled by write time), the mechanism's /mechanism, the devices' and
/// the links' (timelines sampled every run.sample_interval, s; 0 = none) and the users'
/// devices' /users; one recorder samples and writes them all.
Recorder make_recorder(const Scenario& sc, const Summary& summary, const Context& cx, const Mechanism& mech,
                       const std::vector<DeviceMonitor>& monitors, Network& net) {
  std::vector<MeasurementSource> measured;
  measured.push_back(summary_measurements(sc, summary, cx));
  measured.push_back(mech.measurements());
  for (const auto& m : monitors) measured.push_back(m.measurements());
  for (auto& m : net.measurements()) measured.push_back(std::move(m));
  measured.push_back(cx.user_measurements());
  return Recorder(std::move(measured), sc.run.sample_interval > 0 ? from_seconds(sc.run.sample_interval) : 0);
}

}  // namespace

RunResult run_scenario(const Scenario& sc, const RunOptions& opt) {
  const auto wall0 = std::chrono::steady_clock::now();
  Engine engine;
  // The runaway guards of [run] (W1: they were declared but never applied).
  engine.set_limits(sc.run.max_sim_time < kMaxSeconds ? from_seconds(sc.run.max_sim_time) : kTimeNever,
                    sc.run.max_events);
  const Topology topo(sc.devices, sc.links, sc.deployments, sc.workload.origin);
  Network net(engine, sc.links, sc.devices, sc.run.seed, topo);
  std::vector<std::unique_ptr<DeploymentServer>> deps;
  for (const auto& d : sc.deployments) deps.push_back(std::make_unique<DeploymentServer>(engine, d, sc.device(d.device)));
  const std::vector<DeviceMonitor> monitors = monitor_devices(sc.devices, deps);
  const ProcessScope servers_scope(engine);  // processes die before the servers they run on (C6)

  const auto [info, params] = run_mechanism(sc);
  InputCache own_inputs;  // a run on its own reads its inputs once, through the same path as sweeps
  InputCache& inputs = opt.inputs ? *opt.inputs : own_inputs;
  const QualityInputs q = load_quality(sc, inputs, *info, params);
  const quality::QualityTable& table = *q.table;
  const RunSource src = make_source(sc, inputs);
  std::vector<std::size_t> col_idx, join_idx;
  for (const auto& c : q.columns) col_idx.push_back(table.model_index(c));
  for (const auto& c : q.join_columns) join_idx.push_back(table.model_index(c));
  std::function<bool(std::int64_t)> keep = info->question_filter ? info->question_filter(params, sc)
                                                                   : std::function<bool(std::int64_t)>{};
  const bool held_out = static_cast<bool>(keep);
  if (sc.quality.output_tokens == "model") keep = with_response_lengths(table, col_idx, std::move(keep));
  QueryJoin join(table, join_idx, sc.run.seed, sc.quality.categories, sc.quality.categories_pos, keep);

  Context cx(engine, sc, topo, net, deps, table, col_idx);
  SpanLog spans;
  if (sc.run.record_spans) cx.record_spans(&spans);
  cx.set_decision_hook(opt.decisions);
  auto mech = info->make(cx, params);
  const ProcessScope mechanism_scope(engine);  // … and before the Context and mechanism (C6)

  const auto input_files = scenario_inputs(sc);
  if (!opt.in_memory) check_output_not_input(sc.run.output, input_files);
  const RunNames names = run_names(sc);
  ResultFile out(sc.run.output,
                 RecordLayout(names.deployments, names.devices, sc.workload.attributes.given || sc.workload.users.given,
                              names.prefix_cache),
                 ResultFileOptions{.requests = opt.write_requests, .in_memory = opt.in_memory});
  write_run_attributes(out, sc, opt, join, held_out);
  out.write_columns("inputs", input_columns(record_inputs(input_files, inputs.hashes())));
  SummaryAccumulator acc = make_accumulator(sc, *mech, topo, table);
  std::optional<workload::AttributeDrawer> attributes;
  workload::AttributeSpec no_attributes;  // [workload.users] alone: the scenario's private share and [slo]
  no_attributes.given = true;
  if (sc.workload.attributes.given || sc.workload.users.given)
    attributes.emplace(sc.workload.attributes.given ? sc.workload.attributes : no_attributes, sc.run.seed,
                       sc.workload.private_share, sc.slo.ttft, sc.slo.tpot);
  std::optional<workload::UserSessions> users;
  if (sc.workload.users.given) users.emplace(sc.workload.users, sc.run.seed);

  RunState st{engine, sc, *mech, cx, out, acc, 0, false, 0, opt.decisions};
  st.users = users ? &*users : nullptr;
  Arrivals in{*src.source, static_cast<std::uint64_t>(sc.workload.limit), 0, src.source->horizon_s(),
              topo.device_index(sc.workload.origin), join, table};
  in.attributes = attributes ? &*attributes : nullptr;
  RunResult res;
  Recorder recorder = make_recorder(sc, res.summary, cx, *mech, monitors, net);
  const ProcessScope run_scope(engine);  // … and before the run's state, whatever throws (C6)
  start_processes(st, in, opt, recorder);
  engine.run();
  cx.close_users(engine.now());  // idle power of every user's device up to the end

  res.summary = acc.finish();
  write_results(out, res, st, q, join, deps, monitors, names, recorder, spans);
  if (opt.warn)
    for (const auto& w : res.warnings) fmt::print(stderr, "warning: {}\n", w);
  out.commit();
  if (opt.in_memory)
    res.image = out.image();
  else
    res.output = sc.run.output;
  res.events = engine.events_processed();
  res.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return res;
}

}  // namespace collabsim
