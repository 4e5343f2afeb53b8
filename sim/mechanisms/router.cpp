/// \file router.cpp
/// Pre-generation router (survey §3.1.2, §3.2.1): before any model runs, a score predicts
/// whether the small model is good enough for this query; score ≥ threshold → small model,
/// else large. The routing decision costs `overhead` seconds of compute on the origin
/// device (the survey's "routing latency paradox").
///
/// Label the score predicts (`label`):
///  - "small_correct": the small model answers right (RouteLLM-style binary router, Ong et
///    al. 2024, whose routers predict the weak model winning);
///  - "quality_gap": q_small ≥ q_large − gap (HybridLLM, Ding et al., ICLR 2024: route to
///    the small model when its quality is within a margin of the large one's; both wrong
///    counts as "small is good enough").
/// Score source (`score`): "noisy_oracle" (confidence.hpp) with settable AUROC for that
/// label, or "kernel": a router network trained by `collabsim train-router` (weights in
/// HDF5, sim/kernels/router_training.hpp) scoring the question text; its inference time
/// (FLOPs on the origin device's roofline, or measured wall time: kernel_score.hpp) adds
/// to `overhead`.
///
/// A route to a model whose context window cannot hold the request goes to the other model
/// when that one can (Context::fits); otherwise the request is refused (context_exceeded).
///
/// Rerouting attack (`attack_share`, `gadget`; Shafran et al. 2025, "Rerouting LLM
/// Routers"): a seeded share of requests (stream "router_attack") carry a confounding
/// gadget appended to the query text the learned router scores; /mechanism reports
/// attacked_requests and attacked_large_share. The gadget's own tokens (~13 for 10 words)
/// are not added to the prompt: under 2% of the trace's median prompt. With
/// `attack_unit = "user"` (needs `[workload.attributes] users`) the attackers are users: a
/// seeded share of the users (stream "router_attacker", user id) attack on every request.
///
/// Per-user large-model budget (`user_budget`, `budget_window`; the defence Shafran et al.
/// 2025 discuss beside perplexity filtering, as API rate limits do): each user may send at
/// most `user_budget` requests to the large model per fixed window [k·W, (k+1)·W) of arrival
/// time; a request routed to the large model beyond it goes to the small model instead (when
/// the small model can take it). Decisions follow the event order, so they are
/// deterministic. /mechanism reports budget_denied and, under attack, the share of attacked
/// and of clean requests denied (detection and false-positive rates of the defence).
///
/// Battery-aware routing (`battery_threshold`, a share of capacity; 0 = off): a request
/// routed to the small model on the user's own battery-powered device goes to the large
/// model instead while that battery's state of charge (Context::battery_level) is below
/// the threshold and the large model can take it; /mechanism reports battery_rerouted.
/// (Below the device's own battery_floor, Context::fits refuses the small model anyway.)

#include <utility>
#include <vector>

#include "sim/mechanisms/confidence.hpp"
#include "sim/mechanisms/kernel_score.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class Router final : public TwoModelMechanism {
 public:
  Router(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p),
        threshold_(p.number("threshold")),
        conf_(p.number("auroc")),
        gap_label_(p.text("label") == "quality_gap"),
        gap_(p.number("gap")),
        overhead_(p.number("overhead")),
        kernel_(cx, p, "mechanism.router"),
        attack_share_(p.number("attack_share")),
        gadget_(p.text("gadget")),
        attack_by_user_(p.text("attack_unit") == "user"),
        budget_(p.integer("user_budget")),
        window_(from_seconds(p.number("budget_window"))),
        battery_threshold_(p.number("battery_threshold")) {
    const std::int64_t users = cx.scenario().workload.attributes.users;
    if (attack_by_user_ && attack_share_ > 0 && users <= 0)
      throw InputError(p.pos("attack_unit"), "mechanism.router.attack_unit",
                       "attack_unit = \"user\" needs user ids: set [workload.attributes] users = N");
    if (budget_ > 0 && users <= 0)
      throw InputError(p.pos("user_budget"), "mechanism.router.user_budget",
                       "a per-user budget needs user ids: set [workload.attributes] users = N");
    if (budget_ > 0) used_.assign(static_cast<std::size_t>(users), {-1, 0});
    kernel_.check_columns(cx.table().models()[cx.quality_column(small_)],
                          cx.table().models()[cx.quality_column(large_)], p, "mechanism.router");
    if (attack_share_ > 0 && (!kernel_.active() || gadget_.empty()))
      throw InputError(p.pos("attack_share"), "mechanism.router.attack_share",
                       "an attack appends `gadget` to the query text a learned router reads: it needs "
                       "score = \"kernel\" and a non-empty gadget (find one with `collabsim attack-router`)");
    if (p.text("score") == "agreement")
      throw InputError(p.pos("score"), "mechanism.router.score",
                       "score = \"agreement\" judges a model's answer, which a router decides without: "
                       "use mechanism.name = \"cascade\" with score = \"agreement\"");
  }

  MetricRow stats() const override {
    MetricRow row = kernel_.stats();
    if (attack_share_ > 0) {
      row.push_back({"attacked_requests", {"requests", static_cast<double>(attacked_)}});
      row.push_back({"attacked_large_share",
                     {"1", attacked_ ? static_cast<double>(attacked_large_) / static_cast<double>(attacked_) : 0.0}});
    }
    if (battery_threshold_ > 0) row.push_back({"battery_rerouted", {"requests", static_cast<double>(battery_rerouted_)}});
    if (budget_ > 0) {
      row.push_back({"budget_denied", {"requests", static_cast<double>(denied_attacked_ + denied_clean_)}});
      if (attack_share_ > 0) {
        const double clean = static_cast<double>(served_ - attacked_);
        row.push_back({"budget_denied_attacked_share",
                       {"1", attacked_ ? static_cast<double>(denied_attacked_) / static_cast<double>(attacked_) : 0.0}});
        row.push_back({"budget_denied_clean_share",
                       {"1", clean > 0 ? static_cast<double>(denied_clean_) / clean : 0.0}});
      }
    }
    return row;
  }

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    double score = 0, overhead = overhead_;
    bool attacked = false;
    if (kernel_.active()) {
      if (attack_share_ > 0 && attack_by_user_) {
        RngStream rng(cx_.seed(), "router_attacker", static_cast<std::uint64_t>(r.user));
        attacked = rng.uniform() < attack_share_;
      } else if (attack_share_ > 0) {
        RngStream rng = cx_.rng("router_attack", r);
        attacked = rng.uniform() < attack_share_;
      }
      const KernelScore k = kernel_.score(r, attacked ? gadget_ : std::string());
      score = k.score;
      overhead += k.overhead_s;
    } else {
      const bool good_enough = gap_label_ ? cx_.score(small_, r) >= cx_.score(large_, r) - gap_ : cx_.correct(small_, r);
      RngStream rng = cx_.rng("router_score", r);
      score = conf_.draw(good_enough, rng);
    }
    co_await cx_.compute_on_origin(r, rec, overhead);
    bool small = score >= threshold_;
    if (DecisionHook* h = cx_.decision_hook(DecisionKind::route)) {  // an external policy (decision.hpp)
      const std::size_t options[] = {small_, large_};
      small = h->decide({DecisionKind::route, &r, &rec, options, score, 0, small ? 0u : 1u}, cx_) == 0;
    }
    // A model that cannot hold the request (context window) is not chosen when the other can.
    if (!cx_.fits(small ? small_ : large_, r) && cx_.fits(small ? large_ : small_, r)) small = !small;
    if (small && battery_threshold_ > 0 && cx_.battery_level(r) < battery_threshold_ && cx_.fits(large_, r)) {
      small = false;  // save the user's battery: the cloud answers
      ++battery_rerouted_;
    }
    if (!small && budget_ > 0 && !within_budget(r)) {
      small = true;
      ++(attacked ? denied_attacked_ : denied_clean_);
    }
    ++served_;
    if (attacked) ++attacked_, attacked_large_ += small ? 0 : 1;
    co_await answer_with(small ? small_ : large_, r, rec);
  }

 private:
  double threshold_;
  NoisyOracleConfidence conf_;
  bool gap_label_;
  double gap_;
  double overhead_;
  KernelScorer kernel_;
  double attack_share_;
  std::string gadget_;
  std::int64_t attacked_ = 0, attacked_large_ = 0;
  bool attack_by_user_;
  std::int64_t budget_;
  SimTime window_;
  /// Per user: (window index, large-model requests in it).
  std::vector<std::pair<std::int64_t, std::int64_t>> used_;
  std::int64_t served_ = 0, denied_attacked_ = 0, denied_clean_ = 0;
  double battery_threshold_;
  std::int64_t battery_rerouted_ = 0;

  /// Counts a large-model request of r's user against its budget; false (nothing counted)
  /// when the user's window is used up, or the small model cannot take the request.
  bool within_budget(const Request& r) {
    auto& [window, n] = used_.at(static_cast<std::size_t>(r.user));
    const std::int64_t k = r.arrival / window_;
    if (k != window) window = k, n = 0;
    if (n >= budget_ && cx_.fits(small_, r)) return false;
    ++n;
    return true;
  }
};

}  // namespace

MechanismInfo router_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::real("threshold", 0.5, "1", "route to the small model when score ≥ threshold", 0.0, 1.0));
  fields.push_back(Field::text("label", "small_correct", "what the score predicts",
                               {"small_correct", "quality_gap"}));
  fields.push_back(Field::real("gap", 0.0, "1", "quality_gap label: tolerated quality loss", 0.0, 1.0));
  fields.push_back(Field::real("auroc", 0.75, "1", "AUROC of the noisy-oracle score for the label", 0.5, 0.999999));
  fields.push_back(Field::quantity("overhead", "0 ms", Dimension::Time, "fixed routing time on the origin device"));
  for (auto& f : kernel_score_fields()) fields.push_back(std::move(f));
  fields.push_back(Field::real("attack_share", 0.0, "1",
                               "score = kernel: share of requests whose user appends `gadget` to the query "
                               "(rerouting attack, Shafran et al. 2025)",
                               0.0, 1.0));
  fields.push_back(Field::text("gadget", "", "attack_share > 0: the confounding gadget (from `collabsim attack-router`)"));
  fields.push_back(Field::text("attack_unit", "request",
                               "who attacks: a share of requests, or a share of users (all their requests; "
                               "needs [workload.attributes] users)",
                               {"request", "user"}));
  fields.push_back(Field::integer("user_budget", 0, "requests",
                                  "defence: large-model requests a user may send per budget_window, beyond "
                                  "which the router answers with the small model (0 = off; needs user ids)",
                                  0, 1e9));
  fields.push_back(Field::quantity("budget_window", "1 h", Dimension::Time,
                                   "user_budget: length of the fixed windows of arrival time", 1e-3));
  fields.push_back(Field::real("battery_threshold", 0.0, "1",
                               "send to the large model while the user's own battery is below this share of "
                               "its capacity (0 = off; needs a per-user device with a battery and user ids)",
                               0.0, 1.0));
  fields.push_back(target_share_field("threshold"));
  MechanismInfo info{"router", "pre-generation routing: score the query, small model if score ≥ threshold",
                     "HybridLLM (Ding et al. 2024), RouteLLM (Ong et al. 2024); survey §3.1.2, §3.2.1", fields,
                     [](Context& cx, const ParamSet& p) { return std::make_unique<Router>(cx, p); }};
  info.question_filter = kernel_question_filter;
  info.calibration_key = "threshold";
  return info;
}

}  // namespace collabsim
