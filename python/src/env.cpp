/// \file env.cpp
/// The engine side of collabsim.CollaborationEnv (python/collabsim/env.py, docs/PYTHON.md):
/// one episode is one run_scenario on a worker thread whose DecisionHook (decision.hpp)
/// hands each decision point's observation to Python and waits for the action. Exactly one
/// of the two threads runs at a time (a mutex and a condition variable pass the turn), so an
/// episode is as deterministic as a CLI run: the same scenario, seed and policy give the
/// same HDF5 result. Python waits with the GIL released.
///
/// Observation layout (names and units from `layout()`):
///   prompt_tokens (tokens); confidence (1, route/escalate: the mechanism's score);
///   category=<c> (1, one-hot over the quality table's categories);
///   text[k] (1, k < 2^text_bits: the hashed unigram/bigram/char-3-gram features of the
///   question the learned routers use, kernels/text_features.hpp) and log_chars (log(1 +
///   characters)) when text_bits > 0;
///   per deployment d: d.outstanding (requests asked and not answered), d.waiting
///   (requests queued, not admitted), d.running (sequences in service), d.expected_delay_s
///   (s: (outstanding / replicas up + 1) × the service time of prompt_tokens +
///   expected_output_tokens alone on an idle replica + the path's transfer time there and
///   back without queueing, waiting out an outage in progress (Network::arrival_time);
///   shortest-expected-delay estimate, Whitt 1986, as Context::pool_member);
///   per link l: l.up_bandwidth_Bps, l.down_bandwidth_Bps (bytes/s now), l.up (1 when up now);
///   time_s (s since the run started), time_of_day_s (time_s mod 86,400 s).

#include <cmath>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "python/src/bindings.hpp"
#include "sim/kernels/router_training.hpp"
#include "sim/kernels/text_features.hpp"
#include "sim/mechanisms/context.hpp"
#include "sim/mechanisms/decision.hpp"
#include "sim/study/run_scenario.hpp"

namespace py = pybind11;

namespace collabsim::python {
namespace {

/// A finished request, as the reward sees it.
struct Completion {
  std::uint64_t request_id = 0;
  double quality = 0, latency_s = 0, ttft_s = 0, cost_usd = 0, energy_j = 0;
  int status = 0, route = 0;
  bool escalated = false;
};

/// What Python gets back from reset()/step().
struct Turn {
  bool done = false;
  std::vector<double> obs;
  std::uint64_t request_id = 0;
  double time_s = 0;
  std::string category;
  std::vector<Completion> completed;
};

class EnvDriver final : public DecisionHook {
 public:
  EnvDriver(std::shared_ptr<LoadedScenario> sc, DecisionKind kind, int text_bits, double expected_output)
      : sc_(std::move(sc)), kind_(kind), text_bits_(text_bits), expected_output_(expected_output) {
    const Scenario& s = sc_->scenario;
    if (text_bits_ > 0 && s.quality.questions.empty())
      throw InputError(s.quality.pos, "quality.questions",
                       "text features read the question texts: set [quality] questions = "
                       "\"quality/mmlu_pro/mmlu_pro_questions.jsonl\" (or text_features = 0)");
    std::vector<std::string> cols;
    for (const auto& d : s.deployments) cols.push_back(d.quality_column);
    const auto table = sc_->inputs->quality(s.quality.table, cols, s.quality.format);
    std::set<std::string> cats;
    for (std::size_t row = 0; row < table->num_queries(); ++row) cats.insert(table->category(row));
    categories_.assign(cats.begin(), cats.end());
    if (text_bits_ > 0) features_.emplace(text_bits_, categories_);
    names_.push_back("prompt_tokens"), units_.push_back("tokens");
    if (kind_ != DecisionKind::offload) names_.push_back("confidence"), units_.push_back("1");
    for (const auto& c : categories_) names_.push_back("category=" + c), units_.push_back("1");
    if (text_bits_ > 0) {
      for (int k = 0; k < (1 << text_bits_); ++k) names_.push_back("text[" + std::to_string(k) + "]"), units_.push_back("1");
      names_.push_back("log_chars"), units_.push_back("1");
    }
    for (const auto& d : s.deployments)
      for (const auto& [n, u] : {std::pair{".outstanding", "requests"}, {".waiting", "requests"},
                                 {".running", "sequences"}, {".expected_delay_s", "s"}})
        names_.push_back(d.name + n), units_.push_back(u);
    for (const auto& l : s.links)
      for (const auto& [n, u] : {std::pair{".up_bandwidth_Bps", "bytes/s"}, {".down_bandwidth_Bps", "bytes/s"},
                                 {".up", "bool"}})
        names_.push_back(l.name + n), units_.push_back(u);
    names_.push_back("time_s"), units_.push_back("s");
    names_.push_back("time_of_day_s"), units_.push_back("s");
  }

  ~EnvDriver() override { abort(); }

  DecisionKind kind() const override { return kind_; }
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<std::string>& units() const { return units_; }
  const std::vector<std::string>& categories() const { return categories_; }
  std::size_t actions() const { return 2; }

  /// Starts an episode (abandoning a running one) and runs to its first decision.
  Turn reset() {
    abort();
    {
      std::lock_guard lk(mu_);
      state_ = State::simulating;
      error_ = nullptr;
      result_.reset();
      completed_.clear();
      decisions_ = 0;
    }
    worker_ = std::thread([this] { simulate(); });
    return wait_turn();
  }

  /// Resumes the simulation with `action` and runs to the next decision or the end.
  Turn step(std::size_t action) {
    {
      std::lock_guard lk(mu_);
      if (state_ != State::deciding)
        throw std::logic_error("CollaborationEnv.step(): no decision pending (call reset() first; the episode may be over)");
      if (action >= actions()) throw std::invalid_argument("CollaborationEnv.step(): action must be 0 or 1");
      action_ = action;
      state_ = State::simulating;
    }
    cv_.notify_all();
    return wait_turn();
  }

  /// The finished episode's HDF5 image (empty before the end).
  std::vector<unsigned char> image() const {
    std::lock_guard lk(mu_);
    return result_ ? result_->image : std::vector<unsigned char>{};
  }
  std::uint64_t decisions() const { return decisions_; }

  // Simulation thread.
  std::size_t decide(const DecisionPoint& p, Context& cx) override {
    std::unique_lock lk(mu_);
    if (state_ == State::aborting) return p.own;
    pending_ = observe(p, cx);
    ++decisions_;
    state_ = State::deciding;
    cv_.notify_all();
    cv_.wait(lk, [this] { return state_ != State::deciding; });
    // An abandoned episode (reset() or close() mid-run) finishes with the mechanism's own
    // rule: unwinding a run from inside a coroutine is not something the engine promises.
    if (state_ == State::aborting) return p.own;
    return action_;
  }

  void completed(const RequestRecord& rec) override {
    std::lock_guard lk(mu_);
    completed_.push_back(Completion{rec.request_id, rec.quality, rec.latency_s, rec.ttft_s, rec.cost_usd,
                                    rec.energy_j, static_cast<int>(rec.status), static_cast<int>(rec.route.index),
                                    rec.escalated});
  }

 private:
  enum class State { idle, simulating, deciding, finished, aborting };

  void simulate() {
    std::exception_ptr err;
    std::optional<RunResult> res;
    try {
      RunOptions ro;
      ro.inputs = sc_->inputs.get();
      ro.in_memory = true;
      ro.warn = false;
      ro.decisions = this;
      res = run_scenario(sc_->scenario, ro);
    } catch (...) {
      err = std::current_exception();
    }
    std::lock_guard lk(mu_);
    const bool aborted = state_ == State::aborting;
    error_ = aborted ? nullptr : err;
    if (res && !aborted) result_ = std::move(res);
    state_ = State::finished;
    cv_.notify_all();
  }

  Turn wait_turn() {
    Turn t;
    {
      py::gil_scoped_release release;
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return state_ == State::deciding || state_ == State::finished; });
      t.done = state_ == State::finished;
      if (!t.done) {
        t.obs = pending_.obs;
        t.request_id = pending_.request_id;
        t.time_s = pending_.time_s;
        t.category = pending_.category;
      }
      t.completed.swap(completed_);
    }
    if (t.done) {
      if (worker_.joinable()) worker_.join();
      if (error_) {
        state_ = State::idle;
        std::rethrow_exception(error_);
      }
    }
    return t;
  }

  void abort() {
    {
      std::lock_guard lk(mu_);
      if (state_ == State::deciding) state_ = State::aborting;
    }
    cv_.notify_all();
    if (worker_.joinable()) {
      py::gil_scoped_release release;
      worker_.join();
    }
  }

  Turn observe(const DecisionPoint& p, Context& cx) {
    const Request& r = *p.request;
    const Scenario& s = cx.scenario();
    Turn t;
    t.request_id = r.id;
    t.time_s = to_seconds(cx.engine().now());
    t.category = cx.table().category(r.quality_row);
    auto& o = t.obs;
    o.reserve(names_.size());
    o.push_back(static_cast<double>(r.prompt_tokens));
    if (kind_ != DecisionKind::offload) o.push_back(std::isnan(p.confidence) ? -1.0 : p.confidence);
    for (const auto& c : categories_) o.push_back(c == t.category ? 1.0 : 0.0);
    if (features_) {
      const std::size_t base = o.size(), hashed = std::size_t{1} << text_bits_;
      o.resize(base + hashed + 1, 0.0);
      if (const kernels::Question* q = cx.question(r)) {
        const std::string text = kernels::question_text(*q);
        const kernels::SparseVector v = features_->extract(text, q->category);
        for (std::size_t i = 0; i < v.index.size(); ++i)
          if (v.index[i] < hashed) o[base + v.index[i]] = v.value[i];
        o[base + hashed] = std::log1p(static_cast<double>(text.size()));
      }
    }
    const SimTime now = cx.engine().now();
    for (std::size_t d = 0; d < s.deployments.size(); ++d) {
      DeploymentServer& srv = cx.server(d);
      const ServerLoad l = srv.load();
      const double n = static_cast<double>(cx.outstanding(d));
      const bool per_user = srv.device().per_user;
      const int c = l.up_replicas > 0 ? l.up_replicas : std::max(1, srv.device().replicas);
      const auto out = static_cast<std::int64_t>(expected_output_);
      const std::size_t dev = cx.topology().deployment_device(d);
      double net = 0;
      if (dev != r.origin) {  // no queueing or jitter; an outage in progress is waited out
        const SimTime there = cx.network().arrival_time(r.origin, dev, cx.token_bytes(r.prompt_tokens), now);
        net = to_seconds(there - now) +
              to_seconds(cx.network().arrival_time(dev, r.origin, cx.token_bytes(out), there) - there);
      }
      const double service = srv.service_time(r.prompt_tokens, out);
      o.push_back(n);
      o.push_back(static_cast<double>(l.waiting));
      o.push_back(static_cast<double>(l.running));
      o.push_back((per_user ? 1.0 : n / c + 1.0) * service + net);
    }
    for (std::size_t k = 0; k < s.links.size(); ++k) {
      o.push_back(cx.network().bandwidth(k, true, now));
      o.push_back(cx.network().bandwidth(k, false, now));
      o.push_back(cx.network().outages(k).up(now) ? 1.0 : 0.0);
    }
    o.push_back(t.time_s);
    o.push_back(std::fmod(t.time_s, 86400.0));
    return t;
  }

  std::shared_ptr<LoadedScenario> sc_;
  DecisionKind kind_;
  int text_bits_;
  double expected_output_;
  std::vector<std::string> categories_, names_, units_;
  std::optional<kernels::TextFeatures> features_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::idle;
  std::size_t action_ = 0;
  Turn pending_;
  std::vector<Completion> completed_;
  std::exception_ptr error_;
  std::optional<RunResult> result_;
  std::uint64_t decisions_ = 0;
  std::thread worker_;
};

DecisionKind kind_of(const std::string& s) {
  if (s == "route") return DecisionKind::route;
  if (s == "escalate") return DecisionKind::escalate;
  if (s == "offload") return DecisionKind::offload;
  throw std::invalid_argument("decision must be \"route\", \"escalate\" or \"offload\", got \"" + s + "\"");
}

py::dict turn_dict(const Turn& t) {
  py::dict d;
  d["done"] = t.done;
  d["obs"] = t.obs;
  d["request_id"] = t.request_id;
  d["time_s"] = t.time_s;
  d["category"] = t.category;
  py::list done;
  for (const auto& c : t.completed) {
    py::dict e;
    e["request_id"] = c.request_id;
    e["quality"] = c.quality;
    e["latency_s"] = c.latency_s;
    e["ttft_s"] = c.ttft_s;
    e["cost_usd"] = c.cost_usd;
    e["energy_j"] = c.energy_j;
    e["status"] = c.status;
    e["route"] = c.route;
    e["escalated"] = c.escalated;
    done.append(e);
  }
  d["completed"] = done;
  return d;
}

}  // namespace

void bind_environment(py::module_& m) {
  py::class_<EnvDriver>(m, "EnvDriver", "the engine side of collabsim.CollaborationEnv (env.cpp)")
      .def(py::init([](std::shared_ptr<LoadedScenario> sc, const std::string& kind, int text_bits,
                       double expected_output) {
             if (text_bits < 0 || text_bits > 16) throw std::invalid_argument("text_features must be in [0, 16] bits");
             return std::make_unique<EnvDriver>(std::move(sc), kind_of(kind), text_bits, expected_output);
           }),
           py::arg("scenario"), py::arg("decision"), py::arg("text_bits"), py::arg("expected_output_tokens"))
      .def_property_readonly("names", &EnvDriver::names)
      .def_property_readonly("units", &EnvDriver::units)
      .def_property_readonly("categories", &EnvDriver::categories)
      .def_property_readonly("decisions", &EnvDriver::decisions)
      .def("reset", [](EnvDriver& e) { return turn_dict(e.reset()); })
      .def("step", [](EnvDriver& e, std::size_t a) { return turn_dict(e.step(a)); })
      .def("image", [](const EnvDriver& e) {
        const auto img = e.image();
        return py::bytes(reinterpret_cast<const char*>(img.data()), img.size());
      });
}

}  // namespace collabsim::python
