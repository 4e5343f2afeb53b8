#pragma once
/// \file sweep_transport.hpp
/// How the processes of one sweep talk: alone (one process) or over MPI (many ranks, one
/// writer). Rank 0 owns the output: it checks the resume state, decides which points are
/// missing, writes every finished point and the final file; the other ranks only compute
/// the points assigned to them and send each finished point to rank 0.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace collabsim {

/// A finished point on its way to rank 0.
struct PointMessage {
  std::uint64_t index = 0;
  bool ok = false;
  bool bad_input = false;
  std::string error;
  std::vector<unsigned char> image;  ///< the point's HDF5 result image (ok only)
  /// Its /sweep/points values, handed to rank 0 in memory (sweep item 5: the sweep file is
  /// merged from these, the part file is kept for resume only): every Summary::columns()
  /// metric as the part's /summary stores it, and the calibrated value (NaN when none).
  /// Empty `summary_row` when not ok.
  std::vector<double> summary_row;
  double calibrated_value = 0;
};

class SweepTransport {
 public:
  virtual ~SweepTransport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Rank 0's list (and an error message, empty when fine) handed to every rank.
  virtual void broadcast(std::vector<std::uint64_t>& values, std::string& error) = 0;
  /// Worker ranks: hand a finished point to rank 0 (may return before it is delivered).
  virtual void send(const PointMessage& m) = 0;
  /// Rank 0: a point sent by a worker, if one has arrived (non-blocking).
  virtual std::optional<PointMessage> poll() = 0;
  /// Worker ranks: wait until every send() was delivered.
  virtual void flush() = 0;
  /// All ranks meet (after the file is written, so no rank exits early).
  virtual void barrier() = 0;
};

/// One process: rank 0 of 1.
std::unique_ptr<SweepTransport> local_transport();

/// MPI_COMM_WORLD when collabsim was built with MPI and runs under mpirun with more than
/// one rank; otherwise local_transport(). Initialises MPI on first use (finalised at exit).
std::unique_ptr<SweepTransport> world_transport();

/// True when this binary was built with MPI support.
bool mpi_available();

}  // namespace collabsim
