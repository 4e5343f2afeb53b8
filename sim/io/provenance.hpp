#pragma once
/// \file provenance.hpp
/// Which files a result was made from: each input (scenario, device and model cards, trace,
/// quality table, questions, profiles, router weights) with its role, resolved absolute
/// path, size and SHA-256 (FIPS 180-4, computed by GNU Nettle), stored in a result
/// file as the table /inputs (docs/HDF5.md) and shown by `inspect` and `compare`.

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sim/io/h5_table.hpp"

namespace collabsim {

class H5Reader;

/// One input file of a run.
struct InputRecord {
  std::string role;             ///< "scenario", "device_card", "model_card", "trace", "quality_table", ...
  std::filesystem::path path;   ///< absolute, symlinks resolved
  std::uint64_t bytes = 0;      ///< file size
  std::string sha256;           ///< 64 lower-case hex digits
};

/// SHA-256 of the file's bytes as 64 lower-case hex digits. Throws std::runtime_error when
/// the file cannot be read.
std::string sha256_file(const std::filesystem::path& file);

/// SHA-256 of `bytes` as 64 lower-case hex digits.
std::string sha256_text(const std::string& bytes);

/// Hashes of files, each computed once per file state: (path, device, inode, size,
/// modification and status-change times in ns; POSIX stat). Thread-safe.
///
/// With a `store` folder the hashes are also kept across processes, one small file per
/// path under `store`/hashes, and trusted while the file's state is unchanged, as git's
/// index and ccache trust file metadata: any write to the file changes its ctime (which
/// no user call can set back). A file changed less than 2 s before it is hashed is not
/// stored (its times may not yet tell a later change apart, as git's "racy" entries).
/// A store that cannot be read or written is ignored (the file is hashed).
class FileHashCache {
 public:
  FileHashCache() = default;
  explicit FileHashCache(std::filesystem::path store) : store_(std::move(store)) {}
  /// The record of `file` in `role` (path made absolute). Throws as sha256_file.
  InputRecord record(const std::string& role, const std::filesystem::path& file);

 private:
  std::filesystem::path store_;  ///< empty: this process only
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>> done_;  ///< path → (file state, sha256)
};

/// Records of (role, path) pairs, duplicates (same role and path) dropped, order kept.
std::vector<InputRecord> record_inputs(const std::vector<std::pair<std::string, std::filesystem::path>>& files,
                                       FileHashCache& cache);

/// The /inputs table columns: role, path, bytes, sha256.
std::vector<TableColumn> input_columns(const std::vector<InputRecord>& records);

/// The /inputs table of a result file (empty when it has none). Throws InputError (via the
/// checked reader) when the table is damaged.
std::vector<InputRecord> read_inputs(const H5Reader& reader);

/// Lines comparing two files' inputs, matched by role and file name: "trace: differs (sha256 ab12… vs
/// cd34…)", "model_card: only in BASE: …". Empty when the inputs are the same or either
/// file has no /inputs.
std::vector<std::string> input_differences(const std::vector<InputRecord>& base, const std::vector<InputRecord>& now);

}  // namespace collabsim
