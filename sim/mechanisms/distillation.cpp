/// \file distillation.cpp
/// Distillation-driven collaboration (survey §3.1.4; knowledge distillation, Hinton et al.
/// 2015; FedCoLLM): an offline job spends LLM time labelling `samples` examples (each a
/// prompt of `label_prompt_tokens` and an answer of `label_output_tokens`), submitted at
/// t = 0 to the LLM deployment in waves of `label_concurrency`, so the job competes with
/// live traffic for the cloud. The SLM is then replaced by its distilled variant: requests
/// are answered on the device, and their quality comes from `distilled_column` (a
/// quality-table column standing for the distilled student) instead of the SLM's own column.
/// Requests arriving before the job ends use the undistilled SLM.
/// The job's time, energy and cost are reported in /mechanism; the quality shift shows in
/// /summary against small_only.

#include <cmath>

#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class Distillation final : public TwoModelMechanism {
 public:
  Distillation(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p),
        samples_(p.integer("samples")),
        prompt_(p.integer("label_prompt_tokens")),
        output_(p.integer("label_output_tokens")),
        concurrency_(p.integer("label_concurrency")) {
    const auto& name = p.text("distilled_column");
    try {
      distilled_col_ = cx.table().model_index(name);
    } catch (const std::exception&) {
      throw InputError(p.pos("distilled_column"), "mechanism.distillation.distilled_column",
                       "no column '" + name + "' in the quality table");
    }
    job_rec_.request_id = kNoRequest;  // background labelling, not a user request (no spans)
    job_rec_.tokens.assign(cx.scenario().deployments.size(), 0);
    job_rec_.device_energy.assign(cx.scenario().devices.size(), 0.0);
    if (samples_ > 0) cx.engine().spawn(label_job());
    else done_at_ = 0;
  }

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    const bool distilled = cx_.engine().now() >= done_at_;
    const Answer a = co_await cx_.ask(small_, r, rec);
    const double q = distilled ? cx_.table().score(r.quality_row, distilled_col_) : cx_.score(small_, r);
    cx_.finish_with_quality(r, rec, a, Route::small(), false, std::isnan(q) ? 0.0 : q);
  }

  double background_end_s() const override { return to_seconds(done_at_); }

  MetricRow stats() const override {
    return {{"label_samples", {"1", static_cast<double>(samples_)}},
            {"label_job_end_s", {"s", to_seconds(done_at_)}},
            {"label_cost_usd", {"USD", job_rec_.cost_usd}},
            {"label_energy_j", {"J", job_rec_.energy_j}},
            {"label_tokens", {"tokens", static_cast<double>(job_rec_.tokens[large_])}}};
  }

 private:
  Task<void> label_one(Latch& latch) {
    co_await cx_.run_on(large_, job_rec_, prompt_, output_);
    latch.count_down();
  }
  Task<void> label_job() {
    for (std::int64_t done = 0; done < samples_;) {
      const std::int64_t wave = std::min(concurrency_, samples_ - done);
      Latch latch(cx_.engine(), static_cast<int>(wave));
      for (std::int64_t i = 0; i < wave; ++i) cx_.engine().spawn(label_one(latch));
      co_await latch.wait();
      done += wave;
    }
    done_at_ = cx_.engine().now();
  }

  std::int64_t samples_, prompt_, output_, concurrency_;
  std::size_t distilled_col_ = 0;
  RequestRecord job_rec_;
  SimTime done_at_ = kTimeNever;
};

}  // namespace

MechanismInfo distillation_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::text("distilled_column", "Meta-Llama-3_1-8B-Instruct",
                               "quality-table column of the distilled student"));
  fields.push_back(Field::integer("samples", 2000, "1", "examples the LLM labels before the switch", 0, 1e9));
  fields.push_back(Field::integer("label_prompt_tokens", 512, "tokens", "prompt tokens per labelled example", 0, 1e6));
  fields.push_back(Field::integer("label_output_tokens", 256, "tokens", "LLM output tokens per labelled example", 1, 1e6));
  fields.push_back(Field::integer("label_concurrency", 64, "1", "labelling requests in flight", 1, 1e6));
  return {"distillation", "offline LLM labelling job, then the distilled SLM answers on the device",
          "knowledge distillation (Hinton et al. 2015), FedCoLLM; survey §3.1.4", fields,
          [](Context& cx, const ParamSet& p) { return std::make_unique<Distillation>(cx, p); },
          [](const ParamSet& p) { return std::vector<std::string>{p.text("distilled_column")}; }};
}

}  // namespace collabsim
