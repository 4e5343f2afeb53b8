#pragma once
/// \file h5_reader.hpp
/// The one checked way to read an HDF5 file that a user hands to collabsim (result files
/// for inspect, compare, check, plot, trace-export, and the parts of a resumed sweep).
///
/// Every read states what it expects and checks it before libhdf5 touches memory:
///  - tables (1-D compound datasets): rank 1, compound type, a row count whose buffer fits
///    the read cap (kH5ReadCap), each field's class (integer/float for numbers, string for
///    text) and size;
///  - attributes: read by their real class, size and element count (any rank, zero
///    elements included), never into a buffer of an assumed size.
/// Every H5::Exception and every failed check becomes an InputError naming the file and the
/// object ("FILE: key '/sweep/aggregate': ..."), so the CLI exits 2 with a clear message.
///
/// libhdf5 itself can crash on some damaged files (a bit flip in a global-heap reference:
/// SIGSEGV in H5HG_read under H5Aread). open_checked() therefore first reads the whole file
/// in a child process (probe_hdf5_isolated): only when the child finishes is the file read
/// in this process; when the child dies by a signal the file is refused.

#include <H5Cpp.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace collabsim {

/// Largest buffer (bytes) one checked read allocates: 1 GiB. A table whose declared rows ×
/// field size exceed it, or exceed 4096 × the file's size + 1 MiB (more than any deflate ratio
/// of a real result; a damaged dataspace can declare 10^12 rows), is refused.
inline constexpr std::uint64_t kH5ReadCap = std::uint64_t{1} << 30;

/// An attribute's value as read by its real type.
struct H5AttrValue {
  enum class Kind { text, integer, real, other } kind = Kind::other;
  std::vector<std::string> text;             ///< Kind::text: every element (fixed or variable length)
  std::vector<std::int64_t> integers;        ///< Kind::integer
  std::vector<double> reals;                 ///< Kind::real
  std::size_t elements = 0;                  ///< number of elements (any rank; 0 for an empty one)
  std::string describe(std::size_t max_items = 8) const;  ///< "a", "[1, 2, …] (50 values)", "(empty)"
};

/// One field of a table.
struct H5Field {
  std::string name;
  H5T_class_t cls = H5T_NO_CLASS;
  std::size_t size = 0;  ///< bytes in the file type
  bool numeric() const { return cls == H5T_INTEGER || cls == H5T_FLOAT; }
};

/// A checked 1-D compound dataset.
struct H5TableInfo {
  std::string path;              ///< without a leading '/'
  std::uint64_t rows = 0;
  std::vector<H5Field> fields;
  const H5Field* field(const std::string& name) const;  ///< nullptr when absent
};

/// A file opened for checked reading (read-only).
class H5Reader {
 public:
  /// Opens `file`. Throws InputError naming the file: missing, not a regular file, not HDF5,
  /// or libhdf5 refuses it. `isolate`: first probe the whole file in a child process
  /// (probe_hdf5_isolated) and refuse it when libhdf5 crashes there.
  explicit H5Reader(const std::filesystem::path& file, bool isolate = true);

  const std::filesystem::path& path() const { return path_; }
  /// The underlying file (for writers that copy objects; reads go through the methods).
  const H5::H5File& file() const { return file_; }

  /// True when every component of `object` ("sweep/points") is a link that exists.
  bool exists(const std::string& object) const;
  /// Root attribute names in index order.
  std::vector<std::string> attr_names(const std::string& object = "/") const;
  bool has_attr(const std::string& name, const std::string& object = "/") const;
  /// An attribute of `object` read by its real type.
  H5AttrValue attr(const std::string& name, const std::string& object = "/") const;
  /// A text attribute with exactly one element (scalar or 1-element array), trailing NULs
  /// dropped. Throws InputError when absent, not text, or not one element.
  std::string attr_string(const std::string& name, const std::string& object = "/") const;
  /// An integer attribute with exactly one element. Throws InputError otherwise.
  std::int64_t attr_int(const std::string& name, const std::string& object = "/") const;
  /// The attribute as one line of text if it is a one-element text or integer attribute,
  /// else std::nullopt (absent, an array, another type).
  std::optional<std::string> attr_text(const std::string& name, const std::string& object = "/") const;

  /// Children of group `group` as (name, is_group) pairs; datasets and groups only.
  std::vector<std::pair<std::string, bool>> children(const std::string& group) const;
  /// True when `object` is a dataset.
  bool is_dataset(const std::string& object) const;
  /// Rank, extent and type class of any dataset (for listing), checked to be readable.
  struct DatasetShape {
    std::vector<std::uint64_t> dims;
    H5T_class_t cls = H5T_NO_CLASS;
  };
  DatasetShape shape(const std::string& object) const;

  /// Opens `path` as a table. Throws InputError: absent, not a dataset, not compound, rank
  /// ≠ 1, or too many rows for the read cap.
  H5TableInfo table(const std::string& path) const;
  /// Field `field` as doubles (integers converted). Throws InputError: absent or not numeric.
  std::vector<double> numbers(const H5TableInfo& t, const std::string& field) const;
  /// Field `field` as text (fixed or variable length, trailing NULs/spaces dropped).
  /// Throws InputError: absent or not text.
  std::vector<std::string> strings(const H5TableInfo& t, const std::string& field) const;
  /// The `units` attribute of `path`: one text per field, or empty when it is absent or is
  /// not a 1-D text attribute with one element per field (units are a convenience).
  std::vector<std::string> units(const H5TableInfo& t) const;
  /// One row of `t` (rows == 1 required), numeric fields as doubles, others NaN.
  std::vector<double> row(const H5TableInfo& t) const;

  /// An InputError naming this file and `object` with `message`.
  [[noreturn]] void fail(const std::string& object, const std::string& message) const;

 private:
  std::filesystem::path path_;
  std::uint64_t file_size_ = 0;
  H5::H5File file_;
  void check_rows(const std::string& object, std::uint64_t rows, std::uint64_t bytes_per_row) const;
};

/// Reads every attribute and every dataset of `file` (data in blocks, up to kH5ReadCap
/// per dataset) in a forked child process, so that a crash inside libhdf5 cannot take this
/// process down. Returns normally when the child finished (whether or not it met a checked
/// error: the caller's own read reports those); throws InputError naming the file when the
/// child died by a signal or ran past `timeout_s`.
void probe_hdf5_isolated(const std::filesystem::path& file, unsigned timeout_s = 600);

/// Runs `work` in a forked child process (which exits without running this process's
/// atexit handlers). Returns when the child ended normally, whether `work` returned or
/// threw; throws InputError naming `file` when the child died by a signal (the message
/// names it), ended with a status other than 0 or 3 (a sanitizer's report of a crash), or
/// ran past `timeout_s` (SIGALRM). When the process cannot fork, runs nothing.
void run_in_child(const std::filesystem::path& file, const std::function<void()>& work, unsigned timeout_s = 600);

/// Walks `file` with checked reads, as the child of probe_hdf5_isolated does (exposed for
/// the fuzz harnesses and tests). Throws InputError.
void read_everything(const H5Reader& reader);

}  // namespace collabsim
