#pragma once
/// \file inspect.hpp
/// Human-readable description of a collabsim result file (`collabsim inspect`). Every read
/// goes through the checked reader (h5_reader.hpp).

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace collabsim {

class H5Reader;

/// Prints root attributes (except the long scenario texts; arrays shortened), every
/// dataset with its row count and fields, the values of one-row datasets (/summary,
/// /devices/*), the recorded inputs (/inputs: path and SHA-256) and, for a sweep file, the
/// aggregate table. Throws InputError naming the file and the object when it is missing,
/// not HDF5, damaged, or holds a dataset or attribute of an unexpected shape or type (its
/// content is never echoed). `isolate`: probe the file in a child process first
/// (probe_hdf5_isolated).
void inspect_result(const std::filesystem::path& file, std::ostream& os, bool isolate = true);

/// The swept key paths of a sweep file (root attribute `sweep_axes`, one per line); empty
/// when absent. Throws InputError when the attribute is not one text.
std::vector<std::string> sweep_axes(const H5Reader& reader);

/// The /sweep/aggregate table of a sweep file: one row per combination with the swept
/// values, seeds, and the mean ± the half-width of the 95% Student-t interval over seeds of
/// quality, p99 latency (s), cost (USD per 1k requests), energy (J per request) and
/// large-model share (the mean alone for one seed), then a line stating the interval. Throws InputError naming the
/// file when a field is missing or of another type, or `sweep_axes` names a field that is
/// not there.
void print_sweep_table(const H5Reader& reader, std::ostream& os);
/// As above for a sweep file; `isolate` as for inspect_result (false for a file this
/// process has just written).
void print_sweep_table(const std::filesystem::path& file, std::ostream& os, bool isolate);

/// The /inputs table of a result (provenance.hpp) as "role  path  sha256" lines; nothing
/// when the file has none (schema < 5).
void print_inputs(const H5Reader& reader, std::ostream& os);

}  // namespace collabsim
