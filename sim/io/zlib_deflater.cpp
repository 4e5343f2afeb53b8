#include "sim/io/zlib_deflater.hpp"

#include <isa-l/igzip_lib.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace collabsim {

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
  if (rc != COMP_OK) throw std::runtime_error("deflate: ISA-L igzip failed (" + std::to_string(rc) + ")");
  return s.total_out;
}

}  // namespace collabsim
