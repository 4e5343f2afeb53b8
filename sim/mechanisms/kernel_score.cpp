#include "sim/mechanisms/kernel_score.hpp"

#include "sim/kernels/router_attack.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>

namespace collabsim {

KernelScorer::KernelScorer(Context& cx, const ParamSet& p, const std::string& prefix)
    : cx_(cx), measured_(p.text("kernel_cost") == "measured") {
  if (p.text("score") != "kernel") return;
  if (p.text("weights").empty())
    throw InputError(p.pos("score"), prefix + ".weights", "score = \"kernel\" needs the weights file");
  std::filesystem::path w = p.text("weights");
  if (w.is_relative()) w = cx.scenario().file.parent_path() / w;
  kernel_ = kernels::RouterKernel::load(w);
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
                      {"flops", "measured"})};
}

}  // namespace collabsim
