#pragma once
/// \file zlib_deflater.hpp
/// One buffer compressed into one zlib stream (RFC 1950 wrapper around RFC 1951 deflate),
/// the bytes HDF5's deflate filter (H5Z_FILTER_DEFLATE) stores for a chunk and decodes with
/// zlib. Used for every compressed dataset this program writes (ChunkWriter for /requests,
/// write_table for /users and /spans), which store their chunks with direct chunk writes.
///
/// The encoder is ISA-L's igzip at its level 1 (Debian's libisal-dev, Intel ISA-L 2.30,
/// `isal_deflate_stateless` with the zlib wrapper): on the default scenario's shuffled
/// /requests chunks ~8.8 instructions per byte against ~26 for libdeflate level 1 and ~50
/// for zlib level 1, for a 4% larger stream (ratio 3.21 against 3.35; callgrind, issue 26).
/// The compressed bytes depend on the CPU's instruction set (ISA-L picks SSE, AVX2 or
/// AVX-512 code at run time), the data they decode to never does.

#include <cstddef>

#include "sim/io/byte_buffer.hpp"

namespace collabsim {

class ZlibDeflater {
 public:
  ZlibDeflater();
  /// Writes the zlib stream of the `n` bytes at `in` to the front of `out` and returns its
  /// length in bytes. `out` is grown to n + n/16 + 1 KiB if smaller (never shrunk, so a
  /// reused buffer is not cleared; data that does not compress goes into stored
  /// blocks). Throws std::runtime_error if the encoder fails. Not thread-safe: one
  /// deflater per thread.
  std::size_t compress(const unsigned char* in, std::size_t n, ByteBuffer& out);

 private:
  ByteBuffer level_buf_;  // ISA-L's level-1 hash table and token buffer (ISA-L initialises what it reads)
};

}  // namespace collabsim
