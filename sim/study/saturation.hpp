#pragma once
/// \file saturation.hpp
/// The warning for a shared device that stayed saturated (its queue grew faster than it
/// drained), naming the component and a fix that fits it: a shared pool in the
/// infrastructure needs more capacity (replicas, autoscaling) or less load; a device the
/// requests come from (the workload's origin, e.g. a phone) that is modelled as ONE shared
/// instance most likely should be one instance per user (per_user = true).

#include <string>

#include "sim/hardware/device_spec.hpp"

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

}  // namespace collabsim
