#pragma once
/// \file result_file.hpp
/// HDF5 result file (layout in docs/ARCHITECTURE.md):
///   /            attrs collabsim_version, git_commit, scenario (effective TOML), scenario_source,
///                scenario_name, mechanism, seed, created (UTC ISO-8601), data files
///   /requests    compound rows (RecordLayout), chunked and streamed in request-id order
///   /summary     compound, one row (Summary::columns())
///   /devices/<name>  compound, one row: busy time, utilisation, busy/idle energy
/// Every dataset has an attribute `units` parallel to its fields.
///
/// The file is written under a temporary name beside the target and renamed over it only
/// by commit(): a crash or an exception never leaves a truncated file where a good one was.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sim/io/metric_row.hpp"
#include "sim/io/h5_table.hpp"
#include "sim/io/record.hpp"
#include "sim/io/reorder_buffer.hpp"
#include "sim/io/summary.hpp"

namespace collabsim {

/// Version of the result-file layout (docs/HDF5.md), stored as the root attribute
/// `schema_version` of run and sweep files. 2: /summary gained quality_ci95_lo/hi and
/// n_saturated_devices; sweep files. 3: /summary gained slo_attainment, goodput_rps and n_questions_skipped.
/// 4: /summary gained prefix_hit_rate, n_out_of_memory, n_truncated, n_preemptions and
/// recompute_tokens (and api_energy_estimate_per_request_j with an API energy card); status 4
/// (out of memory); optional /requests columns (prefix_hit_tokens, request attributes);
/// /links/<name>/summary for RRC links.
/// 5: /inputs (role, path, bytes, sha256 of every input file: provenance.hpp) in run and
/// sweep files; readers refuse files of a newer version; quality_ci95_lo/hi from the ideal
/// bootstrap standard error in closed form (no resamples) and clipped to [0, 1]; run files
/// written with --no-requests have no /requests (its chunks now deflated by ChunkWriter,
/// same stored bytes).
inline constexpr std::int64_t kResultSchemaVersion = 5;

/// How a ResultFile is written.
struct ResultFileOptions {
  bool requests = true;    ///< write the /requests table (sweeps without --keep-requests: false)
  bool in_memory = false;  ///< build the file as an image in memory (HDF5 core driver, no
                           ///< backing store); commit() writes nothing and keeps the bytes in image()
};

class ResultFile {
 public:
  /// Creates `<target>.tmp-<pid>` (and the target's folder; see output_path.hpp for what a
  /// target may replace), or an in-memory image when `options.in_memory`. Throws InputError
  /// for a target that is not a regular file, std::runtime_error if the folder or file
  /// cannot be created.
  ResultFile(std::filesystem::path target, RecordLayout layout, ResultFileOptions options = {});
  /// Removes the temporary file unless commit() succeeded.
  ~ResultFile();
  ResultFile(const ResultFile&) = delete;
  ResultFile& operator=(const ResultFile&) = delete;

  /// String / integer attributes on the root group.
  void set_attribute(const std::string& name, const std::string& value);
  void set_attribute(const std::string& name, std::int64_t value);

  /// Buffers a completed request; rows are written in request_id order (ids must be
  /// 0, 1, 2, … without gaps over the run; out-of-order completions wait in a reorder buffer).
  /// Throws std::logic_error for an id added twice.
  void add(const RequestRecord& r);

  /// Writes a one-row compound dataset at `path` from (name, (unit, value)) columns;
  /// names starting with "n_" are stored as int64, the rest as float64.
  void write_row(const std::string& path,
                 const MetricRow& cols);

  /// Writes a float64 compound table at `path`: one field per (name, unit) in `fields`,
  /// `columns[i]` holding field i's values (all the same length).
  void write_table(const std::string& path, const std::vector<std::pair<std::string, std::string>>& fields,
                   const std::vector<std::vector<double>>& columns);

  /// Writes a compound table of typed columns (int64, float64, strings) at `path`, chunked
  /// and deflate-compressed (write_table in h5_table.hpp).
  void write_columns(const std::string& path, const std::vector<TableColumn>& columns);

  /// Flushes, checks that every buffered row was written, closes and renames onto the
  /// target (in-memory: keeps the file image instead). Throws std::runtime_error if rows
  /// are missing (a request never finished).
  void commit();

  /// The complete HDF5 file as bytes, after commit() of an in-memory file (empty otherwise).
  const std::vector<unsigned char>& image() const { return image_; }

  std::uint64_t rows_written() const { return written_; }

 private:
  void write_chunk();

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::filesystem::path target_, tmp_;
  RecordLayout layout_;
  ResultFileOptions options_;
  std::vector<unsigned char> image_;
  RowReorderBuffer pending_;           // encoded rows waiting for a lower request id
  std::vector<unsigned char> chunk_;  // encoded rows in order
  std::uint64_t written_ = 0;
  bool committed_ = false;
};

}  // namespace collabsim
