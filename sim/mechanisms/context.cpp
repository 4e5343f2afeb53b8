#include "sim/mechanisms/context.hpp"

#include "sim/core/when_all.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "sim/quality/text_tokens.hpp"

namespace collabsim {

Context::Context(Engine& engine, const Scenario& sc, const Topology& topo, Network& net,
                 std::vector<std::unique_ptr<DeploymentServer>>& deps, const quality::QualityTable& table,
                 std::vector<std::size_t> quality_columns)
    : engine_(engine), sc_(sc), topo_(topo), net_(net), deps_(deps), table_(table),
      quality_columns_(std::move(quality_columns)), users_(engine, sc.devices), fleet_(deps) {
  model_lengths_ = sc.quality.output_tokens == "model";
  for (std::size_t i = 1; i < sc.deployments.size(); ++i)
    if (sc.deployments[i].model.params > sc.deployments[reference_].model.params) reference_ = i;
  for (std::size_t i = 0; i < sc.deployments.size(); ++i) {  // the KV of a split call needs a path
    const DeploymentSpec& d = sc.deployments[i];
    if (d.decode_index == DeploymentSpec::kColocated) continue;
    const std::size_t from = topo.deployment_device(i), to = topo.deployment_device(d.decode_index);
    if (!topo.path(from, to))
      throw InputError(d.decode_on_pos, "deployments." + d.name + ".decode_on",
                       "no link path from device '" + topo.device_name(from) + "' to '" + topo.device_name(to) +
                           "' for the KV transfer: add a [links.<name>] between them");
  }
}

std::int64_t Context::output_tokens(std::size_t dep, const Request& r) const {
  if (!model_lengths_) return r.output_tokens;
  const std::size_t col = quality_columns_[dep];
  const std::int64_t given = table_.output_tokens(r.quality_row, col);
  if (given >= 0) return given;
  const std::int64_t t = quality::tokens_from_chars(table_.out_chars(r.quality_row, col), sc_.quality.chars_per_token);
  if (t < 0)  // the join leaves such questions out (run_scenario); reaching here is a bug
    throw std::logic_error("quality.output_tokens = \"model\": no response length for question " +
                           std::to_string(r.query_id) + " in column '" + table_.models()[col] + "'");
  return t;
}

Task<void> Context::compute_on_origin(const Request& r, RequestRecord& rec, double seconds) {
  if (seconds <= 0) co_return;
  const SimTime t0 = engine_.now();
  co_await engine_.delay(from_seconds(seconds));
  if (spans_)
    spans_->add(rec.request_id, spans_->track(sc_.devices[r.origin].name + "/compute"), SpanKind::Compute, t0,
                engine_.now());
  const DeviceSpec& dev = sc_.devices[r.origin];
  const double j = dev.busy_energy(seconds);
  rec.device_energy[r.origin] += j;
  rec.energy_j += j;
  if (UserDevice* u = origin_user(r)) {
    u->other_j += j;
    u->drain(j, engine_.now());
  }
}

Task<Context::OriginWork> Context::compute_work_on_origin(const Request& r, RequestRecord& rec, double flops,
                                                          double bytes) {
  if (!(flops >= 0) || !(bytes >= 0))
    throw std::invalid_argument("compute_work_on_origin: work must be >= 0 (FLOPs, bytes)");
  const DeviceSpec& dev = sc_.devices[r.origin];
  if (!(dev.achieved_flops() > 0) || !(dev.achieved_bandwidth() > 0))
    throw std::runtime_error("device '" + dev.name +
                             "': its card gives no peak_flops or memory_bandwidth, so on-device work has no roofline time");
  const double roofline_s = std::max(flops / dev.achieved_flops(), bytes / dev.achieved_bandwidth());
  const PowerDraw p = dev.step(flops, bytes, roofline_s);
  const OriginWork w{p.seconds, p.watts * p.seconds};
  if (w.seconds <= 0) co_return w;
  const SimTime t0 = engine_.now();
  co_await engine_.delay(from_seconds(w.seconds));
  if (spans_)
    spans_->add(rec.request_id, spans_->track(dev.name + "/compute"), SpanKind::Compute, t0, engine_.now());
  rec.device_energy[r.origin] += w.joules;
  rec.energy_j += w.joules;
  if (UserDevice* u = origin_user(r)) {  // off the user's own battery, as compute_on_origin
    u->other_j += w.joules;
    u->drain(w.joules, engine_.now());
  }
  co_return w;
}

Task<Generation> Context::run_on(std::size_t dep, RequestRecord& rec, std::int64_t prompt, std::int64_t output,
                                 std::int64_t cached, double service_s,
                                 std::span<const std::int64_t> prefix_blocks) {
  // Not a coroutine: the common call is run_one's own task (one coroutine frame fewer per
  // generation); disaggregated() depends only on the deployment's spec and the sizes.
  if (!disaggregated(dep, prompt, output)) return run_one(dep, rec, prompt, output, cached, service_s, prefix_blocks);
  return run_split(dep, rec, prompt, output, cached, service_s, prefix_blocks);
}

Task<Generation> Context::run_split(std::size_t dep, RequestRecord& rec, std::int64_t prompt, std::int64_t output,
                                    std::int64_t cached, double service_s,
                                    std::span<const std::int64_t> prefix_blocks) {
  // Prefill/decode disaggregation (Splitwise, DistServe): prefill + first token here ...
  const std::size_t dd = fleet_.decode_of(dep);
  Generation g = co_await run_one(dep, rec, prompt, 1, cached, service_s, prefix_blocks);
  if (g.failed) co_return g;
  // ... the context's KV crosses the link to the decode pool ...
  const std::size_t from = topo_.deployment_device(dep), to = topo_.deployment_device(dd);
  const double kv = fleet_.kv_handoff_bytes(dep, cached + prompt);
  const SimTime t0 = engine_.now();
  co_await net_.send(from, to, kv);
  if (spans_)
    spans_->add(rec.request_id, link_track(from, to), SpanKind::Upload, t0, engine_.now(),
                static_cast<std::int32_t>(dd));
  // ... and the decode continues there with that KV cached.
  const Generation d = co_await run_one(dd, rec, 0, output - 1, cached + prompt + 1, service_s, {});
  g.end = d.end;
  g.output_tokens += d.output_tokens;
  g.device_time += d.device_time;
  g.energy += d.energy;
  g.cost += d.cost;
  g.failed = d.failed;
  co_return g;
}

Task<Generation> Context::run_one(std::size_t dep, RequestRecord& rec, std::int64_t prompt, std::int64_t output,
                                  std::int64_t cached, double service_s,
                                  std::span<const std::int64_t> prefix_blocks) {
  const std::size_t device = topo_.deployment_device(dep);
  UserDevice* user = users_.bound(device, rec.user_id);  // the user's own instance, or none
  const SimTime asked = engine_.now();
  if (user) {
    co_await user->slots.acquire();
    user->settle_idle(engine_.now());  // idle power up to this generation's start
    if (user->below_floor()) {  // it fell below its floor while this one waited: not served locally
      user->slots.release();
      ++user->refused_battery;
      user->queue_s += to_seconds(engine_.now() - asked);  // it waited all the same
      Generation refused;
      refused.queued = asked;
      refused.start = refused.first_token = refused.end = engine_.now();
      refused.failed = refused.battery_low = true;
      if (spans_) record_generation(dep, rec.request_id, refused, user);
      co_return refused;
    }
    ++user->running;
  }
  Generation g = co_await fleet_.start(dep, prompt, output, cached, service_s, prefix_blocks);
  fleet_.finish(dep, g);
  const DeviceSpec& dev = sc_.devices[device];
  if (dev.thermal.on() && !g.failed && g.device_time > 0) {
    // Heat (hardware/thermal.hpp): the generation ran g.device_time s of cold-device work;
    // from its instance's heat it takes T ≥ that. A per-request instance starts cold.
    ThermalState cold(dev.thermal);
    ThermalState& th = user ? user->thermal : cold;
    const double work = g.device_time, first = to_seconds(g.first_token - g.start);
    const double t = th.duration(g.start, work);
    if (t > work) {
      co_await engine_.delay(from_seconds(t - work));
      g.first_token = g.start + from_seconds(th.duration(g.start, first));
      g.end = engine_.now();
      const double e0 = g.energy;
      g.energy *= t / work;  // the card's busy power for the longer time (two-state power model)
      fleet_.server(dep).add_throttle(t - work, g.energy - e0);
      g.device_time = t;
    }
    th.run(g.start, t);
    if (user) {
      user->throttle_s += t - work;
      user->min_rate = std::min(user->min_rate, th.rate(g.start + from_seconds(t)));
    }
  }
  if (user) {
    user->slots.release();
    g.queued = asked;  // the wait for the user's device is queueing
    ++user->generations;
    user->busy_s += g.device_time;
    user->energy_j += g.energy;
    user->queue_s += to_seconds(g.start - asked);
    user->drain(g.energy, engine_.now());
    if (--user->running == 0) user->idle_since = engine_.now();
  }
  account_generation(dep, device, rec, g, user);
  co_return g;
}

bool Context::direct_generation(std::size_t dep, std::size_t device, const RequestRecord& rec, std::int64_t prompt,
                                std::int64_t output) const {
  const DeviceSpec& d = sc_.devices[device];
  // run_one's user path is taken exactly when UserDevices::bound returns an instance.
  return !disaggregated(dep, prompt, output) && !(d.per_user && d.bind_user && rec.user_id >= 0) && !d.thermal.on();
}

void Context::account_generation(std::size_t dep, std::size_t device, RequestRecord& rec, const Generation& g,
                                 const UserDevice* user) {
  if (spans_) record_generation(dep, rec.request_id, g, user);
  rec.tokens[dep] += g.output_tokens;
  rec.device_energy[device] += g.energy;
  rec.energy_j += g.energy;
  rec.cost_usd += g.cost;
  rec.prefix_hit_tokens += g.prefix_hit_tokens;
}

Task<Transfer> Context::upload(const Request& r, RequestRecord& rec, std::size_t dep, double bytes,
                               std::optional<SimTime> deadline) {
  const std::size_t device = topo_.deployment_device(dep);
  if (device == r.origin) co_return Transfer{engine_.now(), engine_.now(), 0.0, false, 0};
  const SimTime t0 = engine_.now();
  const Transfer t = co_await net_.send(r.origin, device, bytes, deadline.value_or(r.deadline), radio_session(r));
  if (spans_)
    spans_->add(rec.request_id, link_track(r.origin, device), SpanKind::Upload, t0, engine_.now(),
                static_cast<std::int32_t>(dep));
  rec.bytes_up += static_cast<std::int64_t>(bytes);
  charge_radio(r, rec, net_.charge_radio_bits(r.origin, device, bytes));
  co_return t;
}

Task<Transfer> Context::download(const Request& r, RequestRecord& rec, std::size_t dep, double bytes,
                                 std::optional<SimTime> deadline) {
  const std::size_t device = topo_.deployment_device(dep);
  if (device == r.origin) co_return Transfer{engine_.now(), engine_.now(), 0.0, false, 0};
  const SimTime t0 = engine_.now();
  const Transfer t = co_await net_.send(device, r.origin, bytes, deadline.value_or(r.deadline), radio_session(r));
  if (spans_)
    spans_->add(rec.request_id, link_track(device, r.origin), SpanKind::Download, t0, engine_.now(),
                static_cast<std::int32_t>(dep));
  rec.bytes_down += static_cast<std::int64_t>(bytes);
  charge_radio(r, rec, net_.charge_radio_bits(device, r.origin, bytes));
  co_return t;
}

std::int64_t Context::ask_admit(Answer& a, std::size_t dep, std::size_t device, const Request& r,
                              RequestRecord& rec, std::int64_t prompt_tokens, std::int64_t output_tokens,
                              bool redacted) {
  const Admission ad = admission(dep, prompt_tokens, output_tokens);
  const bool battery_low = ad.refused == Limit::none && battery_refuses(dep, r);
  if (ad.refused != Limit::none || battery_low) {  // refused before anything is sent or computed
    a.context_exceeded = ad.refused == Limit::context;
    a.out_of_memory = ad.refused == Limit::memory;
    a.battery_low = battery_low;
    if (battery_low) ++users_.bound(device, r.user)->refused_battery;
    a.generation.failed = true;
    a.first_token_at_user = a.done_at_user = engine_.now();
    return -1;
  }
  if (ad.prompt < prompt_tokens) {  // truncated at the caller: only the kept tail is sent
    rec.truncated_tokens += prompt_tokens - ad.prompt;
    prompt_tokens = ad.prompt;
  }
  if (device != r.origin && !redacted && !sc_.devices[device].trusted)
    rec.private_tokens_sent += std::llround(r.private_share * static_cast<double>(prompt_tokens));
  return prompt_tokens;
}

void Context::ask_timed_out(Answer& a, std::size_t dep, const RequestRecord& rec, SimTime asked) {
  a.timed_out = true;
  a.first_token_at_user = a.done_at_user = engine_.now();
  if (spans_)
    spans_->add(rec.request_id, spans_->track("mechanism"), SpanKind::Ask, asked, a.done_at_user,
                static_cast<std::int32_t>(dep));
}

bool Context::stream_first_token(Answer& a, const Request& r, std::size_t device, std::size_t last_device) {
  const Generation& g = a.generation;
  // Tokens stream down during decode: the first arrives after the path's serialisation
  // and latency (waiting out outages); the last goes through the link FIFOs at the end.
  a.first_token_at_user = device != r.origin
                              ? net_.arrival_time(device, r.origin, sc_.workload.bytes_per_token, g.first_token)
                              : g.first_token;
  // With an RRC radio, the radio receives from the first token to the last: a radio that
  // went idle while the request waited must first be promoted (the first token waits).
  const bool rrc = net_.rrc_on_path(last_device, r.origin);
  if (rrc)
    a.first_token_at_user =
        std::max(a.first_token_at_user, net_.radio_begin(radio_session(r), last_device, r.origin, a.first_token_at_user));
  return rrc;
}

void Context::stream_last_token(Answer& a, const Request& r, RequestRecord& rec, std::size_t dep,
                                std::size_t last_device, std::int64_t output_tokens, bool rrc, bool timed_out) {
  a.done_at_user = std::max(engine_.now(), a.first_token_at_user);
  if (rrc) net_.radio_end(radio_session(r), last_device, r.origin, a.done_at_user);
  if (spans_)  // the answer streams down during decode; this is its last token's trip
    spans_->add(rec.request_id, link_track(last_device, r.origin), SpanKind::Download, a.generation.end,
                a.done_at_user, static_cast<std::int32_t>(dep));
  a.timed_out = timed_out;
  const double down = token_bytes(output_tokens);
  rec.bytes_down += static_cast<std::int64_t>(down);
  charge_radio(r, rec, net_.charge_radio_bits(last_device, r.origin, down));
}

// A coroutine's locals all live in its frame (GCC keeps every one there, whatever their
// lifetime), which stays in memory while the request waits: the work between suspensions is
// in the plain member functions above, so only what crosses a suspension is in the frame.
namespace {
bool timed_out(const Transfer& t) { return t.timed_out; }
}  // namespace

// kFinish: the record is finished with `route` (Context::finish) instead of returning the answer.
#define ASK_RETURN(a)                              \
  if constexpr (kFinish) {                         \
    finish(r, rec, a, route, escalated);           \
    co_return;                                     \
  } else {                                         \
    co_return a;                                   \
  }
template <bool kFinish>
Task<std::conditional_t<kFinish, void, Answer>> Context::ask_impl(std::size_t asked_dep, const Request& r,
                                                                 RequestRecord& rec, std::int64_t prompt_tokens,
                                                                 std::int64_t output_tokens, bool redacted,
                                                                 std::optional<SimTime> deadline, Route route,
                                                                 bool escalated) {
  const std::size_t dep = pool_member(asked_dep, prompt_tokens, output_tokens);  // asked, or a member of its pool
  const Fleet::Outstanding outstanding(fleet_, dep);  // sent to a pool member, not yet answered
  const std::size_t device = topo_.deployment_device(dep);
  Answer a;
  a.deployment = asked_dep;
  prompt_tokens = ask_admit(a, dep, device, r, rec, prompt_tokens, output_tokens, redacted);
  if (prompt_tokens < 0) ASK_RETURN(a);
  const SimTime asked = engine_.now();
  // A local deployment needs no upload (upload() returns at once): no coroutine frame for it.
  if (device != r.origin && timed_out(co_await upload(r, rec, dep, token_bytes(prompt_tokens), deadline))) {
    ask_timed_out(a, dep, rec, asked);
    ASK_RETURN(a);
  }
  if (direct_generation(dep, device, rec, prompt_tokens, output_tokens)) {
    // run_one without its frame: the server's own task, then the same accounting.
    a.generation = co_await fleet_.start(dep, prompt_tokens, output_tokens, 0, r.service_s,
                                         prompt_tokens == r.prompt_tokens ? r.prefix_blocks
                                                                          : std::span<const std::int64_t>{});
    fleet_.finish(dep, a.generation);
    account_generation(dep, device, rec, a.generation, nullptr);
  } else {
    a.generation = co_await run_on(dep, rec, prompt_tokens, output_tokens, 0, r.service_s,
                                   prompt_tokens == r.prompt_tokens ? r.prefix_blocks
                                                                    : std::span<const std::int64_t>{});
  }
  a.battery_low = a.generation.battery_low;  // refused at its start: the user's battery fell below its floor
  // The last tokens come from the decode deployment's device when prefill and decode are split.
  const std::size_t last_device = disaggregated(dep, prompt_tokens, output_tokens)
                                      ? topo_.deployment_device(fleet_.decode_of(dep)) : device;
  if ((device != r.origin || last_device != r.origin) && !a.generation.failed) {
    const bool rrc = stream_first_token(a, r, device, last_device);
    const bool late = last_device != r.origin &&
                      timed_out(co_await net_.send(last_device, r.origin, sc_.workload.bytes_per_token,
                                                   deadline.value_or(r.deadline), radio_session(r)));
    stream_last_token(a, r, rec, dep, last_device, output_tokens, rrc, late);
  } else {
    a.first_token_at_user = a.generation.first_token;
    a.done_at_user = a.generation.end;
  }
  if (spans_)
    spans_->add(rec.request_id, spans_->track("mechanism"), SpanKind::Ask, asked, a.done_at_user,
                static_cast<std::int32_t>(dep));
  ASK_RETURN(a);
}

#undef ASK_RETURN

Task<Answer> Context::ask_tokens(std::size_t asked_dep, const Request& r, RequestRecord& rec,
                                 std::int64_t prompt_tokens, std::int64_t output_tokens, bool redacted,
                                 std::optional<SimTime> deadline) {
  return ask_impl<false>(asked_dep, r, rec, prompt_tokens, output_tokens, redacted, deadline, Route::small(), false);
}

Task<void> Context::ask_and_finish(std::size_t dep, const Request& r, RequestRecord& rec, Route route,
                                   bool escalated) {
  return ask_impl<true>(dep, r, rec, r.prompt_tokens, output_tokens(dep, r), false, std::nullopt, route, escalated);
}

Task<std::vector<Answer>> Context::ask_all(const std::vector<std::size_t>& deps, const Request& r,
                                           RequestRecord& rec) {
  std::vector<Task<Answer>> asks;
  for (const std::size_t dep : deps) asks.push_back(ask(dep, r, rec));
  co_return co_await when_all(engine_, std::move(asks));
}

bool Context::reachable_now(std::size_t dep, const Request& r) {
  const std::size_t device = topo_.deployment_device(dep);
  return net_.path_up(r.origin, device, engine_.now()) && net_.path_up(device, r.origin, engine_.now());
}

Task<void> Context::wait_reachable(std::size_t dep, const Request& r) {
  const std::size_t device = topo_.deployment_device(dep);
  const SimTime t0 = engine_.now();
  for (;;) {
    const SimTime t = std::max(net_.path_next_up(r.origin, device, engine_.now()),
                               net_.path_next_up(device, r.origin, engine_.now()));
    if (t == engine_.now()) break;
    co_await engine_.until(t);
  }
  if (spans_)
    spans_->add(r.id, link_track(r.origin, device), SpanKind::Wait, t0, engine_.now(), static_cast<std::int32_t>(dep));
}

const kernels::Question* Context::question(const Request& r) {
  if (!corpus_) {
    if (sc_.quality.questions.empty())
      throw InputError(sc_.quality.pos, "quality.questions",
                       "this mechanism reads question texts: set [quality] questions = "
                       "\"quality/mmlu_pro/mmlu_pro_questions.jsonl\"");
    corpus_ = std::make_unique<kernels::QuestionCorpus>(kernels::QuestionCorpus::load(sc_.quality.questions));
  }
  return corpus_->find(r.query_id);
}

std::uint32_t Context::deployment_track(std::size_t dep, int replica) {
  const DeploymentServer& s = *deps_[dep];
  std::string name = s.device().name + "/" + s.spec().name;
  if (replica >= 0)
    name += "/replica " + std::to_string(replica);
  else if (!s.device().per_user)
    name += "/pool";
  return spans_->track(name);
}

std::uint32_t Context::link_track(std::size_t from, std::size_t to) {
  return spans_->track("link " + topo_.device_name(from) + "→" + topo_.device_name(to));
}

void Context::record_generation(std::size_t dep, std::uint64_t request, const Generation& g, const UserDevice* user) {
  const std::uint32_t track =
      user ? spans_->track(sc_.devices[user->device].name + "/user " + std::to_string(user->user) + "/" +
                           deps_[dep]->spec().name)
           : deployment_track(dep, g.replica);
  const auto d = static_cast<std::int32_t>(dep);
  spans_->add(request, track, SpanKind::Queue, g.queued, g.start, d);
  if (g.failed) return;  // refused at admission: it only waited
  if (g.prompt_tokens > 0) {  // the prompt pass emits the first token
    spans_->add(request, track, SpanKind::Prefill, g.start, g.first_token, d);
    spans_->add(request, track, SpanKind::Decode, g.first_token, g.end, d);
  } else {  // a continued sequence: every step is a decode step
    spans_->add(request, track, SpanKind::Decode, g.start, g.end, d);
  }
}

bool Context::battery_refuses(std::size_t dep, const Request& r) const {
  const std::size_t device = topo_.deployment_device(dep);
  const DeviceSpec& d = sc_.devices[device];
  if (!d.per_user || !d.bind_user || d.battery <= 0 || r.user < 0) return false;
  const UserDevice* u = users_.find(device, r.user);
  return u && u->below_floor();
}

double Context::battery_level(const Request& r) const {
  const DeviceSpec& d = sc_.devices[r.origin];
  if (!d.per_user || !d.bind_user || d.battery <= 0 || r.user < 0) return 1.0;
  const UserDevice* u = users_.find(r.origin, r.user);
  return u ? u->soc() : d.battery_initial;
}

double Context::battery_soc(const Request& r) const {
  const DeviceSpec& d = sc_.devices[r.origin];
  const UserDevice* u = d.battery > 0 && r.user >= 0 ? users_.find(r.origin, r.user) : nullptr;
  return u ? u->soc() : std::numeric_limits<double>::quiet_NaN();
}

void Context::open_request(const Request& r) {
  if (UserDevice* u = origin_user(r)) ++u->requests;
}

void Context::close_radio(const Request& r, RequestRecord& rec) {
  // A user's radio stays open across the user's requests: the request pays what it owes
  // since the last settle (Network::radio_settle), the full tail when it is the last so far.
  const std::uint64_t session = radio_session(r);
  const double j = session == r.id ? net_.radio_close(session) : net_.radio_settle(session);
  if (j != 0) charge_radio(r, rec, j);  // a settle is negative when a later transfer cut a charged tail short
}

void Context::charge_radio(const Request& r, RequestRecord& rec, double joules) {
  if (UserDevice* u = origin_user(r)) {
    u->radio_j += joules;
    u->drain(joules, engine_.now());
  }
  rec.energy_radio_j += joules;
  rec.energy_j += joules;
}

void Context::finish(const Request& r, RequestRecord& rec, const Answer& a, Route route,
                     bool escalated) const {
  finish_with_quality(r, rec, a, route, escalated, score(a.deployment, r));
}

void Context::finish_with_quality(const Request& r, RequestRecord& rec, const Answer& a, Route route,
                                  bool escalated, double quality) const {
  rec.route = route;
  rec.escalated = escalated;
  rec.ttft_s = to_seconds(a.first_token_at_user - r.arrival);
  rec.latency_s = to_seconds(a.done_at_user - r.arrival);
  // TPOT is not applicable (NaN) to an answer that reaches the user in one piece: a single
  // token, or all tokens released at once (a cascade stage's answer held back until the
  // confidence decision). Percentiles skip it (SummaryAccumulator).
  rec.tpot_s = r.output_tokens > 1 && a.done_at_user > a.first_token_at_user
                   ? to_seconds(a.done_at_user - a.first_token_at_user) / static_cast<double>(r.output_tokens - 1)
                   : std::numeric_limits<double>::quiet_NaN();
  if (a.generation.failed || a.timed_out) {  // no answer: quality 0, not counted in n_ok
    rec.status = a.timed_out          ? Status::TimedOut
                 : a.context_exceeded ? Status::ContextExceeded
                 : a.out_of_memory    ? Status::OutOfMemory
                 : a.battery_low      ? Status::BatteryLow
                                      : Status::Failed;
    rec.quality = 0.0;
    return;
  }
  rec.quality = quality;
  rec.status = Status::Ok;
}

}  // namespace collabsim
