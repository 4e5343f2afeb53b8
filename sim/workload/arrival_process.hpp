#pragma once
/// \file arrival_process.hpp
/// The registry of arrival processes of a generated workload (`workload.arrivals.process`):
/// one ArrivalProcessInfo row per process (arrival_processes(), generated_source.cpp), the
/// single source of the key's allowed values, its help in `collabsim list`, the key rules
/// (which keys of [workload.arrivals] apply) and the RequestSource it builds. The loader
/// reads the name into a pointer to its row once (ArrivalSpec::process); nothing after
/// load compares the name. Parameterisations and sources: generated_source.hpp and
/// docs/WORKLOADS.md.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/workload/distribution.hpp"
#include "sim/workload/servegen_windows.hpp"
#include "sim/workload/trace_record.hpp"

namespace collabsim::workload {

class RequestSource;
struct GeneratedWorkload;

struct ArrivalProcessInfo {
  const char* name;
  const char* help;
  /// A renewal process: gaps of mean 1/rate from `gap` with the given cv (the rate, cv and
  /// diurnal keys apply; cv only when `gap` is not exponential).
  bool renewal;
  DistKind gap;
  /// Reads ServeGen per-client windows (servegen_file; the arrivals run on the file's clock,
  /// divided by workload.rate_scale; diurnal keys apply).
  bool reads_windows;
  /// N users each waiting for its answer (users, think_time, think_distribution, ramp apply).
  bool closed_loop;
  /// The source for `w` (`windows`: the ServeGen file's, for reads_windows; `length_pool`:
  /// the rows lengths are drawn from, for lengths.source = "trace").
  std::unique_ptr<RequestSource> (*make)(const GeneratedWorkload& w, std::vector<ServegenWindow> windows,
                                         std::span<const TraceRecord> length_pool);
};

/// Every process, the default ("poisson") first.
std::span<const ArrivalProcessInfo> arrival_processes();
/// The row named `name`; throws std::invalid_argument (listing the names) otherwise.
const ArrivalProcessInfo& arrival_process_named(const std::string& name);

}  // namespace collabsim::workload
