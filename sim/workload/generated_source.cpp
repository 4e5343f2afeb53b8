#include "sim/workload/generated_source.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include <fmt/format.h>

#include "sim/config/choice.hpp"
#include "sim/core/error.hpp"
#include "sim/core/rng.hpp"
#include "sim/core/time.hpp"

namespace collabsim::workload {

double diurnal_integral(double t, double rate, double a, double period, double phase) {
  const double w = 2 * std::numbers::pi / period;
  return rate * (t + a / w * (std::cos(-w * phase) - std::cos(w * (t - phase))));
}

double diurnal_inverse(double u, double rate, double a, double period, double phase) {
  // |Λ(t) − rate·t| ≤ rate·2A/w = rate·A·period/π brackets the root.
  const double slack = a * period / std::numbers::pi;
  double lo = std::max(0.0, u / rate - slack), hi = u / rate + slack;
  double t = std::clamp(u / rate, lo, hi);
  const double w = 2 * std::numbers::pi / period;
  for (int i = 0; i < 200; ++i) {
    const double f = diurnal_integral(t, rate, a, period, phase) - u;
    if (f > 0)
      hi = t;
    else
      lo = t;
    if (hi - lo < 1e-9) break;
    const double d = rate * (1 + a * std::sin(w * (t - phase)));
    double next = d > 0 ? t - f / d : 0.5 * (lo + hi);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    t = next;
  }
  return t;
}

namespace {

/// Draws (prompt, output) tokens for request `id` from its own stream, with the drawer of
/// the workload's length source (length_source.hpp).
class LengthSampler {
 public:
  LengthSampler(const GeneratedWorkload& w, std::span<const TraceRecord> pool)
      : seed_(w.seed), drawer_(w.lengths.source->make(w, pool)) {}
  void draw(std::uint64_t id, SourceRequest& r) const {
    RngStream rng(seed_, "generated_lengths", id);
    drawer_->draw(rng, r);
  }

 private:
  std::uint64_t seed_;
  std::unique_ptr<LengthDrawer> drawer_;
};

/// Common part of the open sources: lengths, duration bound, expected count.
class OpenSource : public RequestSource {
 public:
  OpenSource(const GeneratedWorkload& w, std::span<const TraceRecord> pool)
      : w_(w), lengths_(w, pool), rng_(w.seed, "generated_arrivals", 0) {}
  std::optional<SourceRequest> next(std::size_t, std::int64_t) override {
    if (done_) return std::nullopt;
    const std::optional<double> t = next_arrival_s();
    if (!t || (w_.duration > 0 && *t >= w_.duration)) {
      done_ = true;
      return std::nullopt;
    }
    if (!(*t <= kMaxTraceSpanNs * 1e-9))  // W1: never end the workload early without a word
      throw LimitError("workload.arrivals.rate",
                       fmt::format("the generated workload's next arrival is at t = {:.6g} s, past the end of the "
                                   "simulated clock ({:.6g} s): the arrival rate is too low to produce the requests "
                                   "asked for (workload.limit = {}); raise the rate or set workload.duration",
                                   *t, kMaxTraceSpanNs * 1e-9, w_.limit));
    SourceRequest r;
    r.arrival_ns = std::max(last_ns_, from_seconds(*t));
    last_ns_ = r.arrival_ns;
    return r;
  }
  void assign(std::uint64_t id, SourceRequest& r) override { lengths_.draw(id, r); }

 protected:
  /// Next arrival in simulated s (non-decreasing), std::nullopt at the end.
  virtual std::optional<double> next_arrival_s() = 0;
  std::uint64_t bounded(double expected) const {
    if (w_.limit > 0 && (expected <= 0 || expected > static_cast<double>(w_.limit)))
      return static_cast<std::uint64_t>(w_.limit);
    return static_cast<std::uint64_t>(std::llround(expected));
  }
  GeneratedWorkload w_;
  LengthSampler lengths_;
  RngStream rng_;
  std::int64_t last_ns_ = 0;
  bool done_ = false;
};

/// Poisson, gamma or Weibull renewal arrivals, optionally diurnally modulated.
class RenewalSource final : public OpenSource {
 public:
  RenewalSource(const GeneratedWorkload& w, std::span<const TraceRecord> pool)
      : OpenSource(w, pool),
        gap_(w.arrivals.process->gap, 1.0,
             w.arrivals.cv),
        rate_(w.arrivals.rate * w.rate_scale) {}
  std::uint64_t expected_requests() const override { return bounded(w_.duration * rate_); }
  double horizon_s() const override {
    return w_.duration > 0 ? w_.duration : (w_.limit > 0 ? static_cast<double>(w_.limit) / rate_ : 0.0);
  }

 private:
  std::optional<double> next_arrival_s() override {
    u_ += gap_.sample(rng_);
    const ArrivalSpec& a = w_.arrivals;
    if (a.diurnal_amplitude <= 0) return u_ / rate_;
    return diurnal_inverse(u_, rate_, a.diurnal_amplitude, a.diurnal_period, a.diurnal_phase);
  }
  Distribution gap_;
  double rate_;
  double u_ = 0;  ///< operational time: Σ unit-mean gaps
};

/// ServeGen's piecewise rate by time-rescaling.
class ServegenSource final : public OpenSource {
 public:
  ServegenSource(const GeneratedWorkload& w, std::vector<ServegenWindow> windows, std::span<const TraceRecord> pool)
      : OpenSource(w, pool), win_(std::move(windows)) {
    end_ = w.end > 0 ? std::min(w.end, win_.back().end_s) : win_.back().end_s;
    t_ = w.start;
    for (const auto& x : win_)
      gaps_.emplace_back(x.family, 1.0, std::clamp(x.cv, kMinCv, kMaxCv));
    while (k_ < win_.size() && win_[k_].end_s <= t_) ++k_;
    for (const auto& x : win_) {
      const double lo = std::max(x.start_s, w.start), hi = std::min(x.end_s, end_);
      if (hi > lo) expected_ += diurnal() ? lambda(x.rate, hi) - lambda(x.rate, lo) : x.rate * (hi - lo);
    }
    if (!(expected_ > 0))
      throw InputError(w.arrivals.pos, "workload.arrivals.servegen_file",
                       "no window of the ServeGen file has requests between workload.start and workload.end");
  }
  std::uint64_t expected_requests() const override { return bounded(expected_); }
  double horizon_s() const override { return (end_ - w_.start) / w_.rate_scale; }

 private:
  std::optional<double> next_arrival_s() override {
    std::size_t j = k_;  // the gap takes the family and cv of the first busy window from here
    while (j < win_.size() && win_[j].rate <= 0) ++j;
    if (j == win_.size()) return std::nullopt;
    double g = gaps_[j].sample(rng_);
    for (;;) {
      if (k_ == win_.size() || t_ >= end_) return std::nullopt;
      const ServegenWindow& x = win_[k_];
      const double cap =
          diurnal() ? lambda(x.rate, x.end_s) - lambda(x.rate, t_) : x.rate * (x.end_s - t_);
      if (x.rate > 0 && g <= cap) {
        t_ = std::min(diurnal() ? inverse(x.rate, lambda(x.rate, t_) + g) : t_ + g / x.rate, x.end_s);
        break;
      }
      g -= std::max(cap, 0.0);
      t_ = x.end_s;
      ++k_;
    }
    if (t_ >= end_) return std::nullopt;
    return (t_ - w_.start) / w_.rate_scale;
  }
  /// Diurnal modulation of the window rates (arrivals.diurnal_*, on the file's clock):
  /// λ(t) = rate_k·(1 + A sin(2π(t − phase)/period)) in window k; Λ restricted to a window
  /// is diurnal_integral with that window's rate, so a gap consumed within window k ends
  /// at diurnal_inverse(Λ_k(t₀) + g). Without modulation the arithmetic is the one from
  /// before the modulation existed (rate·(t₁ − t₀)), so results are bit-identical.
  bool diurnal() const { return w_.arrivals.diurnal_amplitude > 0; }
  double lambda(double rate, double t) const {
    const auto& a = w_.arrivals;
    return diurnal() ? diurnal_integral(t, rate, a.diurnal_amplitude, a.diurnal_period, a.diurnal_phase) : rate * t;
  }
  double inverse(double rate, double u) const {
    const auto& a = w_.arrivals;
    return diurnal_inverse(u, rate, a.diurnal_amplitude, a.diurnal_period, a.diurnal_phase);
  }
  std::vector<ServegenWindow> win_;
  std::vector<Distribution> gaps_;
  std::size_t k_ = 0;  ///< window holding t_
  double t_ = 0;       ///< s on the file's clock
  double end_ = 0;
  double expected_ = 0;
};

/// N users, each issuing its next request a think time after its previous answer (the
/// first one a think time after k·ramp/N for user k).
///
/// Memory (issue 23, M3). Before any request the source holds only the order in which the
/// users begin (16 bytes per user that sends anything: its first arrival and index, sorted),
/// not a stream per user: user k's first think time is drawn from a temporary copy of its
/// stream ("generated_think", k). A user's stream state (its think-time RNG) is created on
/// its first request, by drawing that first think time again from a fresh copy (the same
/// value), and dropped when the user's stream ends. run_scenario starts the user's process
/// at its first arrival (RequestSource::next_start), so the sequence of think times, hence
/// every arrival, is the one of a source that kept all N streams from t = 0.
class ClosedLoopSource final : public RequestSource {
 public:
  ClosedLoopSource(const GeneratedWorkload& w, std::span<const TraceRecord> pool)
      : w_(w), lengths_(w, pool), n_(static_cast<std::size_t>(w.arrivals.users)) {
    if (w.arrivals.think_time > 0)
      think_.emplace(dist_kind(w.arrivals.think_distribution), w.arrivals.think_time, 1.0);
    starts_.reserve(n_);
    for (std::size_t u = 0; u < n_; ++u) {
      RngStream rng(w.seed, "generated_think", u);
      const std::int64_t at = first_arrival_ns(u, rng);
      if (sends(at)) starts_.push_back(Start{at, static_cast<std::uint32_t>(u)});
    }
    std::sort(starts_.begin(), starts_.end(),
              [](const Start& a, const Start& b) { return a.at < b.at || (a.at == b.at && a.user < b.user); });
  }
  std::size_t streams() const override { return n_; }
  bool closed_loop() const override { return true; }
  std::optional<StreamStart> next_start() override {
    if (next_start_ == starts_.size()) {
      std::vector<Start>().swap(starts_);  // every user has begun: the order is no longer needed
      next_start_ = 0;
      return std::nullopt;
    }
    const Start& s = starts_[next_start_++];
    return StreamStart{s.user, s.at};
  }
  std::optional<SourceRequest> next(std::size_t user, std::int64_t now_ns) override {
    SourceRequest r;
    auto it = rng_.find(user);
    if (it == rng_.end()) {  // the user's first request: its stream state begins here
      it = rng_.emplace(user, RngStream(w_.seed, "generated_think", user)).first;
      r.arrival_ns = first_arrival_ns(user, it->second);
    } else {
      r.arrival_ns = now_ns + from_seconds(think_ ? think_->sample(it->second) : 0.0);
    }
    if (!sends(r.arrival_ns)) {
      rng_.erase(it);
      return std::nullopt;
    }
    return r;
  }
  void assign(std::uint64_t id, SourceRequest& r) override { lengths_.draw(id, r); }
  std::uint64_t expected_requests() const override { return w_.limit > 0 ? static_cast<std::uint64_t>(w_.limit) : 0; }
  double horizon_s() const override { return w_.duration; }
  std::size_t streams_with_state() const override { return rng_.size(); }

 private:
  struct Start {
    std::int64_t at;     ///< ns, first arrival
    std::uint32_t user;  ///< < 10^6 (workload.arrivals.users' bound)
  };
  /// User u's first arrival: its first think time (from `rng`, u's fresh stream) after
  /// u·ramp/N (the staggered start).
  std::int64_t first_arrival_ns(std::size_t u, RngStream& rng) const {
    double z = think_ ? think_->sample(rng) : 0.0;
    z += w_.arrivals.ramp * static_cast<double>(u) / static_cast<double>(n_);
    return from_seconds(z);
  }
  /// A request arriving at `at` ns is sent (before workload.duration and the clock's end).
  bool sends(std::int64_t at) const {
    return !(w_.duration > 0 && at >= from_seconds(w_.duration)) && at <= kMaxTraceSpanNs;
  }
  GeneratedWorkload w_;
  LengthSampler lengths_;
  std::size_t n_;
  std::vector<Start> starts_;  ///< users that send anything, by first arrival (ties by index)
  std::size_t next_start_ = 0;
  std::unordered_map<std::size_t, RngStream> rng_;  ///< think-time stream of each begun user
  std::optional<Distribution> think_;
};

/// Factories of the arrival_processes() rows.
template <class Source>
std::unique_ptr<RequestSource> make_source(const GeneratedWorkload& w, std::vector<ServegenWindow> windows,
                                           std::span<const TraceRecord> length_pool) {
  if constexpr (std::is_same_v<Source, ServegenSource>)
    return std::make_unique<ServegenSource>(w, std::move(windows), length_pool);
  else
    return std::make_unique<Source>(w, length_pool);
}

}  // namespace

std::span<const ArrivalProcessInfo> arrival_processes() {
  static const ArrivalProcessInfo kRows[] = {
      {"poisson", "renewal process with exponential gaps (cv 1)", true, DistKind::Exponential, false, false,
       make_source<RenewalSource>},
      {"gamma", "renewal process with gamma gaps of the given cv", true, DistKind::Gamma, false, false,
       make_source<RenewalSource>},
      {"weibull", "renewal process with Weibull gaps of the given cv", true, DistKind::Weibull, false, false,
       make_source<RenewalSource>},
      {"servegen", "a ServeGen per-client window file (piecewise rate and cv)", false, DistKind::Exponential, true,
       false, make_source<ServegenSource>},
      {"closed_loop", "N closed-loop users, each waiting for its answer and a think time", false,
       DistKind::Exponential, false, true, make_source<ClosedLoopSource>},
  };
  return kRows;
}

const ArrivalProcessInfo& arrival_process_named(const std::string& name) {
  return choice_row(arrival_processes(), name, "arrival process");
}

std::unique_ptr<RequestSource> make_generated_source(const GeneratedWorkload& w, std::vector<ServegenWindow> windows,
                                                     std::span<const TraceRecord> length_pool) {
  return w.arrivals.process->make(w, std::move(windows), length_pool);
}

}  // namespace collabsim::workload
