/// \file bandit.cpp
/// Online contextual bandit router (MixLLM, Wang et al., NAACL 2025; survey §3.2.1, §6.1):
/// LinUCB (sim/kernels/linucb.hpp) picks a deployment per query from a context of
/// [1, log(1 + prompt tokens)/8, one-hot question category]; when the answer is in, it
/// learns from reward = quality − cost_weight × cost (USD per 1,000 requests) −
/// latency_weight × latency (s). Feedback arrives when each request finishes, so the
/// router learns online while requests overlap (delayed feedback, as in deployment).
/// An arm that cannot hold the request (Context::fits: context window, device memory) is
/// not played: the first arm in order that can is, and learns from the outcome.

#include <cmath>
#include <map>

#include "sim/kernels/linucb.hpp"
#include "sim/mechanisms/registry.hpp"

namespace collabsim {
namespace {

class Bandit final : public Mechanism {
 public:
  Bandit(Context& cx, const ParamSet& p)
      : cx_(cx),
        cost_w_(p.number("cost_weight")),
        lat_w_(p.number("latency_weight")) {
    for (const auto& n : p.texts("arms")) arms_.push_back(cx.deployment(n, p.pos("arms"), "mechanism.bandit.arms"));
    p.require_distinct("arms", "mechanism.bandit.arms");  // one arm per deployment
    // Category slots from the quality table.
    for (std::size_t r = 0; r < cx.table().num_queries(); ++r) cats_.emplace(cx.table().category(r), 0);
    int i = 0;
    for (auto& [c, slot] : cats_) slot = i++;
    dim_ = 2 + static_cast<int>(cats_.size());
    ucb_ = std::make_unique<kernels::LinUcb>(static_cast<int>(arms_.size()), dim_, p.number("alpha"));
  }

  std::vector<std::size_t> large_deployments() const override { return {arms_.begin() + 1, arms_.end()}; }

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    Eigen::VectorXd x = Eigen::VectorXd::Zero(dim_);
    x(0) = 1.0;
    x(1) = std::log1p(static_cast<double>(r.prompt_tokens)) / 8.0;
    x(2 + cats_.at(cx_.table().category(r.quality_row))) = 1.0;
    int arm = ucb_->choose(x);
    if (!cx_.fits(arms_[arm], r))
      for (std::size_t k = 0; k < arms_.size(); ++k)
        if (cx_.fits(arms_[k], r)) {
          arm = static_cast<int>(k);
          break;
        }
    const double cost_before = rec.cost_usd;
    const Answer a = co_await cx_.ask(arms_[arm], r, rec);
    cx_.finish(r, rec, a, Route::at(arm), false);
    const double reward = rec.quality - cost_w_ * (rec.cost_usd - cost_before) * 1000.0 - lat_w_ * rec.latency_s;
    ucb_->update(arm, x, reward);
    ++pulls_[arm];
    reward_sum_ += reward;
  }

  MetricRow stats() const override {
    MetricRow out;
    for (std::size_t a = 0; a < arms_.size(); ++a)
      out.push_back({"pulls_arm" + std::to_string(a), {"requests", static_cast<double>(pulls_.count(a) ? pulls_.at(a) : 0)}});
    out.push_back({"reward_sum", {"1", reward_sum_}});
    return out;
  }

 private:
  Context& cx_;
  std::vector<std::size_t> arms_;
  std::map<std::string, int> cats_;
  int dim_ = 0;
  double cost_w_, lat_w_;
  std::unique_ptr<kernels::LinUcb> ucb_;
  std::map<std::size_t, std::int64_t> pulls_;
  double reward_sum_ = 0;
};

}  // namespace

MechanismInfo bandit_info() {
  return {"bandit", "online LinUCB router learning from quality minus cost and latency penalties",
          "MixLLM (Wang et al. 2025), LinUCB (Li et al. 2010); survey §3.2.1, §6.1",
          {Field::text_list("arms", std::vector<std::string>{"slm", "llm"}, "deployments to choose from", 2).distinct_entries(),
           Field::real("alpha", 0.5, "1", "LinUCB exploration width α", 0.0, 100.0),
           Field::real("cost_weight", 0.2, "1 per (USD/1k requests)", "reward penalty per USD per 1,000 requests", 0.0),
           Field::real("latency_weight", 0.0, "1/s", "reward penalty per second of latency", 0.0)},
          [](Context& cx, const ParamSet& p) { return std::make_unique<Bandit>(cx, p); }};
}

}  // namespace collabsim
