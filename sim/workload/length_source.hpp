#pragma once
/// \file length_source.hpp
/// The registry of length sources of a generated workload (`workload.lengths.source`): one
/// LengthSourceInfo row per source (length_sources(), length_source.cpp), the single source
/// of the key's allowed values, its help in `collabsim list`, the key rules (which file a
/// source reads) and the LengthDrawer it builds. The loader reads the name into a pointer
/// to its row once (LengthSpec::source); nothing after load compares the name.
/// Parameterisations and sources: docs/WORKLOADS.md.

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "sim/core/rng.hpp"
#include "sim/workload/request_source.hpp"
#include "sim/workload/trace_record.hpp"

namespace collabsim::workload {

struct GeneratedWorkload;

/// Draws the prompt and output lengths of a generated request (one drawer per run).
class LengthDrawer {
 public:
  virtual ~LengthDrawer() = default;
  /// Sets r.prompt_tokens and r.output_tokens (tokens, ≥ 1 except a fixed 0) from `rng`,
  /// the request's own stream; reads r.arrival_ns (ns since the start of the run) when the
  /// distribution depends on time (servegen windows).
  virtual void draw(RngStream& rng, SourceRequest& r) const = 0;
};

struct LengthSourceInfo {
  const char* name;
  const char* help;
  /// Resamples the rows of a trace file (`trace`, `trace_format` apply; the loader resolves
  /// the file, the runner hands its rows to `make` as the pool).
  bool reads_trace;
  /// Reads a ServeGen dataset file of per-window length PMFs (`dataset` applies).
  bool reads_dataset;
  /// The drawer for `w` (`pool`: the lengths trace's rows when reads_trace, non-empty and
  /// outliving the drawer; empty otherwise). Throws InputError for an unreadable dataset.
  std::unique_ptr<LengthDrawer> (*make)(const GeneratedWorkload& w, std::span<const TraceRecord> pool);
};

/// Every source, the default ("lognormal") first.
std::span<const LengthSourceInfo> length_sources();
/// The row named `name`; throws std::invalid_argument (listing the names) otherwise.
const LengthSourceInfo& length_source_named(const std::string& name);

}  // namespace collabsim::workload
