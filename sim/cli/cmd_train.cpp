/// \file cmd_train.cpp
/// `collabsim train-router` and `collabsim train-lm`: the project's own small kernels.

#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/kernels/lm_pair.hpp"
#include "sim/kernels/router_training.hpp"

namespace collabsim::cli {

Command add_train_router_command(CLI::App& app) {
  struct Args {
    kernels::RouterTrainConfig tc;
    std::string data;
  };
  auto a = std::make_shared<Args>();
  auto& tc = a->tc;
  auto* train = app.add_subcommand("train-router", "train a router kernel on MMLU-Pro and write its weights (HDF5)");
  train->add_option("-o,--output", tc.output, "weights file (.h5)")->required();
  train->add_option("--data-dir", a->data, "folder of the shared data (default $COLLABSIM_DATA or ../shared/data)");
  train->add_option("--small", tc.small, "weak model column")->capture_default_str();
  train->add_option("--large", tc.large, "strong model column")->capture_default_str();
  train->add_option("--kind", tc.kind, "logistic | mlp")->check(CLI::IsMember({"logistic", "mlp"}))->capture_default_str();
  train->add_option("--label", tc.label, "small_correct | quality_gap")
      ->check(CLI::IsMember({"small_correct", "quality_gap"}))
      ->capture_default_str();
  train->add_option("--gap", tc.gap, "quality_gap margin")->capture_default_str();
  train->add_option("--seed", tc.seed, "split, initialisation and shuffling seed")->capture_default_str();
  train->add_option("--epochs", tc.epochs, "passes over the training split")->capture_default_str();
  train->add_option("--hidden", tc.hidden, "MLP hidden units")->capture_default_str();
  return {train, [a] {
            auto& tc = a->tc;
            const auto data = shared_data_dir(a->data);
            tc.questions = data / "quality/mmlu_pro/mmlu_pro_questions.jsonl";
            tc.matrix = data / "quality/mmlu_pro/mmlu_pro_30models_matrix.csv";
            const auto rep = kernels::train_router(tc);
            fmt::print("router {} ({}), {} → {}: train {} / test {} questions\n", tc.kind, tc.label, tc.small, tc.large,
                       rep.n_train, rep.n_test);
            fmt::print("AUROC train {:.4f}, held-out {:.4f}; held-out APGR {:.4f} (random router {:.4f}); "
                       "CPT(50%) {:.3f}; q_weak {:.4f}, q_strong {:.4f}; {:.0f} FLOPs/query; {:.1f} s\n",
                       rep.train_auroc, rep.test_auroc, rep.test_apgr, rep.random_apgr, rep.test_cpt50, rep.q_weak,
                       rep.q_strong, rep.flops_per_query, rep.seconds);
            fmt::print("wrote {}\n", tc.output.string());
            return kExitOk;
          }};
}

Command add_train_lm_command(CLI::App& app) {
  struct Args {
    kernels::LmPairConfig lc;
    std::string data;
  };
  auto a = std::make_shared<Args>();
  auto& lc = a->lc;
  auto* train_lm =
      app.add_subcommand("train-lm", "train the teacher/student byte LMs, measure speculative α (HDF5 report)");
  train_lm->add_option("-o,--output", lc.output, "report file (.h5)")->required();
  train_lm->add_option("--data-dir", a->data, "folder of the shared data");
  train_lm->add_option("--steps", lc.steps, "Adam steps per model")->capture_default_str();
  train_lm->add_option("--seed", lc.seed, "seed")->capture_default_str();
  train_lm->add_option("--max-questions", lc.max_questions, "train on at most this many questions (0 = all)")
      ->capture_default_str();
  return {train_lm, [a] {
            auto& lc = a->lc;
            lc.questions = shared_data_dir(a->data) / "quality/mmlu_pro/mmlu_pro_questions.jsonl";
            const auto rep = kernels::train_lm_pair(lc);
            fmt::print("held-out bits/byte: teacher {:.3f} (train {:.3f}), student alone {:.3f}, distilled student {:.3f}\n",
                       rep.teacher_bpb, rep.teacher_train_bpb, rep.student_bpb, rep.distilled_bpb);
            fmt::print("E[sum min(p,q)] = {:.4f}; FLOPs/byte teacher {:.0f}, student {:.0f} (c = {:.3f})\n", rep.beta,
                       rep.teacher_flops, rep.student_flops, rep.student_flops / rep.teacher_flops);
            for (int g = 1; g <= 8; ++g)
              fmt::print("gamma {}: measured alpha {:.4f}, tokens/round {:.3f} (formula {:.3f})\n", g, rep.alpha[g - 1],
                         rep.tokens_per_round[g - 1], (1 - std::pow(rep.alpha[g - 1], g + 1)) / (1 - rep.alpha[g - 1]));
            fmt::print("{:.1f} s; wrote {}\n", rep.seconds, lc.output.string());
            return kExitOk;
          }};
}

}  // namespace collabsim::cli
