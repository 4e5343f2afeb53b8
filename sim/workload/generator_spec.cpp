#include "sim/workload/generator_spec.hpp"

#include "sim/config/choice.hpp"
#include "sim/workload/distribution.hpp"
#include "sim/workload/trace_formats.hpp"
#include "sim/workload/trace_record.hpp"

namespace collabsim::workload {

std::span<const Field> arrival_fields() {
  static const std::vector<Field> f = {
      Field::text("process", arrival_processes().front().name, choice_help("arrival process", arrival_processes()),
                  choice_names(arrival_processes())),
      Field::real("rate", 1.0, "1/s", "mean arrival rate (poisson, gamma, weibull)", 1e-9, 1e9),
      Field::real("cv", 1.0, "1", "coefficient of variation of the inter-arrival gaps (gamma, weibull)", kMinCv,
                  kMaxCv),
      Field::text("servegen_file", "",
                  "servegen: a chunk-<client>-trace.csv of ServeGen (window_start_s, rate, cv, pattern, "
                  "param1, param2), relative to the data dir"),
      Field::real("diurnal_amplitude", 0.0, "1",
                  "relative amplitude A of a sinusoidal rate rate·(1 + A sin(2π(t − phase)/period)), by "
                  "time-rescaling (poisson, gamma, weibull; servegen: multiplies each window's rate, on the "
                  "file's clock; 0 = stationary)",
                  0.0, 0.999),
      Field::quantity("diurnal_period", "1 d", Dimension::Time, "period of the diurnal modulation", 1e-3),
      Field::quantity("diurnal_phase", "0 s", Dimension::Time,
                      "shift of the sinusoid (the rate peaks at phase + period/4)"),
      Field::integer("users", 0, "users", "closed_loop: number of users, each waiting for its answer", 0, 1e6),
      Field::quantity("think_time", "0 s", Dimension::Time,
                      "closed_loop: mean think time between an answer and the user's next request"),
      Field::text("think_distribution", "exponential", "closed_loop: distribution of the think time",
                  {"exponential", "deterministic"}),
      Field::quantity("ramp", "0 s", Dimension::Time,
                      "closed_loop: user k's first request arrives k*ramp/N later (staggered start; 0 = all at 0)", 0.0),
  };
  return f;
}

std::span<const Field> length_fields() {
  static const std::vector<Field> f = {
      Field::text("source", length_sources().front().name, choice_help("prompt/output lengths", length_sources()),
                  choice_names(length_sources())),
      Field::real("prompt_mu", kAzureConvPromptMu, "ln tokens", "lognormal: mean of ln(prompt tokens)", -10, 20),
      Field::real("prompt_sigma", kAzureConvPromptSigma, "ln tokens", "lognormal: std of ln(prompt tokens)", 0, 10),
      Field::real("output_mu", kAzureConvOutputMu, "ln tokens", "lognormal: mean of ln(output tokens)", -10, 20),
      Field::real("output_sigma", kAzureConvOutputSigma, "ln tokens", "lognormal: std of ln(output tokens)", 0, 10),
      Field::integer("prompt_tokens", 1000, "tokens", "fixed: prompt tokens", 0,
                     static_cast<double>(kMaxRequestTokens)),
      Field::integer("output_tokens", 200, "tokens", "fixed: output tokens", 0,
                     static_cast<double>(kMaxRequestTokens)),
      Field::text("trace", "", "trace: file whose (prompt, output) rows are resampled, relative to the data dir"),
      Field::text("trace_format", "azure_csv", "trace: its format", trace_format_names()),
      Field::text("dataset", "",
                  "servegen: a chunk-<client>-dataset.json of ServeGen (per-window prompt and output length "
                  "PMFs, drawn independently), relative to the data dir"),
  };
  return f;
}

std::span<const Field> service_fields() {
  static const std::vector<Field> f = {
      Field::text("distribution", "none",
                  "each request's service time, served by deployments with latency = \"service_time\" "
                  "(none = from tokens and the latency model)",
                  {"none", "exponential", "deterministic", "lognormal"}),
      Field::quantity("mean", "0 s", Dimension::Time, "mean service time"),
      Field::real("cv", 1.0, "1", "lognormal: coefficient of variation of the service time", kMinCv, kMaxCv),
  };
  return f;
}

ArrivalSpec arrival_from(const ParamSet& p, const std::string& ctx) {
  ArrivalSpec a;
  a.process = &arrival_process_named(p.text("process"));
  const ArrivalProcessInfo& proc = *a.process;
  a.rate = p.number("rate");
  a.cv = p.number("cv");
  a.diurnal_amplitude = p.number("diurnal_amplitude");
  a.diurnal_period = p.number("diurnal_period");
  a.diurnal_phase = p.number("diurnal_phase");
  a.users = p.integer("users");
  a.think_time = p.number("think_time");
  a.think_distribution = p.text("think_distribution");
  a.ramp = p.number("ramp");
  const bool renewal = proc.renewal;
  if (renewal && proc.gap == DistKind::Exponential && p.given("cv") && a.cv != 1.0)
    throw InputError(p.pos("cv"), ctx + ".cv", "a Poisson process has cv 1; use process = \"gamma\" or \"weibull\"");
  if (!renewal && !proc.reads_windows && a.diurnal_amplitude > 0)
    throw InputError(p.pos("diurnal_amplitude"), ctx + ".diurnal_amplitude",
                     "diurnal modulation applies to poisson, gamma, weibull and servegen arrivals (a closed loop's "
                     "rate follows its users)");
  if (proc.reads_windows && p.text("servegen_file").empty())
    throw InputError(p.pos("process"), ctx + ".servegen_file", "process \"servegen\" needs a servegen_file");
  if (!proc.reads_windows && !p.text("servegen_file").empty())
    throw InputError(p.pos("servegen_file"), ctx + ".servegen_file", "only process \"servegen\" reads a window file");
  if (proc.closed_loop && a.users < 1)
    throw InputError(p.given("users") ? p.pos("users") : p.pos("process"), ctx + ".users",
                     "a closed loop needs users ≥ 1");
  if (!proc.closed_loop && p.given("ramp"))
    throw InputError(p.pos("ramp"), ctx + ".ramp", "only process \"closed_loop\" has a ramp");
  if (!proc.closed_loop && (p.given("users") || p.given("think_time")))
    throw InputError(p.given("users") ? p.pos("users") : p.pos("think_time"),
                     ctx + (p.given("users") ? ".users" : ".think_time"), "only process \"closed_loop\" has users");
  for (const char* k : {"rate", "cv"})
    if (!renewal && p.given(k))
      throw InputError(p.pos(k), ctx + "." + k,
                       std::string("process \"") + proc.name + "\" takes no " + k +
                           (proc.reads_windows ? " (the window file gives each window's rate and cv)" : ""));
  a.pos = p.pos("process");
  return a;
}

LengthSpec length_from(const ParamSet& p, const std::string& ctx) {
  LengthSpec l;
  l.source = &length_source_named(p.text("source"));
  const LengthSourceInfo& src = *l.source;
  l.prompt_mu = p.number("prompt_mu");
  l.prompt_sigma = p.number("prompt_sigma");
  l.output_mu = p.number("output_mu");
  l.output_sigma = p.number("output_sigma");
  l.prompt_tokens = p.integer("prompt_tokens");
  l.output_tokens = p.integer("output_tokens");
  l.trace_format = p.text("trace_format");
  if (src.reads_trace && p.text("trace").empty())
    throw InputError(p.pos("source"), ctx + ".trace", "source \"" + std::string(src.name) + "\" needs a trace file");
  if (!src.reads_trace && p.given("trace"))
    throw InputError(p.pos("trace"), ctx + ".trace", "only source = \"trace\" reads a trace file");
  if (src.reads_dataset && p.text("dataset").empty())
    throw InputError(p.pos("source"), ctx + ".dataset",
                     "source \"" + std::string(src.name) + "\" needs a ServeGen dataset file");
  if (!src.reads_dataset && p.given("dataset"))
    throw InputError(p.pos("dataset"), ctx + ".dataset", "only source = \"servegen\" reads a dataset file");
  l.pos = p.pos("source");
  return l;
}

ServiceSpec service_from(const ParamSet& p, const std::string& ctx) {
  ServiceSpec s;
  s.distribution = p.text("distribution");
  s.mean = p.number("mean");
  s.cv = p.number("cv");
  if (s.distribution != "none" && !(s.mean > 0))
    throw InputError(p.given("mean") ? p.pos("mean") : p.pos("distribution"), ctx + ".mean",
                     "a service-time distribution needs mean > 0");
  if (s.distribution != "lognormal" && p.given("cv") && !(s.distribution == "exponential" && s.cv == 1.0))
    throw InputError(p.pos("cv"), ctx + ".cv", "only the lognormal service time takes a cv");
  s.pos = p.pos("distribution");
  return s;
}

}  // namespace collabsim::workload
