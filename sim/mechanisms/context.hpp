#pragma once
/// \file context.hpp
/// The modelling API a mechanism sees (as SimGrid's s4u is apart from its kernel): ask a
/// deployment to answer a request from the request's origin device, look up per-query
/// quality, and draw seeded random numbers. Everything is accounted into the request's
/// RequestRecord (tokens, bytes, energy, cost).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/latch.hpp"
#include "sim/core/measurement.hpp"
#include "sim/core/rng.hpp"
#include "sim/hardware/deployment_server.hpp"
#include "sim/hardware/fleet.hpp"
#include "sim/hardware/user_devices.hpp"
#include "sim/io/record.hpp"
#include "sim/io/span_log.hpp"
#include "sim/kernels/question_corpus.hpp"
#include "sim/mechanisms/decision.hpp"
#include "sim/network/network.hpp"
#include "sim/quality/quality_table.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/topology/topology.hpp"
#include "sim/workload/request.hpp"

namespace collabsim {

/// Timing of one answer as the user sees it (absolute times, ns).
struct Answer {
  std::size_t deployment = 0;
  SimTime first_token_at_user = 0;  ///< first output token reaches the origin device
  SimTime done_at_user = 0;         ///< last output token reaches the origin device
  bool timed_out = false;           ///< a network wait passed the request's deadline
  bool context_exceeded = false;    ///< refused: beyond the model's context window (Context::fits)
  bool out_of_memory = false;       ///< refused: its KV cache beyond the device's memory (Context::fits)
  bool battery_low = false;         ///< refused: the user's device is below its battery floor (Context::fits)
  Generation generation;
};

class Context {
 public:
  Context(Engine& engine, const Scenario& scenario, const Topology& topology, Network& network,
          std::vector<std::unique_ptr<DeploymentServer>>& deployments, const quality::QualityTable& table,
          std::vector<std::size_t> quality_columns);

  Engine& engine() { return engine_; }
  const Scenario& scenario() const { return sc_; }
  std::uint64_t seed() const { return sc_.run.seed; }

  /// Deployment index by name; InputError naming `pos`/`key` when there is none.
  std::size_t deployment(const std::string& name, const SourcePos& pos, const std::string& key) const {
    return sc_.deployment_index(name, pos, key);
  }

  /// Answer `r` with deployment `dep`: send the prompt from the origin to the deployment's
  /// device (if remote), queue and generate there, stream the answer back. The first token
  /// reaches the user after the path's serialisation and latency (waiting out outages);
  /// the last token travels through the link FIFOs after generation ends. bytes_up counts
  /// the prompt, bytes_down the whole output (streamed during decode); the radio energy of
  /// per-user ends is charged for both. A network wait past r.deadline sets
  /// Answer::timed_out and ends the call (no generation if the upload timed out).
  /// The answer's length is output_tokens(dep, r).
  Task<Answer> ask(std::size_t dep, const Request& r, RequestRecord& rec) {
    return ask_tokens(dep, r, rec, r.prompt_tokens, output_tokens(dep, r));
  }

  /// Tokens deployment `dep` writes to answer `r` [tokens]: Request::output_tokens (the
  /// trace's length, the same for every model) unless quality.output_tokens = "model", then
  /// the length of `dep`'s model's own response to the joined question: the table's
  /// output_tokens cell (long format) when present, else ceil(<column>|out_chars /
  /// quality.chars_per_token) (MMLU-Pro's released outputs, quality/text_tokens.hpp). The
  /// join keeps only questions with a length in every column in use, so it is never unknown.
  std::int64_t output_tokens(std::size_t dep, const Request& r) const;
  /// The deployment whose model has the most parameters (the first such): under
  /// quality.output_tokens = "model" its response length is Request::output_tokens, the one
  /// length of mechanisms whose models write a single answer together (speculative decoding
  /// and token routing produce the target model's output).
  std::size_t reference_deployment() const { return reference_; }

  /// As ask(), with explicit prompt and output token counts (verification calls, prompt
  /// compression, sub-tasks). Tokens generated are counted for `dep` in the record.
  /// `redacted`: the prompt sent holds none of the request's private tokens (pipeline
  /// de-identification); otherwise the request's private_share (Request::private_share) of the prompt tokens count as
  /// private tokens sent off the device when the deployment is remote.
  /// `deadline` (absolute ns) replaces the request's own deadline for this call when given.
  /// The request's prefix blocks (Request::prefix_blocks) go with the prompt when
  /// `prompt_tokens` is the request's own prompt (a deployment with prefix caching reuses
  /// them); a prompt of another size (compressed, a sub-task) carries none.
  Task<Answer> ask_tokens(std::size_t dep, const Request& r, RequestRecord& rec,
                          std::int64_t prompt_tokens, std::int64_t output_tokens, bool redacted = false,
                          std::optional<SimTime> deadline = std::nullopt);

  /// ask(dep, r, rec), then finish(r, rec, answer, route, escalated) with its answer, in
  /// one coroutine (one frame fewer than awaiting ask() and calling finish()).
  Task<void> ask_and_finish(std::size_t dep, const Request& r, RequestRecord& rec, Route route, bool escalated);

  /// Runs `ask(dep, r, rec)` for every deployment in `deps` concurrently and returns the
  /// answers in the same order once all are in (fusion, ensembles).
  Task<std::vector<Answer>> ask_all(const std::vector<std::size_t>& deps, const Request& r, RequestRecord& rec);

  /// Which limit refuses a request (Admission::refused); the serving layer's types
  /// (hardware/fleet.hpp).
  using Limit = AdmissionLimit;
  using Admission = collabsim::Admission;
  /// The limits of deployment `dep` for a request: Fleet::admission (context window, KV
  /// memory, each under its policy "ignore" | "fail" | "truncate").
  Admission admission(std::size_t dep, std::int64_t prompt_tokens, std::int64_t output_tokens) const {
    return fleet_.admission(dep, prompt_tokens, output_tokens);
  }
  /// True when deployment `dep` takes the request (Admission::refused is none): within
  /// its context window and memory, or truncated to fit, or the limits are not checked
  /// (policies "ignore"; the default is "fail"). A request it does not take is refused by
  /// ask_tokens() before any transfer or compute, with status context_exceeded or
  /// out_of_memory; cascades skip such a stage and routers take the other model.
  bool fits(std::size_t dep, std::int64_t prompt_tokens, std::int64_t output_tokens) const {
    return admission(dep, prompt_tokens, output_tokens).refused == Limit::none;
  }
  /// fits() for the request's own prompt and output.
  /// Also false when `dep` runs on the request's user's own device and that device's
  /// battery is below its floor (DeviceSpec::battery_floor): it stops serving locally, and
  /// ask() refuses such a call with status battery_low.
  bool fits(std::size_t dep, const Request& r) const {
    return fits(dep, r.prompt_tokens, output_tokens(dep, r)) && !battery_refuses(dep, r);
  }
  /// True when `dep` runs on a per-user device bound to users whose instance for r's user
  /// exists and is below its battery floor.
  bool battery_refuses(std::size_t dep, const Request& r) const;
  /// State of charge (share of capacity) of the battery of r's user's origin device now;
  /// 1 when the origin has no battery, is not bound to users, or r has no user id; the
  /// card's battery_initial before the user's first request. Mechanisms read it (router
  /// battery_threshold).
  double battery_level(const Request& r) const;
  /// State of charge (share of capacity) of r's user's own origin device now; NaN when the
  /// origin has no battery, is not bound to users, or r has no user id (the /requests
  /// column battery_soc).
  double battery_soc(const Request& r) const;

  /// True when every link on the path between the origin and `dep`'s device is up now.
  bool reachable_now(std::size_t dep, const Request& r);
  /// Waits until that path is up (returns at once when it is).
  Task<void> wait_reachable(std::size_t dep, const Request& r);

  /// Runs a generation on deployment `dep` with no network transfer (the caller moves the
  /// data): `prompt` tokens prefilled after `cached` tokens of context, `output` generated.
  /// Accounts tokens, device energy and cost into `rec`. On a per-user device bound to
  /// users (DeviceSpec::bind_user) the generation first waits its turn on the instance of
  /// the record's user (UserDevices: FIFO, user_concurrency at once; the wait is its queue
  /// span). `service_s`: the request's service
  /// time for a deployment with latency = "service_time" (ask() passes Request::service_s).
  /// `prefix_blocks`: the prompt's prefix-block hash ids for a deployment with prefix
  /// caching (its hit tokens are added to rec.prefix_hit_tokens); must outlive the call.
  ///
  /// A deployment with `decode_on` (prefill/decode disaggregation) and `prompt` > 0,
  /// `output` > 1 splits the call: `dep` prefills and emits the first token (output 1);
  /// the KV of the cached + prompt tokens (ModelCard::kv_bytes_per_token each) crosses the
  /// topology's path from its device to the decode deployment's (Network::send: FIFO
  /// serialisation per link direction + latency); the decode deployment then generates the
  /// `output` − 1 other tokens after cached + prompt + 1 tokens of context (KV in place, no
  /// prefill). Each part is accounted to its deployment and device (tokens, energy, cost);
  /// the returned Generation spans both (first_token from the prefill, end from the decode,
  /// energy, device time and cost summed, replica of the prefill).
  Task<Generation> run_on(std::size_t dep, RequestRecord& rec, std::int64_t prompt, std::int64_t output,
                          std::int64_t cached = 0, double service_s = -1,
                          std::span<const std::int64_t> prefix_blocks = {});
  /// The deployment that serves a request of `prompt`/`output` tokens asked of `dep`: `dep`
  /// itself, or for a heterogeneous pool (deployments.<dep>.share_with) the member its
  /// pool_dispatch rule picks (Fleet::member, pool_dispatch.hpp). ask()/ask_tokens() call
  /// it; the answer keeps Answer::deployment = `dep`, while tokens, energy and cost are
  /// accounted to the member and its device.
  std::size_t pool_member(std::size_t dep, std::int64_t prompt, std::int64_t output) const {
    return fleet_.member(dep, prompt, output);
  }
  /// True when run_on(dep, …, prompt, output) splits prefill and decode (see run_on).
  bool disaggregated(std::size_t dep, std::int64_t prompt, std::int64_t output) const {
    return fleet_.split(dep, prompt, output);
  }

  /// Sends `bytes` from the request's origin to deployment `dep`'s device (bytes_up, radio
  /// energy, deadline). Local deployments return at once.
  Task<Transfer> upload(const Request& r, RequestRecord& rec, std::size_t dep, double bytes,
                        std::optional<SimTime> deadline = std::nullopt);

  /// Sends `bytes` from deployment `dep`'s device to the request's origin (bytes_down,
  /// radio energy, deadline). Local deployments return at once.
  Task<Transfer> download(const Request& r, RequestRecord& rec, std::size_t dep, double bytes,
                          std::optional<SimTime> deadline = std::nullopt);

  /// True when deployment `dep` runs on the request's origin device.
  bool local(std::size_t dep, const Request& r) const { return topo_.deployment_device(dep) == r.origin; }

  /// Bytes on the wire for `tokens` tokens.
  double token_bytes(std::int64_t tokens) const { return static_cast<double>(tokens) * sc_.workload.bytes_per_token; }

  /// Runs `seconds` of computation on the request's origin device (e.g. a router kernel),
  /// charging busy energy there. Per-user origins never queue.
  Task<void> compute_on_origin(const Request& r, RequestRecord& rec, double seconds);

  /// Seconds and joules of one piece of work on the origin device (compute_work_on_origin).
  struct OriginWork {
    double seconds = 0;  ///< s
    double joules = 0;   ///< J
  };
  /// Runs work of `flops` FLOPs and `bytes` bytes of memory traffic on the request's origin
  /// device at its card's roofline (Williams, Waterman & Patterson, CACM 2009): seconds =
  /// max(flops / achieved FLOP/s, bytes / achieved bandwidth) (DeviceSpec::achieved_flops,
  /// achieved_bandwidth: peak × compute_efficiency / memory_efficiency); power from the
  /// card's power model for that work (DeviceSpec::step; under a power cap the work
  /// stretches). Energy goes to the origin device in `rec`; a span of kind Compute on
  /// track '<device>/compute'. Like compute_on_origin it does not queue behind the
  /// device's generations. Throws std::invalid_argument for negative or NaN work, and
  /// std::runtime_error naming the device when its card gives no peak FLOP/s or bandwidth.
  Task<OriginWork> compute_work_on_origin(const Request& r, RequestRecord& rec, double flops, double bytes);

  /// Quality score in [0, 1] of deployment `dep`'s model on the request's question.
  double score(std::size_t dep, const Request& r) const {
    return table_.score(r.quality_row, quality_columns_[dep]);
  }

  /// Seeded stream for (purpose, request): independent of every other request.
  RngStream rng(std::string_view purpose, const Request& r) const {
    return RngStream(sc_.run.seed, purpose, r.id);
  }

  /// Fills the final-answer fields: route, quality of `answer.deployment`, TTFT, latency.
  /// A failed generation (Generation::failed) sets status Failed, a timed-out answer status
  /// TimedOut; both score quality 0.
  void finish(const Request& r, RequestRecord& rec, const Answer& answer, Route route,
              bool escalated) const;
  /// As finish(), with the answer's quality given by the mechanism (fusion, mixtures).
  void finish_with_quality(const Request& r, RequestRecord& rec, const Answer& answer, Route route,
                           bool escalated, double quality) const;

  const quality::QualityTable& table() const { return table_; }
  /// The request's question text (loads [quality] questions on first use). Throws
  /// InputError when the scenario names no question file; nullptr when the id is absent.
  const kernels::Question* question(const Request& r);
  /// Quality-table column of deployment `dep`.
  std::size_t quality_column(std::size_t dep) const { return quality_columns_[dep]; }
  DeploymentServer& server(std::size_t dep) { return *deps_[dep]; }

  /// From now on, records every request's spans (queue, prefill, decode, transfers, waits,
  /// origin compute, mechanism steps; see span_log.hpp) into `log`, which must outlive the
  /// run; nullptr stops recording. Recording changes no result.
  void record_spans(SpanLog* log) { spans_ = log; }

  /// The request is over (run_scenario calls this after Mechanism::serve): charges the
  /// final RRC tail of its radios (links with radio ≠ "none"; the tail after its last
  /// transfer, T_tail × P_tail, belongs to the request whose transfers started it) to
  /// energy_radio_j and energy_j. No-op without RRC links.
  void close_radio(const Request& r, RequestRecord& rec);
  /// The request has arrived (run_scenario calls this before Mechanism::serve): counts it
  /// on its user's origin device instance (allocated here at the user's first request).
  void open_request(const Request& r);
  /// The run is over at `end`: charges every user's idle power up to it.
  void close_users(SimTime end) { users_.settle_idle(end); }

  /// Per-user devices bound to users (DeviceSpec::bind_user): one instance per (device,
  /// user id), on which that user's generations queue (run_on) and add up.
  const UserDevices& user_devices() const { return users_; }
  /// What the users' devices measured (core/measurement.hpp), declared for the run's
  /// recorder: the table /users, one row per instance of a per-user device bound to users
  /// (a user's phone), in (device, user id) order: requests, generations, time (s), energy
  /// by cause (J), battery trajectory (state of charge, 1), heat and throttling, radio
  /// state time (s). No table when no instance was created. Defined in user_table.cpp.
  MeasurementSource user_measurements() const;
  /// The radio session of `r`'s transfers (Network::send): its user's, kept across the
  /// user's requests, when the origin is a per-user device bound to users and the request
  /// has a user id; else its own (the request id).
  std::uint64_t radio_session(const Request& r) const {
    const DeviceSpec& o = sc_.devices[r.origin];
    return o.per_user && o.bind_user && r.user >= 0 ? user_radio_session(r.user) : r.id;
  }
  /// The radio session id of user `user` (≥ 0).
  static std::uint64_t user_radio_session(std::int64_t user) { return kUserSession | static_cast<std::uint64_t>(user); }

  /// Σ over the run of the API energy estimate (J): for deployments with an
  /// `api_energy_card`, DeploymentSpec::api_energy_power() × each generation's time at the
  /// provider (start of service to last token). An estimate of the provider's hardware,
  /// kept apart from modelled device energy (not in energy_j).
  double api_energy_estimate_j() const { return fleet_.api_energy_estimate_j(); }

  /// The run's decision hook for decisions of `kind` (decision.hpp), null when the
  /// mechanism decides itself (always, outside collabsim.CollaborationEnv).
  DecisionHook* decision_hook(DecisionKind kind) const {
    return hook_ && hook_->kind() == kind ? hook_ : nullptr;
  }
  /// Hands the run's decisions of hook->kind() to `hook` (null = none); must outlive the run.
  void set_decision_hook(DecisionHook* hook) { hook_ = hook; }
  /// Requests asked of deployment `dep` and not answered yet (pool_member's n_m).
  std::int64_t outstanding(std::size_t dep) const { return fleet_.outstanding(dep); }
  /// The run's serving layer (hardware/fleet.hpp): pools, disaggregation, limits.
  const Fleet& fleet() const { return fleet_; }
  const Topology& topology() const { return topo_; }
  Network& network() { return net_; }

  /// True when deployment `dep`'s model answers the request's question right (score ≥ 0.5).
  bool correct(std::size_t dep, const Request& r) const { return score(dep, r) >= 0.5; }

 private:
  /// Radio energy of r: into the record, and off the battery of r's user's origin device.
  void charge_radio(const Request& r, RequestRecord& rec, double joules);
  /// The instance of r's user on its origin device (created at first use); null when the
  /// origin is not bound to users or r has no user id.
  UserDevice* origin_user(const Request& r) { return users_.bound(r.origin, r.user); }
  static constexpr std::uint64_t kUserSession = std::uint64_t{1} << 62;  ///< radio session ids of users
  /// run_on's split call (prefill on `dep`, KV handoff, decode on its decode deployment).
  Task<Generation> run_split(std::size_t dep, RequestRecord& rec, std::int64_t prompt, std::int64_t output,
                             std::int64_t cached, double service_s, std::span<const std::int64_t> prefix_blocks);
  /// One generation on one deployment, accounted into `rec` (run_on without the split).
  Task<Generation> run_one(std::size_t dep, RequestRecord& rec, std::int64_t prompt, std::int64_t output,
                           std::int64_t cached, double service_s, std::span<const std::int64_t> prefix_blocks);
  /// ask_tokens (kFinish false) and ask_and_finish (kFinish true: finishes the record with
  /// `route`/`escalated` where ask_tokens returns the answer).
  template <bool kFinish>
  Task<std::conditional_t<kFinish, void, Answer>> ask_impl(std::size_t asked_dep, const Request& r,
                                                          RequestRecord& rec, std::int64_t prompt_tokens,
                                                          std::int64_t output_tokens, bool redacted,
                                                          std::optional<SimTime> deadline, Route route,
                                                          bool escalated);
  /// True when run_on(dep, …) would take none of run_one's extra steps: not split, no
  /// per-user instance to wait for (the device is not bound to users or the record has no
  /// user id), no thermal model on the device. ask_tokens then awaits the server's task
  /// itself (Fleet::start, finish, account_generation): the same steps in the same order.
  bool direct_generation(std::size_t dep, std::size_t device, const RequestRecord& rec, std::int64_t prompt,
                         std::int64_t output) const;
  /// The end of run_one: the generation's span (when recording) and its tokens, energy,
  /// cost and prefix hits into `rec` (`device`: `dep`'s device).
  void account_generation(std::size_t dep, std::size_t device, RequestRecord& rec, const Generation& g,
                          const UserDevice* user);
  /// ask_tokens's steps between suspensions (plain functions, so that their locals stay
  /// out of the coroutine frame). ask_admit: the admission limits and the battery floor
  /// (refused: fills `a` and returns −1), else the prompt tokens sent (truncated ones and
  /// private ones counted in `rec`).
  std::int64_t ask_admit(Answer& a, std::size_t dep, std::size_t device, const Request& r, RequestRecord& rec,
                         std::int64_t prompt_tokens, std::int64_t output_tokens, bool redacted);
  /// The upload passed the deadline: the answer ends now (and its span).
  void ask_timed_out(Answer& a, std::size_t dep, const RequestRecord& rec, SimTime asked);
  /// When the first token reaches the user (network path, RRC promotion); true when the
  /// last device's path to the origin has an RRC radio.
  bool stream_first_token(Answer& a, const Request& r, std::size_t device, std::size_t last_device);
  /// After the last token's transfer: the answer's end, the radio's end, the download span,
  /// bytes_down and the radio energy of the output.
  void stream_last_token(Answer& a, const Request& r, RequestRecord& rec, std::size_t dep, std::size_t last_device,
                         std::int64_t output_tokens, bool rrc, bool timed_out);
  /// Span helpers (no-ops unless recording): tracks of a deployment's replica / pool /
  /// per-user instances, of a path direction, of origin-device compute.
  std::uint32_t deployment_track(std::size_t dep, int replica);
  std::uint32_t link_track(std::size_t from, std::size_t to);
  void record_generation(std::size_t dep, std::uint64_t request, const Generation& g, const UserDevice* user);

  Engine& engine_;
  const Scenario& sc_;
  const Topology& topo_;
  Network& net_;
  std::vector<std::unique_ptr<DeploymentServer>>& deps_;
  const quality::QualityTable& table_;
  std::vector<std::size_t> quality_columns_;
  std::size_t reference_ = 0;        ///< reference_deployment()
  bool model_lengths_ = false;       ///< quality.output_tokens = "model"
  UserDevices users_;  ///< per-user instances, created at each user's first request
  std::unique_ptr<kernels::QuestionCorpus> corpus_;
  SpanLog* spans_ = nullptr;
  DecisionHook* hook_ = nullptr;
  Fleet fleet_;  ///< after deps_ (it refers to the servers)
};

}  // namespace collabsim
