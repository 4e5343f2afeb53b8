#pragma once
/// \file generated_source.hpp
/// Generated workloads (`workload.format = "generated"`): request sources that draw
/// arrivals and lengths from seeded streams as the run asks for them, never holding the
/// workload in memory. Parameterisations and sources: docs/WORKLOADS.md.
///
/// Arrivals:
/// - poisson / gamma / weibull: a renewal process with mean gap 1/rate and the given cv
///   (distribution.hpp). With diurnal modulation the process runs in operational time
///   (time-rescaling, Çinlar 1975; Lewis & Shedler 1979 for the Poisson case): unit-mean
///   gaps are summed into u and mapped to real time t = Λ⁻¹(u), Λ(t) = ∫₀ᵗ λ, λ(t) =
///   rate·(1 + A sin(2π(t − phase)/period)); a Poisson process stays Poisson with
///   intensity λ(t), other families keep their cv at a constant rate.
/// - servegen: the same time-rescaling with ServeGen's piecewise-constant rate: the gap
///   drawn at operational time u has the family and cv of the window where it starts
///   (cv clamped to [kMinCv, kMaxCv]); idle windows are skipped. param1/param2 of the file
///   are not used (rate and cv define the gaps), so per-window counts follow rate ×
///   window length.
/// - closed_loop: N users; user k's next request arrives a think time after its previous
///   answer (the first one a think time after 0).
/// Lengths: a row of length_sources() (length_source.hpp): lognormal (rounded to the nearest
/// token, at least 1), fixed, a uniformly drawn row of a trace (the empirical joint
/// distribution of prompt and output) or ServeGen per-window PMFs.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sim/workload/generator_spec.hpp"
#include "sim/workload/request_source.hpp"
#include "sim/workload/servegen_windows.hpp"
#include "sim/workload/trace_record.hpp"

namespace collabsim::workload {

struct GeneratedWorkload {
  ArrivalSpec arrivals;
  LengthSpec lengths;
  std::uint64_t seed = 1;
  double rate_scale = 1;  ///< poisson/gamma/weibull: multiplies the rate; servegen: divides the file's clock
  double duration = 0;    ///< s of simulated time; no arrival at or after it (0 = unbounded)
  double start = 0;       ///< servegen: s on the file's clock where the run begins
  double end = 0;         ///< servegen: s on the file's clock where it ends (0 = the file's end)
  std::int64_t limit = 0; ///< requests (0 = unbounded), for expected_requests()
};

/// The source `w` describes. `windows`: the ServeGen file's rows (servegen only).
/// `length_pool`: the rows of the lengths trace (lengths.source = "trace"; must outlive
/// the source and be non-empty). Throws InputError (at w.arrivals.pos) when a ServeGen
/// window selection has no non-idle window.
std::unique_ptr<RequestSource> make_generated_source(const GeneratedWorkload& w, std::vector<ServegenWindow> windows,
                                                     std::span<const TraceRecord> length_pool);

/// Λ(t) of the diurnal rate rate·(1 + A sin(2π(t − phase)/period)) (t in s, result in
/// expected arrivals since 0), and its inverse by safeguarded Newton (|error| ≤ 1e-9 s).
double diurnal_integral(double t, double rate, double amplitude, double period, double phase);
double diurnal_inverse(double u, double rate, double amplitude, double period, double phase);

}  // namespace collabsim::workload
