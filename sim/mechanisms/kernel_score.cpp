#include "sim/mechanisms/kernel_score.hpp"

#include "sim/kernels/router_attack.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>

namespace collabsim {

namespace {

/// The weights file of score = "kernel", relative to the scenario file.
std::filesystem::path weights_path(const ParamSet& p, const std::filesystem::path& scenario_file,
                                   const std::string& prefix) {
  if (p.text("weights").empty())
    throw InputError(p.pos("score"), prefix + ".weights", "score = \"kernel\" needs the weights file");
  std::filesystem::path w = p.text("weights");
  if (w.is_relative()) w = scenario_file.parent_path() / w;
  return w;
}

}  // namespace

KernelScorer::KernelScorer(Context& cx, const ParamSet& p, const std::string& prefix)
    : cx_(cx), measured_(p.text("kernel_cost") == "measured") {
  if (p.text("score") != "kernel") return;
  kernel_ = kernels::RouterKernel::load(weights_path(p, cx.scenario().file, prefix));
}

void KernelScorer::check_columns(const std::string& small, const std::string& large, const ParamSet& p,
                                 const std::string& prefix) const {
  if (!kernel_ || (kernel_->small() == small && kernel_->large() == large)) return;
  throw InputError(p.pos("weights"), prefix + ".weights",
                   "the router was trained for the columns '" + kernel_->small() + "' → '" + kernel_->large() +
                       "' but the deployments use '" + small + "' → '" + large +
                       "': retrain with `collabsim train-router --small '" + small + "' --large '" + large + "'`");
}

std::function<bool(std::int64_t)> kernel_question_filter(const ParamSet& p, const Scenario& sc) {
  if (p.text("score") != "kernel" || !p.flag("held_out")) return {};
  std::shared_ptr<const kernels::RouterKernel> k = kernels::RouterKernel::load(weights_path(p, sc.file, "mechanism." + sc.mechanism.name));
  return [k](std::int64_t id) { return k->held_out(id); };
}

KernelScore KernelScorer::score(const Request& r, const std::string& gadget) {
  const kernels::Question* found = cx_.question(r);
  if (!found) throw std::runtime_error("question " + std::to_string(r.query_id) + " has no text for the router kernel");
  std::optional<kernels::Question> attacked;
  if (!gadget.empty()) attacked = kernels::with_gadget(*found, gadget);
  const kernels::Question* q = attacked ? &*attacked : found;
  KernelScore out;
  if (measured_) {
    const auto t0 = std::chrono::steady_clock::now();
    out.score = kernel_->score(*q);
    out.overhead_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } else {
    out.score = kernel_->score(*q);
    const DeviceSpec& dev = cx_.scenario().devices[r.origin];
    out.overhead_s = dev.peak_flops > 0 ? kernel_->flops(*q) / dev.achieved_flops_per_accelerator() : 0.0;
  }
  overhead_sum_s_ += out.overhead_s;
  ++calls_;
  return out;
}

MetricRow KernelScorer::stats() const {
  if (!active()) return {};
  return {{"kernel_overhead_mean_s", {"s", calls_ ? overhead_sum_s_ / static_cast<double>(calls_) : 0.0}},
          {"kernel_cost_measured", {"1", measured_ ? 1.0 : 0.0}}};
}

std::vector<Field> kernel_score_fields() {
  return {Field::text("score", "noisy_oracle",
                      "where the score comes from: noisy_oracle (assumed AUROC), kernel (learned router), "
                      "agreement (cascade only: voters' actual answers agree with the stage's; agreement_score.hpp)",
                      {"noisy_oracle", "kernel", "agreement"}),
          Field::text("weights", "", "score = kernel: router weights (HDF5 from train-router), relative to the scenario"),
          Field::text("kernel_cost", "flops",
                      "score = kernel: inference time from FLOPs on the origin's roofline (deterministic) or "
                      "the measured host wall time (not bit-identical)",
                      {"flops", "measured"}),
          Field::boolean("held_out", true,
                         "score = kernel: join requests only to questions outside the kernel's training split")};
}

}  // namespace collabsim
