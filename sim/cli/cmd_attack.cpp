/// \file cmd_attack.cpp
/// `collabsim attack-router`: searches a rerouting gadget on a learned router (white box),
/// tests its transfer to a router trained with another seed (black box) and evaluates a
/// perplexity filter (sim/kernels/router_attack.hpp).

#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/kernels/router_attack.hpp"

namespace collabsim::cli {

Command add_attack_router_command(CLI::App& app) {
  struct Args {
    kernels::AttackConfig ac;
    std::string data;
  };
  auto a = std::make_shared<Args>();
  auto& ac = a->ac;
  auto* cmd = app.add_subcommand("attack-router",
                                 "find a confounding gadget that reroutes a learned router to the strong model "
                                 "(Shafran et al. 2025), test its transfer and a perplexity filter");
  cmd->add_option("--weights", ac.white_box, "router weights to attack (white box)")->required();
  cmd->add_option("--transfer", ac.black_box, "router weights trained with another seed (black box)");
  cmd->add_option("--data-dir", a->data, "folder of the shared data (default $COLLABSIM_DATA or ../shared/data)");
  cmd->add_option("--threshold", ac.threshold, "router threshold: score below it goes to the strong model")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--tokens", ac.search.tokens, "gadget length in words")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_option("--candidates", ac.search.candidates, "words tried per position and pass")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--passes", ac.search.passes, "passes over the positions")->check(CLI::Range(1, 100))->capture_default_str();
  cmd->add_option("--sample", ac.search.sample, "training questions the search averages over")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--seed", ac.search.seed, "search seed")->capture_default_str();
  cmd->add_option("--lm-steps", ac.lm_steps, "Adam steps of the filter's byte LM")->check(CLI::Range(1, 10000000))->capture_default_str();
  cmd->add_option("--fpr", ac.fpr, "target false-positive rate of the filter")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  return {cmd, [a] {
            auto& ac = a->ac;
            ac.questions = shared_data_dir(a->data) / "quality/mmlu_pro/mmlu_pro_questions.jsonl";
            const auto r = kernels::attack_router(ac);
            fmt::print("gadget ({} words): \"{}\"\n", ac.search.tokens, r.gadget.text);
            fmt::print("search sample: mean router score {:.4f} clean, {:.4f} with the gadget\n",
                       r.gadget.mean_score_clean, r.gadget.mean_score);
            fmt::print("held-out questions: {}; strong-model share at threshold {}:\n", r.n_held_out, ac.threshold);
            fmt::print("  white box {:.4f} -> {:.4f}\n", r.white_clean, r.white_attacked);
            if (!std::isnan(r.black_clean))
              fmt::print("  black box (transfer) {:.4f} -> {:.4f}\n", r.black_clean, r.black_attacked);
            for (const auto& [name, f] : {std::pair{"whole query", r.whole}, std::pair{"64-byte windows", r.windowed}})
              fmt::print("perplexity filter ({}): median bits/byte {:.3f} clean, {:.3f} attacked; threshold {:.3f} "
                         "(clean {:.0f}% quantile): detection {:.4f}, false positives {:.4f}\n",
                         name, f.median_clean, f.median_attacked, f.threshold, 100.0 * (1.0 - ac.fpr),
                         f.detection_rate, f.false_positive_rate);
            fmt::print("{:.1f} s\n", r.seconds);
            return kExitOk;
          }};
}

}  // namespace collabsim::cli
