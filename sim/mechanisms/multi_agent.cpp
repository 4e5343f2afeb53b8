/// \file multi_agent.cpp
/// Multi-agent resilient collaboration (survey §4.4: "A successful case is a multi-agent
/// collaborative system used in earthquake rescue. This system integrates offline-deployed
/// small language models and remote large language models, enabling rescue personnel to
/// receive basic decision support even during network outages, and immediately access
/// more comprehensive analysis once the network recovers (Jayant et al., 2024)"). The
/// remote LLM answers when its path is up and its answer can start within `deadline` of
/// arrival; otherwise the local `agents` (SLMs on the responder's device and on nearby
/// field hardware, reachable without the failed backhaul) all answer concurrently and
/// their answers are combined by majority vote over their predicted answer letters (the
/// quality table's `<model>|pred`, as fusion's "majority": ties go to the earliest agent,
/// an agent without a prediction or that refuses abstains). With `reask = true` a request
/// answered by the agents is asked again of the LLM once its path is up, and the user ends
/// with the LLM's answer (TTFT stays the agents' answer). /mechanism reports `answered_by_agents`
/// and `reasked`.

#include <map>

#include "sim/mechanisms/registry.hpp"

namespace collabsim {
namespace {

class MultiAgent final : public Mechanism {
 public:
  MultiAgent(Context& cx, const ParamSet& p)
      : cx_(cx),
        large_(cx.deployment(p.text("large"), p.pos("large"), "mechanism.multi_agent.large")),
        deadline_(p.number("deadline")),
        reask_(p.flag("reask")) {
    for (const auto& n : p.texts("agents")) agents_.push_back(cx.deployment(n, p.pos("agents"), "mechanism.multi_agent.agents"));
    p.require_distinct("agents", "mechanism.multi_agent.agents");
    for (const auto a : agents_)
      if (a == large_)
        throw InputError(p.pos("agents"), "mechanism.multi_agent.agents", "the LLM ('" + p.text("large") + "') cannot also be an agent");
  }

  std::vector<std::size_t> large_deployments() const override { return {large_}; }

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    if (cx_.reachable_now(large_, r)) {
      const SimTime deadline = deadline_ > 0 ? r.arrival + from_seconds(deadline_) : kTimeNever;
      const Answer a = co_await cx_.ask_tokens(large_, r, rec, r.prompt_tokens, cx_.output_tokens(large_, r), false, deadline);
      if (!a.timed_out && !a.generation.failed) co_return cx_.finish(r, rec, a, Route::large(), false);
    }
    ++by_agents_;
    const std::vector<Answer> answers = co_await cx_.ask_all(agents_, r, rec);
    std::map<char, int> tally;
    std::map<char, std::size_t> first_seen;
    Answer last = answers[0];
    bool any = false;
    for (std::size_t i = 0; i < answers.size(); ++i) {
      const Answer& a = answers[i];
      if (a.timed_out || a.generation.failed) continue;
      if (!any || a.done_at_user > last.done_at_user) last = a;
      any = true;
      const char c = cx_.table().pred(r.quality_row, cx_.quality_column(agents_[i]));
      if (c == '\0') continue;
      ++tally[c];
      first_seen.emplace(c, i);
    }
    char best = '\0';
    for (const auto& [c, n] : tally)
      if (best == '\0' || n > tally[best] || (n == tally[best] && first_seen[c] < first_seen[best])) best = c;
    last.first_token_at_user = last.done_at_user;  // the vote needs every agent's answer
    const double q = any && best != '\0' && best == cx_.table().answer(r.quality_row) ? 1.0 : 0.0;
    if (reask_ && any) {
      co_await cx_.wait_reachable(large_, r);
      Answer again = co_await cx_.ask_tokens(large_, r, rec, r.prompt_tokens, cx_.output_tokens(large_, r), false, kTimeNever);
      if (!again.timed_out && !again.generation.failed) {
        ++reasked_;
        again.first_token_at_user = last.first_token_at_user;
        co_return cx_.finish(r, rec, again, Route::large(), true);
      }
    }
    cx_.finish_with_quality(r, rec, any ? last : answers[0], Route::small(), false, q);
  }

  MetricRow stats() const override {
    return {{"answered_by_agents", {"requests", static_cast<double>(by_agents_)}},
            {"reasked", {"requests", static_cast<double>(reasked_)}}};
  }

 private:
  Context& cx_;
  std::vector<std::size_t> agents_;
  std::size_t large_;
  double deadline_;
  bool reask_;
  std::int64_t by_agents_ = 0, reasked_ = 0;
};

}  // namespace

MechanismInfo multi_agent_info() {
  std::vector<Field> fields;
  fields.push_back(Field::text_list("agents", std::vector<std::string>{"slm"},
                                    "local agent deployments that answer together (majority vote) when the LLM cannot", 1));
  fields.push_back(Field::text("large", "llm", "deployment of the remote LLM"));
  fields.push_back(Field::quantity("deadline", "0 s", Dimension::Time,
                                   "the agents answer when the LLM's answer is not in by arrival + deadline (0 = only when its path is down)"));
  fields.push_back(Field::boolean("reask", false, "re-ask the LLM when its path returns"));
  return {"multi_agent", "remote LLM when reachable in time, else a majority of local SLM agents; optionally re-ask later",
          "multi-agent resilient collaboration (Jayant et al. 2024); survey §4.4", fields,
          [](Context& cx, const ParamSet& p) { return std::make_unique<MultiAgent>(cx, p); }};
}

}  // namespace collabsim
