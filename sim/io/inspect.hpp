#pragma once
/// \file inspect.hpp
/// Human-readable description of a collabsim result file (`collabsim inspect`).

#include <filesystem>
#include <ostream>

namespace collabsim {

/// Prints root attributes (except the long scenario texts), every dataset with its row
/// count and fields, and the values of one-row datasets (/summary, /devices/*).
/// Throws std::runtime_error naming the file when it is missing or not HDF5.
void inspect_result(const std::filesystem::path& file, std::ostream& os);

}  // namespace collabsim
