#pragma once
/// \file link_spec.hpp
/// A network link between two devices (`[links.<name>]`); "up" is from → to, "down" is
/// to → from.

#include <filesystem>
#include <span>
#include <string>

#include "sim/core/error.hpp"
#include "sim/network/rrc.hpp"

namespace collabsim {

struct Field;
class ParamSet;

struct LinkSpec {
  std::string name;
  std::string from, to;
  double up_bandwidth = 0;    ///< bytes/s
  double down_bandwidth = 0;  ///< bytes/s
  double latency = 0;         ///< s, one-way propagation
  double jitter = 0;          ///< s, mean of an exponential extra delay per hop traversal
  double mtbf = 0;            ///< s, mean time between failures (0 = never fails)
  double mttr = 0;            ///< s, mean time to repair
  double radio_energy_up = 0;   ///< J/byte spent by a per-user end sending up
  double radio_energy_down = 0; ///< J/byte spent by a per-user end receiving down
  std::filesystem::path bandwidth_trace;  ///< optional CSV time_s,up_mbps,down_mbps
  /// RRC state machine of the per-user end's radio (`radio`, `rrc_*` keys; rrc.hpp);
  /// model none = the per-bit energy alone.
  RrcParams rrc;
  SourcePos pos;
};

/// Keys of a `[links.<name>]` table.
std::span<const Field> link_fields();

/// A LinkSpec from validated link_fields() values (the bandwidth trace path and the
/// position are the loader's). Throws InputError naming the key when from = to or when
/// only one of mtbf and mttr is set. `context` is e.g. "links.cellular".
LinkSpec link_from(const ParamSet& p, const std::string& name, const std::string& context);

}  // namespace collabsim
