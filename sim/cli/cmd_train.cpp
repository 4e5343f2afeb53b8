/// \file cmd_train.cpp
/// `collabsim train-router` and `collabsim train-lm`: the project's own small kernels.

#include <cmath>
#include <memory>
#include <utility>

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
  train_lm->add_option("--student-steps", lc.student_steps, "Adam steps per student (0 = --steps)")->capture_default_str();
  train_lm->add_option("--student-lr", lc.student_learning_rate, "students' Adam learning rate (0 = the teacher's)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  train_lm->add_option("--student-seeds", lc.student_seeds, "students trained alone and distilled, seeds seed … seed+n-1")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  train_lm->add_option("--temperature", lc.temperature, "distillation temperature T")
      ->check(CLI::Range(0.1, 100.0))
      ->capture_default_str();
  train_lm->add_option("--lambda", lc.lambda, "weight of the soft (teacher) loss in [0, 1]")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  train_lm->add_option("--alpha-rounds", lc.alpha_rounds, "speculative rounds per gamma for measured alpha")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  train_lm->add_option("--eval-positions", lc.eval_positions, "held-out positions scored (bits/byte, routing curve)")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str();
  train_lm->add_option("--teacher-in", lc.teacher_in, "load the teacher (a --teacher-out file) instead of training it");
  train_lm->add_option("--teacher-round", lc.teacher_round,
                       "with --teacher-in: train the loaded teacher --steps more (round k seeds its batches)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  train_lm->add_option("--teacher-out", lc.teacher_out, "save the teacher (HDF5) for later --teacher-in runs");
  train_lm->add_option("--curve-csv", lc.curve_csv, "also write the token-routing curve as CSV (mechanism token_routing)");
  return {train_lm, [a] {
            auto& lc = a->lc;
            lc.questions = shared_data_dir(a->data) / "quality/mmlu_pro/mmlu_pro_questions.jsonl";
            const auto rep = kernels::train_lm_pair(lc);
            fmt::print("held-out bits/byte: teacher {:.3f} (train {:.3f}), student alone {:.3f}, distilled student {:.3f}\n",
                       rep.teacher_bpb, rep.teacher_train_bpb, rep.student_bpb, rep.distilled_bpb);
            auto mean_sd = [](const std::vector<double>& v) {
              double m = 0, q = 0;
              for (double x : v) m += x / static_cast<double>(v.size());
              for (double x : v) q += (x - m) * (x - m);
              return std::pair{m, v.size() > 1 ? std::sqrt(q / static_cast<double>(v.size() - 1)) : 0.0};
            };
            const auto [sm, ss] = mean_sd(rep.student_bpb_seeds);
            const auto [dm, ds] = mean_sd(rep.distilled_bpb_seeds);
            fmt::print("over {} student seeds: alone {:.4f} ± {:.4f}, distilled (T = {}, lambda = {}) {:.4f} ± {:.4f}\n",
                       rep.student_bpb_seeds.size(), sm, ss, lc.temperature, lc.lambda, dm, ds);
            for (std::size_t k = 0; k < rep.student_bpb_seeds.size(); ++k)
              fmt::print("  seed {}: alone {:.4f}, distilled {:.4f}\n", lc.seed + k, rep.student_bpb_seeds[k],
                         rep.distilled_bpb_seeds[k]);
            fmt::print("token routing (student confidence < threshold -> teacher):\n");
            for (const auto& p : rep.routing)
              fmt::print("  share {:.3f} threshold {:.4f}: bpb routed {:.4f}, random {:.4f}, agreement {:.4f}\n",
                         p.teacher_share, p.threshold, p.bpb_routed, p.bpb_random, p.agreement);
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
