/// \file main.cpp
/// collabsim command line: run, list, inspect.
/// Exit status: 0 success, 2 bad input (message names file, line and key), 1 other errors.

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "collabsim/version.hpp"
#include "sim/cli/run_scenario.hpp"
#include "sim/io/inspect.hpp"
#include "sim/io/scenario.hpp"
#include "sim/kernels/lm_pair.hpp"
#include "sim/kernels/router_training.hpp"
#include "sim/mechanisms/registry.hpp"

using namespace collabsim;

namespace {

void print_summary(const std::string& label, const Summary& s) {
  fmt::print("{:<14} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9} {:>11} {:>10} {:>8}\n", "mechanism", "n",
             "quality", "p50 [s]", "p95 [s]", "p99 [s]", "TTFT50[s]", "USD/1k req", "J/req", "large");
  fmt::print("{:<14} {:>7} {:>8.4f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>11.4f} {:>10.1f} {:>8.3f}\n",
             label, s.n_requests, s.quality_mean, s.latency_p50_s, s.latency_p95_s, s.latency_p99_s,
             s.ttft_p50_s, s.cost_per_1k_usd, s.energy_per_request_j, s.large_share);
}

/// The shared-data folder for the training commands: --data-dir, else $COLLABSIM_DATA,
/// else ../shared/data.
std::filesystem::path shared_data_dir(const std::string& option) {
  if (!option.empty()) return option;
  if (const char* env = std::getenv("COLLABSIM_DATA"); env && *env) return env;
  return std::filesystem::path("..") / "shared" / "data";
}

void list_everything() {
  fmt::print("Mechanisms (set [mechanism] name = \"...\"; parameters with default [unit]):\n\n");
  for (const auto& m : mechanism_registry()) {
    fmt::print("  {:<12} {}\n  {:<12} ref: {}\n", m.name, m.summary, "", m.reference);
    fmt::print("{}\n", describe_fields(m.params));
  }
  fmt::print("Scenario sections:\n\n  [run]\n{}\n  [workload]\n{}\n  [devices.<name>] (and device cards)\n{}\n"
             "  [links.<name>]\n{}\n  [deployments.<name>]\n{}\n  model cards (models/llms/<id>.toml)\n{}",
             describe_fields(run_fields()), describe_fields(workload_fields()),
             describe_fields(device_fields()), describe_fields(link_fields()),
             describe_fields(deployment_fields()), describe_fields(model_card_fields()));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"collabsim: discrete-event simulator of LLM–SLM collaboration"};
  app.set_version_flag("--version", fmt::format("collabsim {} ({})", kVersion, kGitCommit));
  app.require_subcommand(1);

  auto* run = app.add_subcommand("run", "run a scenario and write an HDF5 result file");
  std::string scenario_path;
  std::string output;
  std::string data_dir;
  std::vector<std::string> sets;
  bool quiet = false;
  run->add_option("scenario", scenario_path, "scenario TOML file")->required();
  run->add_option("-o,--output", output, "result file (default results/<name>.h5)");
  run->add_option("--set", sets, "override a scenario key: dotted.key=value (repeatable)");
  run->add_option("--data-dir", data_dir, "folder of the shared data (default $COLLABSIM_DATA or ../shared/data)");
  run->add_flag("-q,--quiet", quiet, "print only the summary row");

  auto* list = app.add_subcommand("list", "list mechanisms and scenario keys with defaults and units");

  auto* train = app.add_subcommand("train-router", "train a router kernel on MMLU-Pro and write its weights (HDF5)");
  kernels::RouterTrainConfig tc;
  std::string train_data;
  train->add_option("-o,--output", tc.output, "weights file (.h5)")->required();
  train->add_option("--data-dir", train_data, "folder of the shared data (default $COLLABSIM_DATA or ../shared/data)");
  train->add_option("--small", tc.small, "weak model column")->capture_default_str();
  train->add_option("--large", tc.large, "strong model column")->capture_default_str();
  train->add_option("--kind", tc.kind, "logistic | mlp")->check(CLI::IsMember({"logistic", "mlp"}))->capture_default_str();
  train->add_option("--label", tc.label, "small_correct | quality_gap")
      ->check(CLI::IsMember({"small_correct", "quality_gap"}))->capture_default_str();
  train->add_option("--gap", tc.gap, "quality_gap margin")->capture_default_str();
  train->add_option("--seed", tc.seed, "split, initialisation and shuffling seed")->capture_default_str();
  train->add_option("--epochs", tc.epochs, "passes over the training split")->capture_default_str();
  train->add_option("--hidden", tc.hidden, "MLP hidden units")->capture_default_str();
  auto* inspect = app.add_subcommand("inspect", "describe a result file");
  std::string h5;
  inspect->add_option("file", h5, "result file (.h5)")->required();

  auto* train_lm = app.add_subcommand("train-lm", "train the teacher/student byte LMs, measure speculative α (HDF5 report)");
  kernels::LmPairConfig lc;
  std::string lm_data;
  train_lm->add_option("-o,--output", lc.output, "report file (.h5)")->required();
  train_lm->add_option("--data-dir", lm_data, "folder of the shared data");
  train_lm->add_option("--steps", lc.steps, "Adam steps per model")->capture_default_str();
  train_lm->add_option("--seed", lc.seed, "seed")->capture_default_str();
  train_lm->add_option("--max-questions", lc.max_questions, "train on at most this many questions (0 = all)")->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  try {
    if (*run) {
      LoadOptions opt;
      opt.overrides = sets;
      if (!data_dir.empty()) opt.data_dir = data_dir;
      if (!output.empty()) opt.output = output;
      const Scenario sc = load_scenario(scenario_path, opt);
      if (!quiet)
        fmt::print("scenario {} · mechanism {} · trace {} · seed {}\n", sc.run.name, sc.mechanism.name,
                   sc.workload.trace.filename().string(), sc.run.seed);
      const RunResult r = run_scenario(sc);
      print_summary(sc.mechanism.name, r.summary);
      if (!quiet)
        fmt::print("wrote {} ({} requests, {} events, {:.2f} s wall)\n", r.output.string(),
                   r.summary.n_requests, r.events, r.wall_seconds);
    } else if (*list) {
      list_everything();
    } else if (*train_lm) {
      lc.questions = shared_data_dir(lm_data) / "quality/mmlu_pro/mmlu_pro_questions.jsonl";
      const auto rep = kernels::train_lm_pair(lc);
      fmt::print("held-out bits/byte: teacher {:.3f} (train {:.3f}), student alone {:.3f}, distilled student {:.3f}\n",
                 rep.teacher_bpb, rep.teacher_train_bpb, rep.student_bpb, rep.distilled_bpb);
      fmt::print("E[sum min(p,q)] = {:.4f}; FLOPs/byte teacher {:.0f}, student {:.0f} (c = {:.3f})\n", rep.beta,
                 rep.teacher_flops, rep.student_flops, rep.student_flops / rep.teacher_flops);
      for (int g = 1; g <= 8; ++g)
        fmt::print("gamma {}: measured alpha {:.4f}, tokens/round {:.3f} (formula {:.3f})\n", g, rep.alpha[g - 1],
                   rep.tokens_per_round[g - 1],
                   (1 - std::pow(rep.alpha[g - 1], g + 1)) / (1 - rep.alpha[g - 1]));
      fmt::print("{:.1f} s; wrote {}\n", rep.seconds, lc.output.string());
    } else if (*train) {
      const auto data = shared_data_dir(train_data);
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
    } else if (*inspect) {
      inspect_result(h5, std::cout);
    }
  } catch (const InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
