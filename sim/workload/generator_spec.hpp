#pragma once
/// \file generator_spec.hpp
/// The keys of a generated workload (`workload.format = "generated"`), declared once:
/// `[workload.arrivals]` (arrival process), `[workload.lengths]` (prompt and output
/// lengths) and `[workload.service]` (a service time per request, for queueing studies;
/// any format). Units, parameterisations and sources: docs/WORKLOADS.md.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "sim/config/params.hpp"
#include "sim/workload/arrival_process.hpp"
#include "sim/workload/length_source.hpp"

namespace collabsim::workload {

/// Azure LLM inference trace 2023, conversation service (19,366 requests; Patel et al.,
/// Splitwise, ISCA 2024): maximum-likelihood lognormal fits of the token counts, i.e. the
/// mean and the population standard deviation of ln(tokens) over all rows (no row has 0
/// tokens). Prompt: μ = 6.6333, σ = 0.9852 (median e^μ ≈ 760; trace median 1020, mean
/// 1155). Output: μ = 5.0190, σ = 0.8590 (trace median 129, mean 211). Fitted for this
/// project with numpy on data/AzureLLMInferenceTrace_conv.csv (docs/WORKLOADS.md).
inline constexpr double kAzureConvPromptMu = 6.6333, kAzureConvPromptSigma = 0.9852;
inline constexpr double kAzureConvOutputMu = 5.0190, kAzureConvOutputSigma = 0.8590;

struct ArrivalSpec {
  /// A row of arrival_processes() (arrival_process.hpp): "poisson" | "gamma" | "weibull" |
  /// "servegen" | "closed_loop".
  const ArrivalProcessInfo* process = &arrival_processes().front();
  double rate = 1.0;             ///< 1/s, mean arrival rate (poisson, gamma, weibull)
  double cv = 1.0;               ///< coefficient of variation of inter-arrival gaps (gamma, weibull)
  std::filesystem::path servegen;  ///< ServeGen chunk-<client>-trace.csv (resolved)
  double diurnal_amplitude = 0;  ///< relative amplitude A in [0, 1) of the rate's sinusoid
  double diurnal_period = 86400; ///< s
  double diurnal_phase = 0;      ///< s: the rate peaks at phase + period/4
  std::int64_t users = 0;        ///< closed loop: N users
  double think_time = 0;         ///< s, mean think time Z (closed loop)
  std::string think_distribution = "exponential";  ///< "exponential" | "deterministic"
  /// s (closed loop): user k's first request arrives k·ramp/N later (plus its think time),
  /// so the users do not all start in the same iteration; 0 = all at time 0.
  double ramp = 0;
  SourcePos pos;
};

struct LengthSpec {
  /// A row of length_sources() (length_source.hpp): "lognormal" | "fixed" | "trace" | "servegen".
  const LengthSourceInfo* source = &length_sources().front();
  double prompt_mu = kAzureConvPromptMu, prompt_sigma = kAzureConvPromptSigma;
  double output_mu = kAzureConvOutputMu, output_sigma = kAzureConvOutputSigma;
  std::int64_t prompt_tokens = 1000, output_tokens = 200;  ///< "fixed"
  std::string trace_format = "azure_csv";                  ///< "trace": its format
  std::filesystem::path trace;                             ///< "trace": the file (resolved)
  std::filesystem::path dataset;  ///< "servegen": a chunk-<client>-dataset.json (resolved; servegen_lengths.hpp)
  SourcePos pos;
};

struct ServiceSpec {
  /// "none" (service from the token counts and the latency model) | "exponential" |
  /// "deterministic" | "lognormal" (each request's service time, served by deployments
  /// with `latency = "service_time"`).
  std::string distribution = "none";
  double mean = 0;  ///< s
  double cv = 1;    ///< lognormal only
  SourcePos pos;
};

/// Keys of `[workload.arrivals]`, `[workload.lengths]`, `[workload.service]`.
std::span<const Field> arrival_fields();
std::span<const Field> length_fields();
std::span<const Field> service_fields();

/// Specs from validated values (file paths are the loader's: it resolves them against the
/// data folders). Throw InputError naming the key for combinations the fields alone cannot
/// express (a cv given to poisson, diurnal modulation of a ServeGen file, a closed loop
/// without users).
ArrivalSpec arrival_from(const ParamSet& p, const std::string& ctx);
LengthSpec length_from(const ParamSet& p, const std::string& ctx);
ServiceSpec service_from(const ParamSet& p, const std::string& ctx);

}  // namespace collabsim::workload
