#include "sim/config/units.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace collabsim {
namespace {

struct UnitDef {
  std::string_view symbol;
  double factor;  // multiply to get the base unit
};

constexpr std::array kTime{UnitDef{"ns", 1e-9}, UnitDef{"us", 1e-6}, UnitDef{"µs", 1e-6},
                           UnitDef{"ms", 1e-3}, UnitDef{"s", 1.0},   UnitDef{"min", 60.0},
                           UnitDef{"h", 3600.0}, UnitDef{"d", 86400.0}};
constexpr std::array kData{UnitDef{"B", 1.0},          UnitDef{"kB", 1e3},
                           UnitDef{"MB", 1e6},         UnitDef{"GB", 1e9},
                           UnitDef{"TB", 1e12},        UnitDef{"KiB", 1024.0},
                           UnitDef{"MiB", 1048576.0},  UnitDef{"GiB", 1073741824.0},
                           UnitDef{"TiB", 1099511627776.0}, UnitDef{"bit", 0.125},
                           UnitDef{"kbit", 125.0},     UnitDef{"Mbit", 125e3},
                           UnitDef{"Gbit", 125e6}};
constexpr std::array kBandwidth{
    UnitDef{"B/s", 1.0},      UnitDef{"kB/s", 1e3},    UnitDef{"MB/s", 1e6},
    UnitDef{"GB/s", 1e9},     UnitDef{"TB/s", 1e12},   UnitDef{"bit/s", 0.125},
    UnitDef{"kbit/s", 125.0}, UnitDef{"Mbit/s", 125e3}, UnitDef{"Gbit/s", 125e6},
    UnitDef{"bps", 0.125},    UnitDef{"kbps", 125.0},  UnitDef{"Mbps", 125e3},
    UnitDef{"Gbps", 125e6}};
constexpr std::array kPower{UnitDef{"mW", 1e-3}, UnitDef{"W", 1.0}, UnitDef{"kW", 1e3}};
constexpr std::array kEnergy{UnitDef{"mJ", 1e-3}, UnitDef{"J", 1.0},     UnitDef{"kJ", 1e3},
                             UnitDef{"mWh", 3.6}, UnitDef{"Wh", 3600.0}, UnitDef{"kWh", 3.6e6}};
constexpr std::array kFlops{UnitDef{"FLOP/s", 1.0}, UnitDef{"GFLOP/s", 1e9},
                            UnitDef{"TFLOP/s", 1e12}, UnitDef{"PFLOP/s", 1e15}};
constexpr std::array kPriceRate{UnitDef{"USD/s", 1.0}, UnitDef{"USD/h", 1.0 / 3600.0}};
constexpr std::array kTokenPrice{UnitDef{"USD/token", 1.0}, UnitDef{"USD/ktok", 1e-3},
                                 UnitDef{"USD/Mtok", 1e-6}};
constexpr std::array kEnergyPerData{UnitDef{"J/B", 1.0},      UnitDef{"mJ/B", 1e-3},
                                   UnitDef{"uJ/B", 1e-6},     UnitDef{"nJ/B", 1e-9},
                                   UnitDef{"J/bit", 8.0},     UnitDef{"uJ/bit", 8e-6},
                                   UnitDef{"nJ/bit", 8e-9}};

template <std::size_t N>
std::pair<const UnitDef*, std::size_t> as_span(const std::array<UnitDef, N>& a) {
  return {a.data(), N};
}

std::pair<const UnitDef*, std::size_t> units_of(Dimension d) {
  switch (d) {
    case Dimension::Time: return as_span(kTime);
    case Dimension::Data: return as_span(kData);
    case Dimension::Bandwidth: return as_span(kBandwidth);
    case Dimension::Power: return as_span(kPower);
    case Dimension::Energy: return as_span(kEnergy);
    case Dimension::FlopRate: return as_span(kFlops);
    case Dimension::PriceRate: return as_span(kPriceRate);
    case Dimension::TokenPrice: return as_span(kTokenPrice);
    case Dimension::EnergyPerData: return as_span(kEnergyPerData);
  }
  throw std::logic_error("unknown dimension");
}

std::string accepted(Dimension d) {
  auto [p, n] = units_of(d);
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += p[i].symbol;
  }
  return out;
}

}  // namespace

std::string dimension_name(Dimension d) {
  switch (d) {
    case Dimension::Time: return "time (s)";
    case Dimension::Data: return "data size (bytes)";
    case Dimension::Bandwidth: return "bandwidth (bytes/s)";
    case Dimension::Power: return "power (W)";
    case Dimension::Energy: return "energy (J)";
    case Dimension::FlopRate: return "compute rate (FLOP/s)";
    case Dimension::PriceRate: return "price rate (USD/s)";
    case Dimension::TokenPrice: return "token price (USD/token)";
    case Dimension::EnergyPerData: return "energy per data (J/byte)";
  }
  return "?";
}

std::string base_unit(Dimension d) {
  switch (d) {
    case Dimension::Time: return "s";
    case Dimension::Data: return "bytes";
    case Dimension::Bandwidth: return "bytes/s";
    case Dimension::Power: return "W";
    case Dimension::Energy: return "J";
    case Dimension::FlopRate: return "FLOP/s";
    case Dimension::PriceRate: return "USD/s";
    case Dimension::TokenPrice: return "USD/token";
    case Dimension::EnergyPerData: return "J/byte";
  }
  return "?";
}

double parse_quantity(std::string_view text, Dimension d) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  };
  const std::string_view t = trim(text);
  double value = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end == t.data())
    throw std::invalid_argument("'" + std::string(text) + "' is not a number with a unit of " +
                                dimension_name(d) + "; write e.g. \"10 " +
                                std::string(units_of(d).first[1].symbol) + "\"");
  const std::string_view unit = trim(std::string_view(end, t.data() + t.size() - end));
  if (!std::isfinite(value))
    throw std::invalid_argument("'" + std::string(text) + "' is not a finite number (inf and nan are not accepted)");
  auto [p, n] = units_of(d);
  for (std::size_t i = 0; i < n; ++i)
    if (p[i].symbol == unit) {
      const double base = value * p[i].factor;
      if (!std::isfinite(base))
        throw std::invalid_argument("'" + std::string(text) + "' overflows a double in " + base_unit(d));
      return base;
    }
  throw std::invalid_argument(
      unit.empty() ? "'" + std::string(text) + "' has no unit; expected " + dimension_name(d) +
                         " in one of: " + accepted(d)
                   : "unit '" + std::string(unit) + "' is not a unit of " + dimension_name(d) +
                         "; accepted: " + accepted(d));
}

}  // namespace collabsim
