#include "sim/workload/length_source.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/config/choice.hpp"
#include "sim/workload/generated_source.hpp"
#include "sim/workload/servegen_lengths.hpp"

namespace collabsim::workload {
namespace {

/// Lognormal prompt and output lengths: exp(μ + σ·z) rounded to the nearest token and
/// clamped to [1, kMaxRequestTokens] (defaults: the Azure 2023 conversation fit,
/// generator_spec.hpp).
class LognormalLengths : public LengthDrawer {
 public:
  explicit LognormalLengths(const LengthSpec& s) : s_(s) {}
  void draw(RngStream& rng, SourceRequest& r) const override {
    r.prompt_tokens = tokens(rng, s_.prompt_mu, s_.prompt_sigma);
    r.output_tokens = tokens(rng, s_.output_mu, s_.output_sigma);
  }

 private:
  static std::int64_t tokens(RngStream& rng, double mu, double sigma) {
    const double x = std::exp(mu + sigma * rng.normal());
    return std::clamp<std::int64_t>(std::llround(std::min(x, 1e15)), 1, kMaxRequestTokens);
  }
  LengthSpec s_;
};

/// The same prompt and output tokens for every request (draws nothing).
class FixedLengths : public LengthDrawer {
 public:
  explicit FixedLengths(const LengthSpec& s) : prompt_(s.prompt_tokens), output_(s.output_tokens) {}
  void draw(RngStream&, SourceRequest& r) const override {
    r.prompt_tokens = prompt_;
    r.output_tokens = output_;
  }

 private:
  std::int64_t prompt_, output_;
};

/// A uniformly drawn row of a trace: the empirical joint distribution of prompt and output.
class TraceLengths : public LengthDrawer {
 public:
  explicit TraceLengths(std::span<const TraceRecord> pool) : pool_(pool) {}
  void draw(RngStream& rng, SourceRequest& r) const override {
    const TraceRecord& row = pool_[rng.below(pool_.size())];
    r.prompt_tokens = row.prompt_tokens;
    r.output_tokens = row.output_tokens;
  }

 private:
  std::span<const TraceRecord> pool_;
};

/// ServeGen per-window PMFs (servegen_lengths.hpp). Requests are placed on the client's
/// clock as the ServeGen arrivals are: the run's time × rate_scale from workload.start
/// when the arrivals read a ServeGen window file too; other processes: the run's own time.
class ServegenLengths : public LengthDrawer {
 public:
  explicit ServegenLengths(const GeneratedWorkload& w) : pmf_(read_servegen_lengths(w.lengths.dataset)) {
    if (w.arrivals.process->reads_windows) {
      clock_start_ = w.start;
      clock_scale_ = w.rate_scale;
    }
  }
  void draw(RngStream& rng, SourceRequest& r) const override {
    const double clock = clock_start_ + static_cast<double>(r.arrival_ns) * 1e-9 * clock_scale_;
    draw_servegen_lengths(pmf_, clock, rng, r.prompt_tokens, r.output_tokens);
  }

 private:
  std::vector<ServegenLengthWindow> pmf_;
  double clock_start_ = 0, clock_scale_ = 1;
};

std::unique_ptr<LengthDrawer> make_lognormal(const GeneratedWorkload& w, std::span<const TraceRecord>) {
  return std::make_unique<LognormalLengths>(w.lengths);
}
std::unique_ptr<LengthDrawer> make_fixed(const GeneratedWorkload& w, std::span<const TraceRecord>) {
  return std::make_unique<FixedLengths>(w.lengths);
}
std::unique_ptr<LengthDrawer> make_trace(const GeneratedWorkload&, std::span<const TraceRecord> pool) {
  return std::make_unique<TraceLengths>(pool);
}
std::unique_ptr<LengthDrawer> make_servegen(const GeneratedWorkload& w, std::span<const TraceRecord>) {
  return std::make_unique<ServegenLengths>(w);
}

}  // namespace

std::span<const LengthSourceInfo> length_sources() {
  static const LengthSourceInfo kRows[] = {
      {"lognormal", "lognormal prompt and output lengths (defaults fitted to Azure 2023 conversation)", false, false,
       make_lognormal},
      {"fixed", "prompt_tokens and output_tokens for every request", false, false, make_fixed},
      {"trace", "a uniformly drawn row of a trace file (the empirical joint distribution)", true, false, make_trace},
      {"servegen", "a ServeGen dataset file's per-window prompt and output length distributions", false, true,
       make_servegen},
  };
  return kRows;
}

const LengthSourceInfo& length_source_named(const std::string& name) {
  return choice_row(length_sources(), name, "length source");
}

}  // namespace collabsim::workload
