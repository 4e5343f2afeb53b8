#pragma once
/// \file recorder.hpp
/// The one recorder of a run: samples the timelines the models declared
/// (core/measurement.hpp) every interval and writes each source's <path>/timeline, its
/// summary row (<path>/summary or <path>) and its member table (<path>). At most kMaxSamples samples are kept: when the buffer is full every
/// second sample is dropped (an increment column adds the dropped interval to the kept
/// one) and the interval doubles, so memory stays bounded whatever the simulated span.

#include <cstddef>
#include <functional>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/measurement.hpp"
#include "sim/core/task.hpp"
#include "sim/io/result_file.hpp"

namespace collabsim {

class Recorder {
 public:
  /// Odd, so the sample just taken is kept and the spacing stays regular after a decimation.
  static constexpr std::size_t kMaxSamples = (1 << 16) + 1;

  /// `sources` in the order they are sampled and written; `interval` (ns) between samples,
  /// 0 = no timelines (summaries are still written). A source with series must have `sample`.
  Recorder(std::vector<MeasurementSource> sources, SimTime interval);

  /// The sampling process: a sample now and every interval after it, until `done()` is true
  /// right after a sample. Spawn it only when interval() > 0.
  Task<void> run(Engine& engine, std::function<bool()> done);

  /// Writes every source, in the order given: its summary row (when it declares a non-empty
  /// one, with `horizon_s`) at <path>/summary or <path> (MeasurementSource::row_at), its
  /// member table at <path> (when it declares columns), and <path>/timeline (time_s + its
  /// columns, when it has columns and samples were taken); then the root attribute
  /// timeline_interval_ns (the final interval) when sampling was on.
  void write(ResultFile& out, double horizon_s) const;

  SimTime interval() const { return interval_; }
  /// Sample times so far, s.
  const std::vector<double>& times() const { return t_; }
  /// Column `c` of source `s` as it will be written (one value per sample time).
  const std::vector<double>& column(std::size_t s, std::size_t c) const { return cols_.at(s).at(c); }

 private:
  void take(SimTime now);
  void decimate();

  std::vector<MeasurementSource> sources_;
  SimTime interval_ = 0;
  std::vector<double> t_;
  std::vector<std::vector<std::vector<double>>> cols_;  // [source][column][sample]
  std::vector<std::vector<double>> last_;               // [source][column]: running total at the previous sample
  std::vector<double> scratch_;
};

}  // namespace collabsim
