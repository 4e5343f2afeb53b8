#pragma once
/// \file units.hpp
/// Physical quantities in scenario files are strings with a unit ("35 ms", "20 Mbit/s",
/// "989 TFLOP/s", "700 W", "2.49 USD/h"). parse_quantity checks the unit belongs to the
/// expected dimension and returns the value in the project's base unit:
///
/// | Dimension   | base unit   | accepted units                                           |
/// |-------------|-------------|----------------------------------------------------------|
/// | Time        | s           | ns us µs ms s min h d                                    |
/// | Data        | bytes       | B kB MB GB TB KiB MiB GiB TiB bit kbit Mbit Gbit         |
/// | Bandwidth   | bytes/s     | B/s kB/s MB/s GB/s TB/s bit/s kbit/s Mbit/s Gbit/s (bps kbps Mbps Gbps) |
/// | Power       | W           | mW W kW                                                  |
/// | Energy      | J           | mJ J kJ Wh mWh kWh                                       |
/// | FlopRate    | FLOP/s      | FLOP/s GFLOP/s TFLOP/s PFLOP/s                           |
/// | PriceRate   | USD/s       | USD/s USD/h                                              |
/// | TokenPrice  | USD/token   | USD/token USD/ktok USD/Mtok                              |
/// | EnergyPerData | J/byte    | J/B mJ/B uJ/B nJ/B J/bit uJ/bit nJ/bit                   |
///
/// Decimal prefixes are powers of 1000, binary (KiB…) powers of 1024; 1 bit = 1/8 byte.

#include <string>
#include <string_view>

namespace collabsim {

enum class Dimension { Time, Data, Bandwidth, Power, Energy, FlopRate, PriceRate, TokenPrice, EnergyPerData };

/// Human name of a dimension and its base unit, e.g. "time (s)".
std::string dimension_name(Dimension d);

/// Base unit symbol of a dimension, e.g. "s", "bytes/s".
std::string base_unit(Dimension d);

/// Parses "<number> <unit>" (space optional) into the base unit of `d`.
/// Throws std::invalid_argument with a message listing the accepted units when the text
/// is not a number followed by a unit of that dimension (e.g. "35 MB" for a time), and
/// for non-finite numbers ("inf s", "nan ms") or a value that overflows in the base unit.
double parse_quantity(std::string_view text, Dimension d);

}  // namespace collabsim
