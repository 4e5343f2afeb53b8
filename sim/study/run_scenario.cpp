#include "sim/study/run_scenario.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <span>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "collabsim/version.hpp"
#include "sim/core/engine.hpp"
#include "sim/core/error.hpp"
#include "sim/hardware/batching_pool.hpp"
#include "sim/hardware/deployment_server.hpp"
#include "sim/hardware/device_monitor.hpp"
#include "sim/io/output_path.hpp"
#include "sim/io/result_file.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/network/network.hpp"
#include "sim/quality/irt.hpp"
#include "sim/quality/query_join.hpp"
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
  const double tok = std::ceil(static_cast<double>(chars) / q.chars_per_token);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(tok));
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
};

/// One request from arrival to answer; hands its row to the result file.
Task<void> request_process(RunState& st, Request r, RequestRecord rec) {
  co_await st.mech.serve(r, rec);
  st.cx.close_radio(r, rec);  // the final RRC tail (links with radio ≠ "none")
  st.acc.add(rec);
  st.out.add(rec);
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
  for (;;) {
    if (in.limit > 0 && in.next_id >= in.limit) break;
    std::optional<workload::SourceRequest> next = in.source.next(stream, st.engine.now());
    if (!next) break;
    co_await st.engine.until(next->arrival_ns);
    if (in.limit > 0 && in.next_id >= in.limit) break;  // another user took the last one
    workload::SourceRequest& s = *next;
    Request r;
    r.id = in.next_id++;
    in.source.assign(r.id, s);
    r.arrival = s.arrival_ns;
    r.origin = in.origin;
    r.prompt_tokens = s.prompt_tokens;
    r.output_tokens = s.output_tokens;
    r.quality_row = in.join.row(r.id);
    if (sc.quality.prompt_tokens == "question") r.prompt_tokens = question_tokens(in.table, r.quality_row, sc.quality);
    else r.prefix_blocks = s.prefix_blocks;  // the trace's prompt: its prefix blocks apply
    r.query_id = in.table.query_id(r.quality_row);
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
    row.request_id = r.id;
    row.query_id = r.query_id;
    row.arrival_s = to_seconds(r.arrival);
    row.prompt_tokens = r.prompt_tokens;
    row.output_tokens = r.output_tokens;
    row.tokens.assign(sc.deployments.size(), 0);
    row.device_energy.assign(sc.devices.size(), 0.0);
    ++st.in_flight;
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

/// Timelines sampled every `interval` while requests remain: per shared device (busy
/// replicas, sequences running and waiting, KV bytes, power) and per link direction
/// (bytes carried in the interval, up state).
/// At most kMaxSamples samples are kept: when the buffer is full, every second sample is
/// dropped (link bytes of the dropped interval are added to the kept one) and the interval
/// doubles, so memory stays bounded whatever the simulated span.
struct Timelines {
  /// Odd, so the sample just taken is kept and the spacing stays regular after a decimation.
  static constexpr std::size_t kMaxSamples = (1 << 16) + 1;
  SimTime interval = 0;
  std::vector<double> t;
  std::vector<std::array<std::vector<double>, 6>> device;  // per device
  std::vector<std::array<std::vector<double>, 3>> link;    // per link: up bytes, down bytes, up

  /// Halves the resolution: keeps samples 0, 2, 4, ...; interval × 2.
  void decimate() {
    auto keep_even = [](std::vector<double>& v) {
      std::size_t j = 0;
      for (std::size_t i = 0; i < v.size(); i += 2) v[j++] = v[i];
      v.resize(j);
    };
    auto sum_pairs = [](std::vector<double>& v) {  // kept sample i covers (t[i-2], t[i]]: add sample i-1
      std::size_t j = 0;
      for (std::size_t i = 0; i < v.size(); i += 2) v[j++] = v[i] + (i > 0 ? v[i - 1] : 0.0);
      v.resize(j);
    };
    keep_even(t);
    for (auto& d : device)
      for (auto& c : d) keep_even(c);
    for (auto& l : link) {
      sum_pairs(l[0]);
      sum_pairs(l[1]);
      keep_even(l[2]);
    }
    interval *= 2;
  }
};

Task<void> sampler(RunState& st, const std::vector<DeviceMonitor>& devices, Network& net, Timelines& tl) {
  const Scenario& sc = st.sc;
  tl.device.resize(sc.devices.size());
  tl.link.resize(sc.links.size());
  std::vector<double> last_up(sc.links.size(), 0.0), last_down(sc.links.size(), 0.0);
  for (;;) {
    const SimTime now = st.engine.now();
    tl.t.push_back(to_seconds(now));
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const DeviceSample d = devices[i].sample();
      auto& c = tl.device[i];
      c[0].push_back(d.busy_replicas);
      c[1].push_back(static_cast<double>(d.running));
      c[2].push_back(static_cast<double>(d.waiting));
      c[3].push_back(d.kv_used);
      c[4].push_back(d.power_w);
      c[5].push_back(d.up_replicas);
    }
    for (std::size_t l = 0; l < sc.links.size(); ++l) {
      auto& c = tl.link[l];
      const double up = net.bytes_carried(l, true), down = net.bytes_carried(l, false);
      c[0].push_back(up - last_up[l]);
      c[1].push_back(down - last_down[l]);
      c[2].push_back(net.outages(l).up(now) ? 1.0 : 0.0);
      last_up[l] = up;
      last_down[l] = down;
    }
    if (st.arrivals_done && st.in_flight == 0) co_return;
    if (tl.t.size() >= Timelines::kMaxSamples) tl.decimate();
    co_await st.engine.delay(tl.interval);
  }
}

}  // namespace

RunResult run_scenario(const Scenario& sc, const RunOptions& opt) {
  const auto wall0 = std::chrono::steady_clock::now();
  Engine engine;
  const Topology topo(sc.devices, sc.links, sc.deployments, sc.workload.origin);
  Network net(engine, sc.links, sc.devices, sc.run.seed, topo);
  std::vector<std::unique_ptr<DeploymentServer>> deps;
  for (const auto& d : sc.deployments) deps.push_back(std::make_unique<DeploymentServer>(engine, d, sc.device(d.device)));
  const std::vector<DeviceMonitor> monitors = monitor_devices(sc.devices, deps);

  const auto [info, params] = mechanism_params(*sc.mechanism.table);
  if (params.has("target_large_share") && params.number("target_large_share") >= 0)
    throw InputError(params.pos("target_large_share"), "mechanism." + sc.mechanism.name + ".target_large_share",
                     "a target share is calibrated by collabsim run/sweep/check before the run "
                     "(calibrate_target_share); run_scenario needs the calibrated value");
  std::vector<std::string> columns;
  for (const auto& d : sc.deployments) columns.push_back(d.quality_column);
  std::vector<std::string> join_columns = columns;
  if (info->extra_columns)
    for (const auto& c : info->extra_columns(params))
      if (std::find(join_columns.begin(), join_columns.end(), c) == join_columns.end()) join_columns.push_back(c);
  InputCache own_inputs;  // a run on its own reads its inputs once, through the same path as sweeps
  InputCache& inputs = opt.inputs ? *opt.inputs : own_inputs;
  std::vector<std::string> load_columns = join_columns;
  if (sc.quality.synthetic == "irt")
    for (const auto& c : sc.quality.irt_columns)
      if (std::find(load_columns.begin(), load_columns.end(), c) == load_columns.end()) load_columns.push_back(c);
  std::shared_ptr<const quality::QualityTable> table_ptr = inputs.quality(
      sc.quality.table, load_columns, sc.quality.format,
      sc.quality.blank == "zero"    ? quality::BlankPolicy::zero
      : sc.quality.blank == "error" ? quality::BlankPolicy::error
                                    : quality::BlankPolicy::skip);
  if (sc.quality.synthetic == "irt")  // a synthetic table drawn from the 2PL fit (quality/irt.hpp)
    table_ptr = std::make_shared<const quality::QualityTable>(
        quality::draw_irt(*table_ptr, quality::fit_irt(*table_ptr), sc.run.seed));
  const quality::QualityTable& table = *table_ptr;
  // The request source: a trace replay or a generator (workload/request_source.hpp).
  std::unique_ptr<workload::RequestSource> source;
  std::shared_ptr<const workload::TraceData> length_trace;  // keeps a generator's length pool alive
  if (sc.workload.generated()) {
    workload::GeneratedWorkload g{sc.workload.arrivals, sc.workload.lengths, sc.run.seed, sc.workload.rate_scale,
                                  sc.workload.duration, sc.workload.start, sc.workload.end, sc.workload.limit};
    std::vector<workload::ServegenWindow> windows;
    if (g.arrivals.process == "servegen") windows = workload::read_servegen_windows(g.arrivals.servegen);
    std::span<const workload::TraceRecord> pool;
    if (g.lengths.source == "trace") {
      length_trace = inputs.trace(g.lengths.trace_format, g.lengths.trace);
      pool = length_trace->records;
    }
    source = workload::make_generated_source(g, std::move(windows), pool);
  } else {
    const std::shared_ptr<const workload::TraceData> trace = inputs.trace(sc.workload.format, sc.workload.trace);
    const workload::TraceWindow window =
        workload::trace_window(*trace, sc.workload.start, sc.workload.end, sc.workload.pos);
    source = std::make_unique<workload::TraceSource>(trace, window, sc.workload.repeat, sc.workload.rate_scale,
                                                     sc.workload.limit);
  }
  std::vector<std::size_t> col_idx, join_idx;
  for (const auto& c : columns) col_idx.push_back(table.model_index(c));
  for (const auto& c : join_columns) join_idx.push_back(table.model_index(c));
  const auto keep = info->question_filter ? info->question_filter(params, sc) : std::function<bool(std::int64_t)>{};
  QueryJoin join(table, join_idx, sc.run.seed, sc.quality.categories, sc.quality.categories_pos, keep);

  Context cx(engine, sc, topo, net, deps, table, col_idx);
  SpanLog spans;
  if (sc.run.record_spans) cx.record_spans(&spans);
  auto mech = info->make(cx, params);

  std::vector<std::string> dep_names, dev_names;
  for (const auto& d : sc.deployments) dep_names.push_back(d.name);
  for (const auto& d : sc.devices) dev_names.push_back(d.name);
  const bool prefix_cache = std::any_of(sc.deployments.begin(), sc.deployments.end(),
                                       [](const DeploymentSpec& d) { return d.prefix_cache; });
  ResultFile out(sc.run.output, RecordLayout(dep_names, dev_names, sc.workload.attributes.given, prefix_cache),
                 ResultFileOptions{.requests = opt.write_requests, .in_memory = opt.in_memory});
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
  // A generated workload names the file it reads (ServeGen windows or the lengths trace), else "generated".
  std::string trace_file = sc.workload.trace.filename().string();
  if (sc.workload.generated())
    trace_file = !sc.workload.arrivals.servegen.empty() ? sc.workload.arrivals.servegen.filename().string()
                 : !sc.workload.lengths.trace.empty()   ? sc.workload.lengths.trace.filename().string()
                 : !sc.workload.lengths.dataset.empty() ? sc.workload.lengths.dataset.filename().string()
                                                        : std::string("generated");
  out.set_attribute("trace_file", trace_file);
  out.set_attribute("quality_file", sc.quality.table.filename().string());
  out.set_attribute("join_questions", static_cast<std::int64_t>(join.eligible()));
  out.set_attribute("join_held_out", std::string(keep ? "outside the kernel's training split" : "all"));
  for (const auto& [k, v] : opt.attributes) out.set_attribute(k, v);

  std::vector<bool> large(sc.deployments.size(), false);
  for (auto i : mech->large_deployments()) {
    large[i] = true;
    for (const auto& m : sc.deployments[i].share_with)  // a heterogeneous pool's members answer for it
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
  SummaryAccumulator acc(large, origin, sc.devices[origin].battery,
                         SloTargets{sc.slo.ttft, sc.slo.tpot, per_request_slo});
  std::optional<workload::AttributeDrawer> attributes;
  if (attr_spec.given)
    attributes.emplace(attr_spec, sc.run.seed, sc.workload.private_share, sc.slo.ttft, sc.slo.tpot);

  RunState st{engine, sc, *mech, cx, out, acc};
  Arrivals in{*source, static_cast<std::uint64_t>(sc.workload.limit), 0, source->horizon_s(), origin, join, table};
  in.attributes = attributes ? &*attributes : nullptr;
  in.total = source->expected_requests();
  if (sc.workload.limit > 0 && (in.total == 0 || in.total > in.limit)) in.total = in.limit;
  if (const auto& sv = sc.workload.service; sv.distribution != "none")
    in.service.emplace(workload::dist_kind(sv.distribution), sv.mean, sv.cv);
  in.live_streams = source->streams();
  for (std::size_t k = 0; k < source->streams(); ++k) engine.spawn(arrival_stream(st, in, k, opt));
  Timelines tl;
  tl.interval = sc.run.sample_interval > 0 ? from_seconds(sc.run.sample_interval) : 0;
  if (tl.interval > 0) engine.spawn(sampler(st, monitors, net, tl));
  engine.run();

  RunResult res;
  res.summary = acc.finish(sc.run.seed);
  // Devices work until the last answer or the end of background work, whichever is later.
  const double horizon = std::max(res.summary.makespan_s, mech->background_end_s());
  res.summary.n_questions_skipped = static_cast<std::int64_t>(join.skipped());
  if (prefix_cache) {  // hit tokens / prompt tokens over the deployments that cache
    std::int64_t prompt = 0, hit = 0;
    for (const auto& d : deps) {
      const Server::PrefixStats p = d->server().prefix_stats();
      prompt += p.prompt_tokens;
      hit += p.hit_tokens;
    }
    res.summary.prefix_hit_rate =
        prompt > 0 ? static_cast<double>(hit) / static_cast<double>(prompt) : std::numeric_limits<double>::quiet_NaN();
  }
  // Paged KV admission: preemptions per device (its /devices row) and in all.
  std::vector<std::int64_t> device_preemptions(sc.devices.size(), 0);
  std::vector<bool> device_paged(sc.devices.size(), false);
  for (std::size_t k = 0; k < deps.size(); ++k) {
    const auto* pool = dynamic_cast<const BatchingPool*>(&deps[k]->server());
    if (!pool || !sc.deployments[k].kv_paged) continue;
    const std::size_t dev = topo.deployment_device(k);
    device_paged[dev] = true;
    for (const auto& rep : pool->replicas()) {
      device_preemptions[dev] += rep->preemptions();
      res.summary.n_preemptions += rep->preemptions();
      res.summary.recompute_tokens += rep->recompute_tokens();
    }
  }
  if (join.skipped() > 0)
    res.warnings.push_back(fmt::format(
        "{} of {} questions in {} were left out of the join: a column in use ({}) is blank (quality.blank = \"{}\")",
        join.skipped(), table.num_queries(), sc.quality.table.filename().string(), fmt::join(join_columns, ", "),
        sc.quality.blank));
  const double last_arrival = st.last_arrival_s;
  std::vector<MetricRow> device_rows(sc.devices.size());
  for (std::size_t i = 0; i < sc.devices.size(); ++i) {
    const DeviceSpec& dev = sc.devices[i];
    const DeviceUsage u = monitors[i].usage(horizon);
    auto& cols = device_rows[i];
    cols.push_back({"busy_s", {"s", u.busy_s}});
    cols.push_back({"busy_energy_j", {"J", u.busy_energy_j}});
    if (u.shared) {
      if (device_paged[i]) cols.push_back({"preemptions", {"sequences", static_cast<double>(device_preemptions[i])}});
      cols.push_back({"utilisation", {"1", u.utilisation}});
      cols.push_back({"idle_energy_j", {"J", u.idle_energy_j}});
      if (u.autoscaled) {  // docs/ENERGY.md: busy + idle + startup + standby = ∫ power dt
        cols.push_back({"startup_energy_j", {"J", u.startup_energy_j}});
        cols.push_back({"standby_energy_j", {"J", u.standby_energy_j}});
        cols.push_back({"up_replica_s", {"s", u.up_replica_s}});
      }
      if (u.prefix_cache) {  // deployments.<name>.prefix_cache on this device
        cols.push_back({"prefix_prompt_tokens", {"tokens", static_cast<double>(u.prefix_prompt_tokens)}});
        cols.push_back({"prefix_hit_tokens", {"tokens", static_cast<double>(u.prefix_hit_tokens)}});
        cols.push_back({"prefix_hit_rate",
                        {"1", u.prefix_prompt_tokens > 0 ? static_cast<double>(u.prefix_hit_tokens) /
                                                               static_cast<double>(u.prefix_prompt_tokens)
                                                         : std::numeric_limits<double>::quiet_NaN()}});
      }
      // Saturated: busy almost all the time and still working long after the last arrival
      // (its queue grew faster than it drained).
      const double last_answer = res.summary.makespan_s;
      if (u.utilisation > kSaturatedUtilisation && last_answer > kSaturatedMakespanRatio * last_arrival &&
          last_arrival > 0) {
        ++res.summary.n_saturated_devices;
        res.warnings.push_back(fmt::format(
            "shared device '{}' stayed saturated: utilisation {:.3f}, last answer at {:.0f} s for a last arrival at "
            "{:.0f} s ({} replica(s) serve every request; set per_user = true for one instance per user)",
            dev.name, u.utilisation, last_answer, last_arrival, dev.replicas));
      }
    }
  }
  MetricRow summary_cols = res.summary.columns();
  // API energy estimate (docs/ENERGY.md): only when a deployment names an assumed card, and
  // never added to energy_per_request_j.
  if (std::any_of(sc.deployments.begin(), sc.deployments.end(), [](const auto& d) { return d.api_energy_power > 0; }))
    summary_cols.push_back({"api_energy_estimate_per_request_j",
                            {"J", cx.api_energy_estimate_j() /
                                      static_cast<double>(std::max<std::int64_t>(res.summary.n_requests, 1))}});
  out.write_row("summary", summary_cols);
  if (const auto ms = mech->stats(); !ms.empty()) out.write_row("mechanism", ms);
  for (std::size_t i = 0; i < sc.devices.size(); ++i) {
    const DeviceSpec& dev = sc.devices[i];
    out.write_row("devices/" + dev.name + "/summary", device_rows[i]);
    if (!tl.t.empty() && !dev.per_user) {
      const auto& c = tl.device[i];
      if (monitors[i].usage(horizon).autoscaled)  // + replicas up or starting
        out.write_table("devices/" + dev.name + "/timeline",
                        {{"time_s", "s"}, {"busy_replicas", "replicas"}, {"running", "sequences"},
                         {"waiting", "requests"}, {"kv_used_bytes", "bytes"}, {"power_w", "W"},
                         {"up_replicas", "replicas"}},
                        {tl.t, c[0], c[1], c[2], c[3], c[4], c[5]});
      else
        out.write_table("devices/" + dev.name + "/timeline",
                        {{"time_s", "s"}, {"busy_replicas", "replicas"}, {"running", "sequences"},
                         {"waiting", "requests"}, {"kv_used_bytes", "bytes"}, {"power_w", "W"}},
                        {tl.t, c[0], c[1], c[2], c[3], c[4]});
    }
  }
  for (std::size_t l = 0; l < sc.links.size() && !tl.t.empty(); ++l) {
    const auto& c = tl.link[l];
    out.write_table("links/" + sc.links[l].name + "/timeline",
                    {{"time_s", "s"}, {"bytes_up", "bytes"}, {"bytes_down", "bytes"}, {"up", "bool"}},
                    {tl.t, c[0], c[1], c[2]});
  }
  for (std::size_t l = 0; l < sc.links.size(); ++l)  // RRC radios: the link's radio energy totals
    if (sc.links[l].rrc.model != RadioModel::none) {
      const LinkRadioTotals& t = net.link_radio(l);
      out.write_row("links/" + sc.links[l].name + "/summary",
                    {{"radio_energy_j", {"J", t.bits_j + t.rrc_j}},
                     {"radio_bits_energy_j", {"J", t.bits_j}},
                     {"rrc_energy_j", {"J", t.rrc_j}},
                     {"rrc_tail_energy_j", {"J", t.tail_j}},
                     {"rrc_promotions", {"1", static_cast<double>(t.promotions)}},
                     {"rrc_resumes", {"1", static_cast<double>(t.resumes)}}});
    }
  if (tl.interval > 0) out.set_attribute("timeline_interval_ns", static_cast<std::int64_t>(tl.interval));
  if (sc.run.record_spans) {
    out.write_columns("spans", spans.columns(dep_names));
    out.set_attribute("spans_dropped", static_cast<std::int64_t>(spans.dropped()));
    if (spans.dropped() > 0)
      res.warnings.push_back(fmt::format("/spans keeps the first {} spans; {} later ones were dropped",
                                         SpanLog::kMaxSpans, spans.dropped()));
  }
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
