#pragma once
/// \file saturation.hpp
/// The warning for a shared device that stayed saturated (its queue grew faster than it
/// drained), naming the component and a fix that fits it: a shared pool in the
/// infrastructure needs more capacity (replicas, autoscaling) or less load; a device the
/// requests come from (the workload's origin, e.g. a phone) that is modelled as ONE shared
/// instance most likely should be one instance per user (per_user = true). Links get the
/// same test per direction (each direction of a shared link is one FIFO server,
/// network.hpp), and the warning names the link and the direction that saturated.

#include <string>

#include "sim/hardware/device_spec.hpp"
#include "sim/network/link_spec.hpp"

namespace collabsim {

/// What the run measured on the saturated device.
struct SaturationFacts {
  double utilisation = 0;   ///< busy share of the run [1]
  double last_answer_s = 0; ///< simulated time of the last answer [s]
  double last_arrival_s = 0;///< simulated time of the last arrival [s]
  bool origin = false;      ///< the device is the workload's origin (workload.origin)
  bool autoscaled = false;  ///< a deployment on it autoscales its replicas
};

/// "shared device 'cloud' (a pool of 2 replica(s) × 4 accelerator(s)) stayed saturated: ...;
/// fix: ..." with the fix for the kind of component (see the file comment).
std::string saturation_warning(const DeviceSpec& dev, const SaturationFacts& f);

/// A shared link direction counts as saturated when it sent for more than this share of
/// the time the link was up ...
inline constexpr double kSaturatedLinkBusyShare = 0.95;

/// What the run measured on a saturated link direction.
struct LinkSaturationFacts {
  bool up = true;              ///< the direction: up = from → to, down = to → from
  double busy_share = 0;       ///< serialisation time / the link's up time over the run [1]
  double bytes = 0;            ///< bytes it carried [bytes]
  double availability = 1;     ///< up time / run time [1] (1 without outages)
  double last_answer_s = 0;    ///< simulated time of the last answer [s]
  double last_arrival_s = 0;   ///< simulated time of the last arrival [s]
  std::string origin_end;      ///< the workload's origin device when it is an end of the link and
                               ///< modelled as one shared instance (not per_user); else ""
};

/// "link 'kv' up (prefill → decode) stayed saturated: ...; fix: ..." naming the direction and
/// a fix that fits: per_user = true when the link's end is the workload's origin modelled as
/// one shared instance (every user's transfers queue on one radio); the bandwidth trace's
/// rates when the link has one; mtbf/mttr when outages take more than 5% of the run; else
/// the direction's bandwidth key with the rate it carried over the arrivals
/// (bytes / last arrival: the least bandwidth that keeps up), or a lower load.
std::string link_saturation_warning(const LinkSpec& link, const LinkSaturationFacts& f);

}  // namespace collabsim
