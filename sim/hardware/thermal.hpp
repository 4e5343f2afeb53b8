#pragma once
/// \file thermal.hpp
/// Heat of a passively cooled device (a phone) under sustained on-device inference: a
/// first-order thermal model whose state slows the device down after load and recovers
/// when it idles (DeviceSpec::thermal_tau, thermal_floor, thermal_cool_tau; 0 = off).
///
/// State: normalised heat θ ∈ [0, 1] (0 = cold, 1 = the throttled steady state). While the
/// device computes, θ rises towards 1 with time constant τ (a first-order RC driven by a
/// constant dissipated power): θ(t) = 1 − (1 − θ₀)·e^(−t/τ). While it idles, θ decays
/// towards 0 with time constant τ_c (τ_c = τ for one RC): θ(t) = θ₀·e^(−t/τ_c). The
/// achieved rate (tokens/s, prefill and decode alike) is the cold rate times
/// f(θ) = 1 − (1 − φ)·θ, φ = thermal_floor, the sustained share of the cold rate.
/// Under load from cold: f(t) = φ + (1 − φ)·e^(−t/τ), the measured shape of a throttling
/// decode run.
///
/// A generation of W seconds of cold-device work started at heat θ₀ takes the T that
/// solves ∫₀ᵀ f(θ(s)) ds = W, i.e. (1 − a)·T + a·τ·(1 − θ₀)·(1 − e^(−T/τ)) = W with
/// a = 1 − φ (solved by Newton's method from T = W, to 1 ns). T ≥ W; T − W is the time
/// lost to throttling.
///
/// Source of the default curve (cards/iphone_15_pro.toml): D. Majima, "iPhone on-device
/// LLM: the GPU wins the sprint, the Neural Engine wins the marathon" (dev.to, 2026),
/// Gemma-4-E2B 4-bit decoding continuously for 10 min from a cold iPhone 17 Pro: MLX on
/// the GPU (Metal, as llama.cpp and MLC run on a phone) peaks at 48 tokens/s, is 10% down
/// after 5 s, 25% down after 35 s and settles at ~18 tokens/s (38%). Fitted here: φ =
/// 18/48 = 0.375, τ = 55 s (the τ minimising the largest error at the 5 s and 35 s points;
/// both within 0.05 of the peak rate: tests/test_thermal.cpp). The source does not measure
/// cooling: τ_c = τ (one RC) is an assumption.

#include "sim/core/time.hpp"

namespace collabsim {

/// Parameters of the thermal model (SI units). tau = 0 switches it off.
struct ThermalParams {
  double tau = 0;       ///< s, heating time constant τ (0 = no throttling)
  double floor = 1;     ///< φ, sustained rate / cold rate, (0, 1]
  double cool_tau = 0;  ///< s, cooling time constant τ_c (0 = τ)
  bool on() const { return tau > 0 && floor < 1; }
};

/// The heat of one device instance (one user's phone). Times in ns (absolute).
class ThermalState {
 public:
  explicit ThermalState(const ThermalParams& p) : p_(p) {}
  /// Rate factor f(θ) = 1 − (1 − φ)·θ of the state at `now` (cooled since the last run).
  double rate(SimTime now) const;
  /// Heat θ at `now` (cooled since the last run).
  double heat(SimTime now) const;
  /// Wall time (s) that `work_s` seconds of cold-device work take when started at `now`
  /// (the T of the file comment; = work_s when the model is off or work_s ≤ 0).
  double duration(SimTime now, double work_s) const;
  /// The device computes from `start` for `seconds`: cools to `start`, then heats.
  void run(SimTime start, double seconds);

  /// The cold-work time done within the first `t` seconds of a run started at heat θ₀
  /// (∫₀ᵗ f ds), s.
  static double work_in(const ThermalParams& p, double theta0, double t);

 private:
  ThermalParams p_;
  double theta_ = 0;  // θ at at_
  SimTime at_ = 0;    // end of the last run (the device cools from here)
};

}  // namespace collabsim
