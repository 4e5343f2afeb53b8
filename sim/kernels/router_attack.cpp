#include "sim/kernels/router_attack.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

#include <chrono>
#include <cmath>
#include <limits>

#include "sim/core/rng.hpp"
#include "sim/kernels/char_lm.hpp"
#include "sim/kernels/lm_pair.hpp"

namespace collabsim::kernels {

Question with_gadget(const Question& q, const std::string& gadget) {
  Question out = q;
  if (!gadget.empty()) out.text += " " + gadget;
  return out;
}

std::vector<std::string> frequent_words(const std::vector<const Question*>& questions, std::size_t n) {
  std::map<std::string, std::size_t> count;
  for (const Question* q : questions) {
    std::string w;
    auto flush = [&] {
      if (w.size() >= 3 && w.size() <= 12) ++count[w];
      w.clear();
    };
    for (const char c : q->text) {
      if (std::isalpha(static_cast<unsigned char>(c)))
        w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      else
        flush();
    }
    flush();
  }
  std::vector<std::pair<std::string, std::size_t>> v(count.begin(), count.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size() && i < n; ++i) out.push_back(v[i].first);
  return out;
}

namespace {

std::string join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

double mean_score(const RouterKernel& router, const std::vector<const Question*>& sample, const std::string& gadget) {
  double sum = 0;
  for (const Question* q : sample) sum += router.score(with_gadget(*q, gadget));
  return sum / static_cast<double>(sample.size());
}

}  // namespace

Gadget find_gadget(const RouterKernel& router, const std::vector<const Question*>& sample,
                   const std::vector<std::string>& vocabulary, const GadgetSearchConfig& cfg) {
  if (vocabulary.empty() || sample.empty() || cfg.tokens < 1 || cfg.candidates < 1)
    throw std::invalid_argument("find_gadget: empty vocabulary or sample, or no tokens/candidates");
  RngStream rng(cfg.seed, "gadget_search");
  std::vector<std::string> words(static_cast<std::size_t>(cfg.tokens), vocabulary.front());
  Gadget g;
  g.mean_score_clean = mean_score(router, sample, "");
  double best = mean_score(router, sample, join(words));
  for (int pass = 0; pass < cfg.passes; ++pass)
    for (std::size_t j = 0; j < words.size(); ++j)
      for (std::size_t c = 0; c < cfg.candidates; ++c) {
        const std::string keep = words[j];
        words[j] = vocabulary[rng.below(vocabulary.size())];
        const double s = mean_score(router, sample, join(words));
        if (s < best)
          best = s;
        else
          words[j] = keep;
      }
  g.text = join(words);
  g.mean_score = best;
  return g;
}

double strong_share(const RouterKernel& router, const std::vector<const Question*>& questions,
                    const std::string& gadget, double threshold) {
  if (questions.empty()) return 0;
  std::size_t strong = 0;
  for (const Question* q : questions) strong += router.score(with_gadget(*q, gadget)) < threshold;
  return static_cast<double>(strong) / static_cast<double>(questions.size());
}

namespace {

/// Linear-interpolation quantile q ∈ [0, 1] of v (sorted in place).
double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

double max_window_bpb(const CharLm& lm, const std::string& text) {
  if (text.size() <= kFilterWindow) return lm.bits_per_byte(text);
  double best = 0;
  for (std::size_t at = 0;; at += kFilterWindow / 2) {
    const std::size_t start = std::min(at, text.size() - kFilterWindow);
    best = std::max(best, lm.bits_per_byte(text.substr(start, kFilterWindow)));
    if (start + kFilterWindow >= text.size()) break;
  }
  return best;
}

AttackReport attack_router(const AttackConfig& cfg) {
  const auto t0 = std::chrono::steady_clock::now();
  AttackReport rep;
  const auto corpus = QuestionCorpus::load(cfg.questions);
  const auto white = RouterKernel::load(cfg.white_box);
  const auto black = cfg.black_box.empty() ? nullptr : RouterKernel::load(cfg.black_box);
  constexpr double kTestShare = 0.2;  // router_training's split
  std::vector<const Question*> train, held_out;
  for (const auto& q : corpus.questions()) {
    const bool white_test = in_test_split(q.id, white->seed(), kTestShare);
    if (!white_test) train.push_back(&q);
    else if (!black || in_test_split(q.id, black->seed(), kTestShare)) held_out.push_back(&q);
  }
  // The search sample: a seeded draw from the training split.
  std::vector<const Question*> sample = train;
  RngStream shuffle(cfg.search.seed, "gadget_sample");
  for (std::size_t i = sample.size(); i > 1; --i) std::swap(sample[i - 1], sample[shuffle.below(i)]);
  sample.resize(std::min(sample.size(), cfg.search.sample));
  rep.gadget = find_gadget(*white, sample, frequent_words(train, cfg.vocabulary), cfg.search);

  rep.n_held_out = held_out.size();
  rep.white_clean = strong_share(*white, held_out, "", cfg.threshold);
  rep.white_attacked = strong_share(*white, held_out, rep.gadget.text, cfg.threshold);
  rep.black_clean = rep.black_attacked = std::numeric_limits<double>::quiet_NaN();
  if (black) {
    rep.black_clean = strong_share(*black, held_out, "", cfg.threshold);
    rep.black_attacked = strong_share(*black, held_out, rep.gadget.text, cfg.threshold);
  }

  // Perplexity filter: a byte LM on the training split's text.
  std::string text;
  for (const Question* q : train) text += question_text(*q) + "\n";
  CharLm lm(CharLmShape{6, 16, 96}, cfg.search.seed ^ 0x9e3779b97f4a7c15ULL);
  train_lm(lm, text, cfg.lm_steps, 128, 2e-3f, cfg.search.seed);
  auto evaluate = [&](auto&& stat) {
    std::vector<double> calib, clean, attacked;
    for (std::size_t i = 0; i < held_out.size(); ++i) {
      if (i % 2 == 0) {
        calib.push_back(stat(question_text(*held_out[i])));
        continue;
      }
      clean.push_back(stat(question_text(*held_out[i])));
      attacked.push_back(stat(question_text(with_gadget(*held_out[i], rep.gadget.text))));
    }
    AttackReport::Filter f;
    f.threshold = quantile(calib, 1.0 - cfg.fpr);
    std::size_t det = 0, fp = 0;
    for (double b : attacked) det += b > f.threshold;
    for (double b : clean) fp += b > f.threshold;
    f.detection_rate = attacked.empty() ? 0 : static_cast<double>(det) / static_cast<double>(attacked.size());
    f.false_positive_rate = clean.empty() ? 0 : static_cast<double>(fp) / static_cast<double>(clean.size());
    f.median_clean = quantile(clean, 0.5);
    f.median_attacked = quantile(attacked, 0.5);
    return f;
  };
  rep.whole = evaluate([&](const std::string& t) { return lm.bits_per_byte(t); });
  rep.windowed = evaluate([&](const std::string& t) { return max_window_bpb(lm, t); });
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace collabsim::kernels
