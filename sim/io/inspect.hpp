#pragma once
/// \file inspect.hpp
/// Human-readable description of a collabsim result file (`collabsim inspect`).

#include <H5Cpp.h>

#include <filesystem>
#include <ostream>

namespace collabsim {

/// Prints root attributes (except the long scenario texts), every dataset with its row
/// count and fields, the values of one-row datasets (/summary, /devices/*) and, for a
/// sweep file, the aggregate table. Throws InputError naming the file when it is missing,
/// not a regular file or not HDF5 (its content is never echoed).
void inspect_result(const std::filesystem::path& file, std::ostream& os);

/// The /sweep/aggregate table of a sweep file: one row per combination with the swept
/// values, seeds, quality mean and 95% interval, p99 latency (s), cost (USD per 1k
/// requests), energy (J per request) and large-model share. Throws InputError when a
/// field is missing.
void print_sweep_table(const H5::H5File& file, std::ostream& os);

}  // namespace collabsim
