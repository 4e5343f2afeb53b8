#pragma once
/// \file h5_table.hpp
/// Column-oriented compound tables in HDF5: a table is written from named, typed columns
/// (int64, float64 or fixed-length strings) with a `units` attribute parallel to the
/// fields, and read back field by field (HDF5 converts numeric member types). Used for
/// the sweep tables (/sweep/points, /sweep/aggregate) and for reading /summary rows.

#include <H5Cpp.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sim/core/table_column.hpp"

namespace collabsim {

/// Writes `columns` as a 1-D compound dataset `path` under `loc` (parent groups created).
/// Strings are stored as fixed-length, NUL-padded (length = longest value, ≥ 1).
/// `compress`: chunked (up to 16,384 rows a chunk) with shuffle + deflate level 1, for
/// long tables (/spans, /users); the chunks are filtered here (libdeflate) and stored with
/// direct chunk writes, the same dataset as HDF5's filter pipeline would store. Throws std::invalid_argument when columns differ in length or a
/// table has no column.
void write_table(H5::Group& loc, const std::string& path, const std::vector<TableColumn>& columns,
                 bool compress = false);

/// Names of the fields of compound dataset `path` in `file`, in order.
std::vector<std::string> table_fields(const H5::H5File& file, const std::string& path);

/// Field `field` of compound dataset `path` as doubles (integers converted); std::nullopt
/// when the field is absent or not numeric.
std::optional<std::vector<double>> read_numeric_field(const H5::H5File& file, const std::string& path,
                                                      const std::string& field);

/// Field `field` of compound dataset `path` as strings (fixed or variable length);
/// std::nullopt when absent or not a string.
std::optional<std::vector<std::string>> read_string_field(const H5::H5File& file, const std::string& path,
                                                          const std::string& field);

/// The `units` attribute of dataset `path` (empty when absent).
std::vector<std::string> table_units(const H5::H5File& file, const std::string& path);

}  // namespace collabsim
