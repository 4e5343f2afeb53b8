#include "sim/study/sweep_transport.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <list>
#include <stdexcept>

#ifdef COLLABSIM_WITH_MPI
#include <mpi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

namespace collabsim {

namespace {

class LocalTransport final : public SweepTransport {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  bool ranks_share_files() const override { return true; }
  void broadcast(std::vector<std::uint64_t>&, std::string&) override {}
  std::vector<std::string> gather(const std::string& mine) override { return {mine}; }
  void send(const PointMessage&) override { throw std::logic_error("a single process sends nothing"); }
  std::optional<PointMessage> poll() override { return std::nullopt; }
  void flush() override {}
  void barrier() override {}
  void ask() override { throw std::logic_error("a single process asks no one"); }
  void stop_asking() override { throw std::logic_error("a single process asks no one"); }
  std::optional<std::int64_t> poll_answer() override { return std::nullopt; }
  std::optional<std::pair<int, bool>> poll_ask() override { return std::nullopt; }
  void answer(int, std::int64_t) override { throw std::logic_error("a single process answers no one"); }
};

#ifdef COLLABSIM_WITH_MPI

constexpr int kTagPoint = 17;
constexpr int kTagAsk = 18;     ///< worker → rank 0: one int, 1 = ask for a point, 0 = stop asking
constexpr int kTagAnswer = 19;  ///< rank 0 → worker: one int64, a pending position or -1

/// True when every rank of the job runs on this node (Open MPI's launcher variables).
bool one_node_job() {
  const char* world = std::getenv("OMPI_COMM_WORLD_SIZE");
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  return world && local && std::strcmp(world, local) == 0;
}

/// Sets TCP_NODELAY on every connected TCP socket of this process (after MPI_Init, when the
/// only such sockets are the ones MPI and its launcher opened). Returns how many were set.
///
/// Why: Open MPI 4.1 reaches its launcher's PMIx server (PMIx 4.2, ptl/tcp) over a loopback TCP
/// socket without TCP_NODELAY. MPI_Finalize sends a few small messages in a row on it, and the
/// last one waits in Nagle's algorithm for the ACK of the one before, which the server delays
/// (Linux's delayed ACK, 40 ms): MPI_Finalize took 44-48 ms on every rank of a 2-rank job on this
/// machine (strace: the server read the message 38 ms after the client wrote it), and 2.1-2.7 ms
/// with the option set. Open MPI's own TCP transport sets the option on its sockets already.
int launcher_sockets_without_delay() {
  int set = 0;
  for (int fd = 3; fd < 1024; ++fd) {
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) continue;
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    if (peer.ss_family != AF_INET && peer.ss_family != AF_INET6) continue;
    const int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0) ++set;
  }
  return set;
}

/// MPI_Init_thread on first use (funnelled: only the main thread calls MPI), MPI_Finalize
/// at process exit.
///
/// On a one-node Open MPI job, for every setting the user did not make in the environment:
/// - `OMPI_MCA_pml=ob1` (shared memory between the ranks): Open MPI 4.1's default selection
///   first probes UCX and libfabric for a network, which costs 0.2 s of start-up per job on
///   this 2-core machine (a bare MPI_Init + MPI_Barrier on 2 ranks: 0.32 s wall with the
///   default, 0.11 s with pml ob1; Debian 12's openmpi 4.1.4).
/// - `PMIX_MCA_gds=hash`: the ranks take the job's few launcher keys by message instead of
///   attaching PMIx's shared-memory store (ds21), which cost 8 ms of MPI_Init on 2 ranks
///   (16-19 ms → 9-12 ms).
/// Jobs that span nodes keep Open MPI's own choices. After MPI_Init the launcher socket gets
/// TCP_NODELAY (launcher_sockets_without_delay: MPI_Finalize 45 ms → 2.5 ms). Together a bare
/// 2-rank job under mpirun takes 0.05 s wall instead of 0.11 s (mpirun of /bin/true: 0.04 s).
struct MpiSession {
  MpiSession() {
    if (one_node_job()) {  // before any thread starts
      setenv("OMPI_MCA_pml", "ob1", /*overwrite=*/0);
      setenv("PMIX_MCA_gds", "hash", /*overwrite=*/0);
    }
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    launcher_sockets_without_delay();
  }
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
};

void put(std::vector<unsigned char>& b, const void* p, std::size_t n) {
  const auto* c = static_cast<const unsigned char*>(p);
  b.insert(b.end(), c, c + n);
}

class MpiTransport final : public SweepTransport {
 public:
  MpiTransport() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  bool ranks_share_files() const override { return one_node_job(); }

  void broadcast(std::vector<std::uint64_t>& values, std::string& error) override {
    std::uint64_t n[2] = {values.size(), error.size()};
    MPI_Bcast(n, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    values.resize(n[0]);
    error.resize(n[1]);
    if (n[0]) MPI_Bcast(values.data(), static_cast<int>(n[0]), MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (n[1]) MPI_Bcast(error.data(), static_cast<int>(n[1]), MPI_CHAR, 0, MPI_COMM_WORLD);
  }

  std::vector<std::string> gather(const std::string& mine) override {
    if (mine.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw std::runtime_error("sweep: over 2 GiB to gather over MPI");
    const int n = static_cast<int>(mine.size());
    std::vector<int> sizes(rank_ == 0 ? static_cast<std::size_t>(size_) : 0);
    MPI_Gather(&n, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::vector<int> offsets(sizes.size());
    std::size_t total = 0;
    for (std::size_t r = 0; r < sizes.size(); ++r) {
      offsets[r] = static_cast<int>(total);
      total += static_cast<std::size_t>(sizes[r]);
      if (total > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::runtime_error("sweep: over 2 GiB to gather over MPI");
    }
    std::string all(total, '\0');
    MPI_Gatherv(mine.data(), n, MPI_CHAR, all.data(), sizes.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
    std::vector<std::string> out;
    for (std::size_t r = 0; r < sizes.size(); ++r)
      out.push_back(all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(sizes[r])));
    return out;
  }

  /// Message: index (8), ok (1), bad_input (1), part_written (1), error length (8), error
  /// bytes, summary row length (8), its doubles (8 each), calibrated value (8), image bytes.
  void send(const PointMessage& m) override {
    auto& slot = in_flight_.emplace_back();
    auto& b = slot.buffer;
    const std::uint64_t len = m.error.size();
    const std::uint64_t row = m.summary_row.size();
    const unsigned char flags[3] = {static_cast<unsigned char>(m.ok), static_cast<unsigned char>(m.bad_input),
                                    static_cast<unsigned char>(m.part_written)};
    put(b, &m.index, 8);
    put(b, flags, 3);
    put(b, &len, 8);
    put(b, m.error.data(), m.error.size());
    put(b, &row, 8);
    put(b, m.summary_row.data(), 8 * row);
    put(b, &m.calibrated_value, 8);
    put(b, m.image.data(), m.image.size());
    if (b.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw std::runtime_error("a point result over 2 GiB cannot be sent over MPI");
    MPI_Isend(b.data(), static_cast<int>(b.size()), MPI_BYTE, 0, kTagPoint, MPI_COMM_WORLD, &slot.request);
    // Free buffers whose sends completed.
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      int done = 0;
      MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
      it = done ? in_flight_.erase(it) : std::next(it);
    }
  }

  std::optional<PointMessage> poll() override {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, kTagPoint, MPI_COMM_WORLD, &flag, &st);
    if (!flag) return std::nullopt;
    int count = 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    std::vector<unsigned char> b(static_cast<std::size_t>(count));
    MPI_Recv(b.data(), count, MPI_BYTE, st.MPI_SOURCE, kTagPoint, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    constexpr std::size_t head = 19;  // index, three flags, error length
    if (b.size() < head) throw std::runtime_error("short sweep message over MPI");
    PointMessage m;
    std::uint64_t len = 0;
    std::memcpy(&m.index, b.data(), 8);
    m.ok = b[8] != 0;
    m.bad_input = b[9] != 0;
    m.part_written = b[10] != 0;
    std::memcpy(&len, b.data() + 11, 8);
    if (len > b.size() - head || b.size() - head - len < 16) throw std::runtime_error("malformed sweep message over MPI");
    m.error.assign(reinterpret_cast<const char*>(b.data() + head), len);
    std::size_t at = head + len;
    std::uint64_t row = 0;
    std::memcpy(&row, b.data() + at, 8);
    at += 8;
    if (row > (b.size() - at - 8) / 8) throw std::runtime_error("malformed sweep message over MPI");
    m.summary_row.resize(row);
    if (row) std::memcpy(m.summary_row.data(), b.data() + at, 8 * row);
    at += 8 * row;
    std::memcpy(&m.calibrated_value, b.data() + at, 8);
    at += 8;
    m.image.assign(b.begin() + static_cast<std::ptrdiff_t>(at), b.end());
    return m;
  }

  void flush() override {
    for (auto& s : in_flight_) MPI_Wait(&s.request, MPI_STATUS_IGNORE);
    in_flight_.clear();
  }
  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }

  // Asks and answers are small blocking sends: rank 0 polls for them every few milliseconds,
  // and MPI buffers a message this small eagerly, so a send returns without waiting.
  void ask() override { send_flag(1); }
  void stop_asking() override { send_flag(0); }
  std::optional<std::int64_t> poll_answer() override {
    int flag = 0;
    MPI_Iprobe(0, kTagAnswer, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    if (!flag) return std::nullopt;
    std::int64_t position = -1;
    MPI_Recv(&position, 1, MPI_INT64_T, 0, kTagAnswer, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return position;
  }
  std::optional<std::pair<int, bool>> poll_ask() override {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, kTagAsk, MPI_COMM_WORLD, &flag, &st);
    if (!flag) return std::nullopt;
    int value = 0;
    MPI_Recv(&value, 1, MPI_INT, st.MPI_SOURCE, kTagAsk, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return std::pair<int, bool>{st.MPI_SOURCE, value != 0};
  }
  void answer(int rank, std::int64_t position) override {
    MPI_Send(&position, 1, MPI_INT64_T, rank, kTagAnswer, MPI_COMM_WORLD);
  }

 private:
  struct Slot {
    std::vector<unsigned char> buffer;
    MPI_Request request{};
  };
  void send_flag(int value) { MPI_Send(&value, 1, MPI_INT, 0, kTagAsk, MPI_COMM_WORLD); }

  int rank_ = 0, size_ = 1;
  std::list<Slot> in_flight_;  // stable addresses while MPI reads them
};

/// True when the process was started by an MPI launcher with more than one rank.
bool launched_with_ranks() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"})
    if (const char* s = std::getenv(v); s && std::atoi(s) > 1) return true;
  return false;
}

#endif

}  // namespace

std::unique_ptr<SweepTransport> local_transport() { return std::make_unique<LocalTransport>(); }

bool mpi_available() {
#ifdef COLLABSIM_WITH_MPI
  return true;
#else
  return false;
#endif
}

std::unique_ptr<SweepTransport> world_transport() {
#ifdef COLLABSIM_WITH_MPI
  if (launched_with_ranks()) {
    static MpiSession session;
    return std::make_unique<MpiTransport>();
  }
#endif
  return local_transport();
}

}  // namespace collabsim
