#pragma once
/// \file sweep_transport.hpp
/// How the processes of one sweep talk: alone (one process) or over MPI (many ranks, one
/// writer). Rank 0 owns the output: it checks the resume state, decides which points are
/// missing, hands them out one at a time to whichever rank asks, writes every finished point
/// and the final file; the other ranks only compute the points they were given and send each
/// finished point to rank 0.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace collabsim {

/// A finished point on its way to rank 0.
struct PointMessage {
  std::uint64_t index = 0;
  bool ok = false;
  bool bad_input = false;
  std::string error;
  std::vector<unsigned char> image;  ///< the point's HDF5 result image (ok only; empty when part_written)
  /// Its /sweep/points values, handed to rank 0 in memory (sweep item 5: the sweep file is
  /// merged from these, the part file is kept for resume only): every Summary::columns()
  /// metric as the part's /summary stores it, and the calibrated value (NaN when none).
  /// Empty `summary_row` when not ok.
  std::vector<double> summary_row;
  double calibrated_value = 0;
  /// The worker wrote the image to the point's part file itself (ranks on one node share the
  /// output's folder), so only the summary row travels.
  bool part_written = false;
};

class SweepTransport {
 public:
  virtual ~SweepTransport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// True when every rank runs on this machine, so a file a worker writes is one rank 0 can
  /// read at the same path (one process: true; MPI: every rank on one node).
  virtual bool ranks_share_files() const = 0;
  /// Rank 0's list (and an error message, empty when fine) handed to every rank.
  virtual void broadcast(std::vector<std::uint64_t>& values, std::string& error) = 0;
  /// Every rank's bytes to rank 0: rank 0 gets one string per rank (its own first, then by
  /// rank), the other ranks an empty list. Every rank must call it.
  virtual std::vector<std::string> gather(const std::string& mine) = 0;
  /// Worker ranks: hand a finished point to rank 0 (may return before it is delivered).
  virtual void send(const PointMessage& m) = 0;
  /// Rank 0: a point sent by a worker, if one has arrived (non-blocking).
  virtual std::optional<PointMessage> poll() = 0;
  /// Worker ranks: wait until every send() was delivered.
  virtual void flush() = 0;
  /// All ranks meet (after the file is written, so no rank exits early).
  virtual void barrier() = 0;

  // Points are handed out on demand (a rank that finishes early takes more), so ranks stay
  // busy whatever the points cost; what is written never depends on who ran a point.
  /// Worker ranks: ask rank 0 for one more pending point (returns at once).
  virtual void ask() = 0;
  /// Worker ranks: tell rank 0 this rank will ask for nothing more (after its last answer).
  virtual void stop_asking() = 0;
  /// Worker ranks: rank 0's answer to one ask, if one arrived (non-blocking): a position in
  /// the pending list, or -1 when no point is left.
  virtual std::optional<std::int64_t> poll_answer() = 0;
  /// Rank 0: the next ask or stop of a worker (non-blocking): its rank and true for an ask,
  /// false for a stop. A rank's stop arrives after all its asks.
  virtual std::optional<std::pair<int, bool>> poll_ask() = 0;
  /// Rank 0: answer one ask of `rank` with a pending position, or -1 when none is left.
  virtual void answer(int rank, std::int64_t position) = 0;
};

/// One process: rank 0 of 1.
std::unique_ptr<SweepTransport> local_transport();

/// MPI_COMM_WORLD when collabsim was built with MPI and runs under mpirun with more than
/// one rank; otherwise local_transport(). Initialises MPI on first use (finalised at exit).
std::unique_ptr<SweepTransport> world_transport();

/// True when this binary was built with MPI support.
bool mpi_available();

}  // namespace collabsim
