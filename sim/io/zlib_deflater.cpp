#include "sim/io/zlib_deflater.hpp"

#include <isa-l/igzip_lib.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace collabsim {

namespace {

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx"))) void vzeroupper() { __builtin_ia32_vzeroupper(); }
#endif

/// ISA-L's AVX-512 deflate (isal_deflate_icf_body_*_04) returns with the upper halves of
/// the vector registers in use. Until a VZEROUPPER, every switch between legacy-SSE code
/// (this program and glibc's pow wrapper) and VEX code (libm's __ieee754_pow_fma) on that
/// thread stalls. /inputs is deflated on the simulation thread before engine.run(), so
/// large_only's whole simulation took 6.5-7.3 us of CPU per request instead of 2.9 us
/// (bench_overload 1x; perf: 98% of pow's samples on the first SSE instruction after the
/// VEX call). Clears that state (no effect on any value); only on CPUs with AVX, where the
/// instruction exists.
void clear_upper_state() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool avx = __builtin_cpu_supports("avx");
  if (avx) vzeroupper();
#endif
}

}  // namespace

ZlibDeflater::ZlibDeflater() : level_buf_(ISAL_DEF_LVL1_DEFAULT) {}

std::size_t ZlibDeflater::compress(const unsigned char* in, std::size_t n, ByteBuffer& out) {
  if (n > 0xFFFFFFFFu) throw std::runtime_error("deflate: a chunk of " + std::to_string(n) + " bytes (at most 4 GiB)");
  const std::size_t bound = n + n / 16 + 1024;  // room for stored blocks (5 bytes per 64 KiB) and the wrapper
  if (out.size() < bound) out.resize(bound);
  isal_zstream s;
  isal_deflate_stateless_init(&s);
  s.level = 1;
  s.level_buf = level_buf_.data();
  s.level_buf_size = static_cast<std::uint32_t>(level_buf_.size());
  s.gzip_flag = IGZIP_ZLIB;
  s.end_of_stream = 1;
  s.flush = NO_FLUSH;
  s.next_in = const_cast<unsigned char*>(in);  // ISA-L's input pointer is not const; it only reads
  s.avail_in = static_cast<std::uint32_t>(n);
  s.next_out = out.data();
  s.avail_out = static_cast<std::uint32_t>(out.size());
  const int rc = isal_deflate_stateless(&s);
  clear_upper_state();
  if (rc != COMP_OK) throw std::runtime_error("deflate: ISA-L igzip failed (" + std::to_string(rc) + ")");
  return s.total_out;
}

}  // namespace collabsim
