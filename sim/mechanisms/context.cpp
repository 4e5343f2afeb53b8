#include "sim/mechanisms/context.hpp"

#include "sim/core/when_all.hpp"

#include <cmath>
#include <limits>

namespace collabsim {

Context::Context(Engine& engine, const Scenario& sc, const Topology& topo, Network& net,
                 std::vector<std::unique_ptr<DeploymentServer>>& deps, const quality::QualityTable& table,
                 std::vector<std::size_t> quality_columns)
    : engine_(engine), sc_(sc), topo_(topo), net_(net), deps_(deps), table_(table),
      quality_columns_(std::move(quality_columns)) {}

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
}

Task<Generation> Context::run_on(std::size_t dep, RequestRecord& rec, std::int64_t prompt, std::int64_t output,
                                 std::int64_t cached, double service_s) {
  const Generation g = co_await deps_[dep]->generate(prompt, output, cached, service_s);
  if (spans_) record_generation(dep, rec.request_id, g);
  const std::size_t device = topo_.deployment_device(dep);
  rec.tokens[dep] += g.output_tokens;
  rec.device_energy[device] += g.energy;
  rec.energy_j += g.energy;
  rec.cost_usd += g.cost;
  co_return g;
}

Task<Transfer> Context::upload(const Request& r, RequestRecord& rec, std::size_t dep, double bytes,
                               std::optional<SimTime> deadline) {
  const std::size_t device = topo_.deployment_device(dep);
  if (device == r.origin) co_return Transfer{engine_.now(), engine_.now(), 0.0, false, 0};
  const SimTime t0 = engine_.now();
  const Transfer t = co_await net_.send(r.origin, device, bytes, deadline.value_or(r.deadline));
  if (spans_)
    spans_->add(rec.request_id, link_track(r.origin, device), SpanKind::Upload, t0, engine_.now(),
                static_cast<std::int32_t>(dep));
  rec.bytes_up += static_cast<std::int64_t>(bytes);
  charge_radio(rec, net_.radio_energy(r.origin, device, bytes));
  co_return t;
}

Task<Transfer> Context::download(const Request& r, RequestRecord& rec, std::size_t dep, double bytes,
                                 std::optional<SimTime> deadline) {
  const std::size_t device = topo_.deployment_device(dep);
  if (device == r.origin) co_return Transfer{engine_.now(), engine_.now(), 0.0, false, 0};
  const SimTime t0 = engine_.now();
  const Transfer t = co_await net_.send(device, r.origin, bytes, deadline.value_or(r.deadline));
  if (spans_)
    spans_->add(rec.request_id, link_track(device, r.origin), SpanKind::Download, t0, engine_.now(),
                static_cast<std::int32_t>(dep));
  rec.bytes_down += static_cast<std::int64_t>(bytes);
  charge_radio(rec, net_.radio_energy(device, r.origin, bytes));
  co_return t;
}

Task<Answer> Context::ask_tokens(std::size_t dep, const Request& r, RequestRecord& rec,
                                 std::int64_t prompt_tokens, std::int64_t output_tokens, bool redacted,
                                 std::optional<SimTime> deadline) {
  const std::size_t device = topo_.deployment_device(dep);
  const double bpt = sc_.workload.bytes_per_token;
  Answer a;
  a.deployment = dep;
  const Admission ad = admission(dep, prompt_tokens, output_tokens);
  if (ad.refused != Limit::none) {  // refused before anything is sent or computed
    a.context_exceeded = ad.refused == Limit::context;
    a.out_of_memory = ad.refused == Limit::memory;
    a.generation.failed = true;
    a.first_token_at_user = a.done_at_user = engine_.now();
    co_return a;
  }
  if (ad.prompt < prompt_tokens) {  // truncated at the caller: only the kept tail is sent
    rec.truncated_tokens += prompt_tokens - ad.prompt;
    prompt_tokens = ad.prompt;
  }
  const SimTime asked = engine_.now();
  if (device != r.origin && !redacted)
    rec.private_tokens_sent += std::llround(sc_.workload.private_share * static_cast<double>(prompt_tokens));
  const Transfer up = co_await upload(r, rec, dep, token_bytes(prompt_tokens), deadline);
  if (up.timed_out) {
    a.timed_out = true;
    a.first_token_at_user = a.done_at_user = engine_.now();
    if (spans_)
      spans_->add(rec.request_id, spans_->track("mechanism"), SpanKind::Ask, asked, a.done_at_user,
                  static_cast<std::int32_t>(dep));
    co_return a;
  }
  a.generation = co_await run_on(dep, rec, prompt_tokens, output_tokens, 0, r.service_s);
  const Generation& g = a.generation;
  if (device != r.origin && !g.failed) {
    // Tokens stream down during decode: the first arrives after the path's serialisation
    // and latency (waiting out outages); the last goes through the link FIFOs at the end.
    a.first_token_at_user = net_.arrival_time(device, r.origin, bpt, g.first_token);
    const Transfer last = co_await net_.send(device, r.origin, bpt, deadline.value_or(r.deadline));
    a.done_at_user = std::max(engine_.now(), a.first_token_at_user);
    if (spans_)  // the answer streams down during decode; this is its last token's trip
      spans_->add(rec.request_id, link_track(device, r.origin), SpanKind::Download, g.end, a.done_at_user,
                  static_cast<std::int32_t>(dep));
    a.timed_out = last.timed_out;
    const double down = token_bytes(output_tokens);
    rec.bytes_down += static_cast<std::int64_t>(down);
    charge_radio(rec, net_.radio_energy(device, r.origin, down));
  } else {
    a.first_token_at_user = g.first_token;
    a.done_at_user = g.end;
  }
  if (spans_)
    spans_->add(rec.request_id, spans_->track("mechanism"), SpanKind::Ask, asked, a.done_at_user,
                static_cast<std::int32_t>(dep));
  co_return a;
}

Context::Admission Context::admission(std::size_t dep, std::int64_t prompt, std::int64_t output) const {
  const DeploymentSpec& d = sc_.deployments[dep];
  Admission ad;
  ad.prompt = prompt;
  if (d.context_policy == "ignore" && d.memory_policy == "ignore") return ad;  // the default: nothing checked
  const std::int64_t asked = prompt + output;
  std::int64_t limit = std::numeric_limits<std::int64_t>::max();  // smallest truncating limit (tokens)
  Limit binding = Limit::none;
  const std::int64_t w = d.model.context_window;
  if (d.context_policy != "ignore" && w > 0 && asked > w) {
    if (d.context_policy == "fail") return {Limit::context, prompt};
    limit = w;
    binding = Limit::context;
  }
  const double kv_tok = d.model.kv_bytes_per_token();
  const double cap = deps_[dep]->kv_capacity();
  if (d.memory_policy != "ignore" && kv_tok > 0 && kv_tok * static_cast<double>(asked) > cap) {
    if (d.memory_policy == "fail") return {Limit::memory, prompt};
    const auto fit = static_cast<std::int64_t>(std::floor(cap / kv_tok));
    if (fit < limit) limit = fit, binding = Limit::memory;
  }
  if (binding == Limit::none) return ad;
  ad.prompt = std::min(prompt, limit - output);
  if (ad.prompt < (prompt > 0 ? 1 : 0)) return {binding, prompt};  // the output alone does not fit
  return ad;
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

void Context::record_generation(std::size_t dep, std::uint64_t request, const Generation& g) {
  const std::uint32_t track = deployment_track(dep, g.replica);
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

void Context::charge_radio(RequestRecord& rec, double joules) const {
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
                                      : Status::Failed;
    rec.quality = 0.0;
    return;
  }
  rec.quality = quality;
  rec.status = Status::Ok;
}

}  // namespace collabsim
