#pragma once
/// \file router_training.hpp
/// Training and evaluation of router kernels on MMLU-Pro (questions + the 30-model matrix)
/// with a seeded 80/20 split by question id, and the trained router as a scoring kernel
/// loaded from HDF5 by the router and cascade mechanisms (score = "kernel").

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "sim/kernels/question_corpus.hpp"
#include "sim/kernels/router_model.hpp"
#include "sim/kernels/text_features.hpp"

namespace collabsim::kernels {

struct RouterTrainConfig {
  std::filesystem::path questions;   ///< mmlu_pro_questions.jsonl
  std::filesystem::path matrix;      ///< mmlu_pro_30models_matrix.csv
  std::string small = "Phi-3-mini-4k-instruct";
  std::string large = "Meta-Llama-3_1-70B-Instruct";
  std::string kind = "mlp";          ///< "logistic" | "mlp"
  std::string label = "small_correct";  ///< "small_correct" | "quality_gap"
  double gap = 0.0;                  ///< quality_gap: small ≥ large − gap
  std::uint64_t seed = 1;
  int epochs = 3;
  int hidden = 32;
  int batch = 32;
  float learning_rate = 1e-3f;
  float l2 = 1e-6f;
  int hash_bits = 18;
  double test_share = 0.2;
  std::filesystem::path output;      ///< HDF5 weights (empty = do not save)
};

struct RouterTrainReport {
  std::size_t n_train = 0, n_test = 0;
  double train_auroc = 0, test_auroc = 0;   ///< for the label
  double test_apgr = 0, random_apgr = 0;     ///< RouteLLM APGR on held-out questions
  double test_cpt50 = 0;                     ///< strong-call share reaching PGR ≥ 50 %
  double q_weak = 0, q_strong = 0;           ///< held-out accuracies
  double seconds = 0;                        ///< training wall time
  double flops_per_query = 0;                ///< mean inference FLOPs
};

/// True when question `id` falls in the held-out split (a hash of id and seed).
bool in_test_split(std::int64_t id, std::uint64_t seed, double test_share);

/// Trains, evaluates and (when output is set) saves. Throws InputError for bad inputs.
RouterTrainReport train_router(const RouterTrainConfig& cfg);

/// A trained router loaded from HDF5: features + model.
class RouterKernel {
 public:
  /// Largest hidden layer and first-layer size (hidden × dim floats, 1 GiB) a weights
  /// file may declare.
  static constexpr unsigned long long kMaxHidden = 4096;
  static constexpr double kMaxWeights = 268435456.0;
  /// Loads and validates a weights file before use. Throws InputError naming the file and
  /// the attribute or dataset when the file is missing, not a regular file (≤ 4 GiB), not
  /// HDF5, `kind` is not logistic/mlp, `label` unknown, `hash_bits` not an integer in
  /// [kMinHashBits, kMaxHashBits], a dataset's rank or shape differs from the declared
  /// dimensions (w2: dim × 1 logistic or hidden × 1 MLP; W1: dim × hidden; b1: hidden × 1
  /// with 1 ≤ hidden ≤ kMaxHidden), or any value (b2 included) is not finite.
  static std::unique_ptr<RouterKernel> load(const std::filesystem::path& file);
  /// P(label) for a question.
  double score(const Question& q) const;
  /// FLOPs of scoring `q` (for the routing-overhead model).
  double flops(const Question& q) const;
  const std::string& label() const { return label_; }
  /// Seed of the training run (it keys the train/held-out split, in_test_split()).
  std::uint64_t seed() const { return seed_; }
  /// Quality-table columns the router was trained for (weak, strong).
  const std::string& small() const { return small_; }
  const std::string& large() const { return large_; }
  /// Share of questions held out of training (attribute `test_share`; 0.2 for files older
  /// than the attribute, router_training's default).
  double test_share() const { return test_share_; }
  /// True when question `id` was not in the training split.
  bool held_out(std::int64_t id) const { return in_test_split(id, seed_, test_share_); }

 private:
  RouterKernel(TextFeatures f, RouterModel m) : features_(std::move(f)), model_(std::move(m)) {}
  TextFeatures features_;
  RouterModel model_;
  std::string label_, small_, large_;
  std::uint64_t seed_ = 0;
  double test_share_ = 0.2;
};

/// Question and options as one text (what the router reads).
std::string question_text(const Question& q);

}  // namespace collabsim::kernels
