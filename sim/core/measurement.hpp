#pragma once
/// \file measurement.hpp
/// Measurements declared by the model that emits them (OMNeT++'s signals and statistics,
/// reduced to what collabsim records: https://doc.omnetpp.org/omnetpp/manual/#cha:statistics).
/// A model (a device's servers, a network link, the mechanism, the users' devices, the
/// run's request accumulator) describes what it measures as a MeasurementSource: where its
/// results go, the columns of its timeline with how to sample them, its summary row at the
/// end of the run, and a table of one row per member (a user's phone). One recorder (io/recorder.hpp) samples
/// every declared timeline on the run's interval and writes every source; the runner
/// neither names nor polls a model's metrics, so a new model's metric needs no edit there.

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "sim/core/table_column.hpp"
#include "sim/core/time.hpp"

namespace collabsim {

/// How a timeline column turns samples into the values written.
enum class Aggregate {
  level,      ///< the value at the sample time (a gauge: queue length, power); decimation keeps every second sample
  increment,  ///< the source reports a running total; the column holds its growth since the previous sample
              ///< (bytes carried in the interval); decimation adds the dropped interval to the kept one
};

/// One column of a timeline.
struct SeriesColumn {
  std::string name;  ///< e.g. "power_w"
  std::string unit;  ///< docs/HDF5.md units: s, J, W, bytes, requests, ...
  Aggregate aggregate = Aggregate::level;
};

/// One value of a summary row.
struct NamedValue {
  std::string name;
  std::string unit;
  double value = 0;
};

/// Where a source's summary row goes.
enum class RowAt {
  group_summary,  ///< <path>/summary: the model's results are a group (devices/<name>, links/<name>)
  path,           ///< <path> itself: a run-level row dataset (/summary, /mechanism)
};

/// What one model records.
struct MeasurementSource {
  /// Result group or dataset, e.g. "devices/gpu": the recorder writes <path>/timeline and
  /// the summary row at `row_at`; "users": the member table at <path>.
  std::string path;
  /// Timeline columns (empty: no timeline). Written after a time_s column.
  std::vector<SeriesColumn> series;
  /// Fills `out` (series.size() values, in column order) with the values at `now`: the
  /// level, or the running total of an increment column. Null when `series` is empty.
  std::function<void(SimTime now, std::span<double> out)> sample;
  /// The summary row at the end of a run whose devices worked until `horizon_s` (s);
  /// null or an empty row: no summary row. Names starting with "n_" are stored as int64
  /// (counts), the rest as float64 (ResultFile::write_row).
  std::function<std::vector<NamedValue>(double horizon_s)> summary;
  RowAt row_at = RowAt::group_summary;
  /// A table of one row per member (typed columns of equal length) at the end of the run,
  /// written at <path>; null or no column: no table.
  std::function<std::vector<TableColumn>()> table;
};

}  // namespace collabsim
