#pragma once
/// \file table_column.hpp
/// One named, unit-tagged column of a result table (int64, float64 or strings): what a
/// model declares for a table of one row per member (core/measurement.hpp) and what the
/// HDF5 writer stores (io/h5_table.hpp).

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace collabsim {

/// One column: name, unit (docs/HDF5.md units: s, J, W, bytes, 1, ...; "" for labels), values
/// (all columns of a table have the same length).
struct TableColumn {
  std::string name;
  std::string unit;
  std::variant<std::vector<std::int64_t>, std::vector<double>, std::vector<std::string>> values;
  std::size_t size() const {
    return std::visit([](const auto& v) { return v.size(); }, values);
  }
};

}  // namespace collabsim
