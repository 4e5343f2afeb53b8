#pragma once
/// \file router_attack.hpp
/// Rerouting attacks on the project's learned router (survey ch. 5, "router attacks";
/// Shafran, Schuster, Ristenpart & Shmatikov 2025, "Rerouting LLM Routers", arXiv:2501.01818):
/// an attacker appends a query-independent "confounding gadget" to its queries so that the
/// router sends them to the strong (expensive) model.
///
/// White-box search (find_gadget): the gadget is `tokens` words, all initialised to the
/// first vocabulary word; for `passes` passes over the positions, position j is replaced
/// by the best of `candidates` words drawn (seeded) from the vocabulary, judged by the mean
/// router score P(label) over `sample` training questions with the gadget appended (lower =
/// more routing to the strong model); a replacement is kept only when it lowers the mean.
/// This is the greedy coordinate search of Shafran et al. §4 with the router's own score as
/// the objective (they use the score of the confounder alone; on our bag-of-n-grams router
/// the appended text's features add to the question's, so the whole query is scored).
///
/// Perplexity filter (the defence Shafran et al. §7 evaluate): bits per byte of a query
/// under a byte-level LM trained on clean training questions; a query above the threshold
/// (the clean held-out queries' `1 − fpr` quantile) is flagged. Two statistics: the whole
/// query's bits per byte, and the largest over windows of kFilterWindow bytes (stride half
/// a window), which a short gadget in a long query moves more.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/kernels/char_lm.hpp"
#include "sim/kernels/question_corpus.hpp"
#include "sim/kernels/router_training.hpp"

namespace collabsim::kernels {

/// Window of the windowed filter statistic, bytes.
inline constexpr std::size_t kFilterWindow = 64;

/// Largest bits per byte of `lm` over windows of kFilterWindow bytes of `text` (stride
/// kFilterWindow / 2; the whole text when shorter; contexts start inside each window).
double max_window_bpb(const CharLm& lm, const std::string& text);

struct GadgetSearchConfig {
  int tokens = 10;             ///< words in the gadget
  int passes = 2;              ///< passes over the positions
  std::size_t candidates = 200;  ///< words tried per position and pass
  std::size_t sample = 200;    ///< training questions the objective averages over
  std::uint64_t seed = 1;
};

struct Gadget {
  std::string text;            ///< the words, space-separated
  double mean_score_clean = 0; ///< mean P(label) on the search sample without the gadget
  double mean_score = 0;       ///< with it
};

/// `q` with " " + `gadget` appended to its question text (options unchanged).
Question with_gadget(const Question& q, const std::string& gadget);

/// The `n` most frequent lower-cased words (ASCII letters only, 3–12 letters) of the
/// questions' texts, most frequent first (ties by word).
std::vector<std::string> frequent_words(const std::vector<const Question*>& questions, std::size_t n);

/// White-box greedy search (see file comment). Throws std::invalid_argument for an empty
/// vocabulary or sample, tokens < 1 or candidates < 1.
Gadget find_gadget(const RouterKernel& router, const std::vector<const Question*>& sample,
                   const std::vector<std::string>& vocabulary, const GadgetSearchConfig& cfg);

/// Share of `questions` the router sends to the strong model (score < threshold), with the
/// gadget appended when it is non-empty.
double strong_share(const RouterKernel& router, const std::vector<const Question*>& questions,
                    const std::string& gadget, double threshold);

/// The whole experiment of `collabsim attack-router`.
struct AttackConfig {
  std::filesystem::path questions;  ///< mmlu_pro_questions.jsonl
  std::filesystem::path white_box;  ///< router weights the gadget is searched on
  std::filesystem::path black_box;  ///< router trained with another seed (transfer); empty = none
  double threshold = 0.5;           ///< the router sends score < threshold to the strong model
  std::size_t vocabulary = 2000;    ///< frequent training-split words the search draws from
  GadgetSearchConfig search;
  std::int64_t lm_steps = 3000;     ///< Adam steps of the filter's byte LM (student shape 6/16/96)
  double fpr = 0.01;                ///< the filter's target false-positive rate
};

struct AttackReport {
  Gadget gadget;
  std::size_t n_held_out = 0;               ///< questions outside every router's training split
  double white_clean = 0, white_attacked = 0;  ///< strong-model share on them, without / with gadget
  double black_clean = 0, black_attacked = 0;  ///< the same for the black-box router (NaN without)
  /// One filter statistic, evaluated.
  struct Filter {
    double median_clean = 0, median_attacked = 0;  ///< bits per byte
    double threshold = 0;        ///< set on the first half of the clean held-out queries
    double detection_rate = 0;   ///< attacked queries (second half) above it
    double false_positive_rate = 0;  ///< clean queries (second half) above it
  };
  Filter whole;     ///< whole-query bits per byte
  Filter windowed;  ///< max_window_bpb
  double seconds = 0;
};

/// Searches a gadget on the white-box router over its training split, measures its effect
/// on held-out questions (outside the training split of both routers: router_training's
/// 80/20 split by the weights' seed) for both routers, and evaluates the perplexity
/// filter: a byte LM (char_lm.hpp) trained on the white-box router's training split, the
/// threshold at the 1 − fpr quantile of clean bits per byte on half the held-out queries,
/// detection and false-positive rates on the other half. Throws InputError for missing
/// or invalid files.
AttackReport attack_router(const AttackConfig& cfg);

}  // namespace collabsim::kernels
