#pragma once
/// \file metric_row.hpp
/// One row of named metrics: (name, (unit, value)) in column order. A mechanism's
/// statistics (/mechanism), a run's /summary and a device's /devices/<name>/summary are
/// written from it (ResultFile::write_row: names starting with "n_" are stored as int64,
/// the rest as float64).

#include <string>
#include <utility>
#include <vector>

namespace collabsim {

/// (name, (unit, value)) per column; units as in docs/HDF5.md (s, J, USD, tokens, 1, ...).
using MetricRow = std::vector<std::pair<std::string, std::pair<std::string, double>>>;

}  // namespace collabsim
