#include "sim/io/chunk_writer.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace collabsim {

ChunkWriter::ChunkWriter(H5::DataSet& dataset, std::size_t row_bytes, std::uint64_t chunk_rows, std::size_t max_queued)
    : ds_(dataset), row_bytes_(row_bytes), chunk_rows_(chunk_rows), max_queued_(std::max<std::size_t>(max_queued, 1)) {
  thread_ = std::thread([this] { run(); });
}

ChunkWriter::~ChunkWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ChunkWriter::shuffle(const unsigned char* in, unsigned char* out, std::size_t bytes, std::size_t element) {
  const std::size_t n = element > 0 ? bytes / element : 0;
  if (element <= 1 || n <= 1) {
    std::memcpy(out, in, bytes);
    return;
  }
  std::size_t first = 0;  // elements before `first` are done
#if defined(__SSE2__)
  // Blocks of 8 elements × 8 bytes transposed in registers (three rounds of unpacks), ~0.6
  // instructions per byte instead of ~5 for the byte loop below (issue 26: the byte loop was
  // ~1.5k instructions per request of the default scenario's /requests).
  const std::size_t n8 = n & ~std::size_t{7}, e8 = element & ~std::size_t{7};
  for (; first < n8; first += 8) {
    const unsigned char* row = in + first * element;
    for (std::size_t j = 0; j < e8; j += 8) {
      __m128i r[8];
      for (std::size_t k = 0; k < 8; ++k)
        r[k] = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + k * element + j));
      const __m128i t0 = _mm_unpacklo_epi8(r[0], r[1]), t1 = _mm_unpacklo_epi8(r[2], r[3]);
      const __m128i t2 = _mm_unpacklo_epi8(r[4], r[5]), t3 = _mm_unpacklo_epi8(r[6], r[7]);
      const __m128i u0 = _mm_unpacklo_epi16(t0, t1), u1 = _mm_unpackhi_epi16(t0, t1);
      const __m128i u2 = _mm_unpacklo_epi16(t2, t3), u3 = _mm_unpackhi_epi16(t2, t3);
      const __m128i v[4] = {_mm_unpacklo_epi32(u0, u2), _mm_unpackhi_epi32(u0, u2), _mm_unpacklo_epi32(u1, u3),
                            _mm_unpackhi_epi32(u1, u3)};  // v[q]: byte 2q of the 8 elements, then byte 2q + 1
      for (std::size_t q = 0; q < 4; ++q) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + (j + 2 * q) * n + first), v[q]);
        // The high half through the unaligned 64-bit store as well (_mm_storeh_pd takes a
        // double*, whose 8-byte alignment a chunk offset does not have: UB, which UBSan reports).
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + (j + 2 * q + 1) * n + first), _mm_unpackhi_epi64(v[q], v[q]));
      }
    }
    for (std::size_t j = e8; j < element; ++j)
      for (std::size_t k = 0; k < 8; ++k) out[j * n + first + k] = row[k * element + j];
  }
#endif
  for (std::size_t j = 0; j < element; ++j) {
    unsigned char* dst = out + j * n;
    const unsigned char* src = in + j;
    for (std::size_t i = first; i < n; ++i) dst[i] = src[i * element];
  }
  std::memcpy(out + n * element, in + n * element, bytes - n * element);  // leftover bytes in place
}

void ChunkWriter::write(std::vector<unsigned char> rows_bytes) {
  const std::uint64_t rows = rows_bytes.size() / row_bytes_;
  if (rows == 0) return;
  std::unique_lock lock(mu_);
  if (error_) std::rethrow_exception(error_);
  if (rows_ % chunk_rows_ != 0) throw std::logic_error("ChunkWriter: a chunk after a partial one");
  cv_.wait(lock, [&] { return queue_.size() < max_queued_ || error_; });
  if (error_) std::rethrow_exception(error_);
  queue_.push_back(Job{std::move(rows_bytes), rows_});
  rows_ += rows;
  lock.unlock();
  cv_.notify_all();
}

void ChunkWriter::finish() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return (queue_.empty() && !busy_) || error_; });
  if (error_) std::rethrow_exception(error_);
}

void ChunkWriter::store(const Job& job, ByteBuffer& padded, ByteBuffer& shuffled, ByteBuffer& packed) {
  const std::size_t chunk_bytes = static_cast<std::size_t>(chunk_rows_) * row_bytes_;
  const unsigned char* src = job.bytes.data();
  if (job.bytes.size() < chunk_bytes) {  // the last chunk: the rest is the fill value (zeros)
    padded.resize(chunk_bytes);
    std::memcpy(padded.data(), job.bytes.data(), job.bytes.size());
    std::memset(padded.data() + job.bytes.size(), 0, chunk_bytes - job.bytes.size());
    src = padded.data();
  }
  shuffled.resize(chunk_bytes);
  shuffle(src, shuffled.data(), chunk_bytes, row_bytes_);
  const std::size_t packed_bytes = deflater_.compress(shuffled.data(), chunk_bytes, packed);
  const hsize_t extent = job.first_row + job.bytes.size() / row_bytes_;
  ds_.extend(&extent);
  const hsize_t offset = job.first_row;
  if (H5Dwrite_chunk(ds_.getId(), H5P_DEFAULT, 0, &offset, packed_bytes, packed.data()) < 0)
    throw std::runtime_error("result file: H5Dwrite_chunk failed at row " + std::to_string(job.first_row));
}

void ChunkWriter::run() {
  ByteBuffer padded, shuffled, packed;  // reused between chunks
  for (;;) {
    Job job;
    bool failed = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || stop_; });
      if (queue_.empty()) return;  // stop with nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      failed = error_ != nullptr;
    }
    cv_.notify_all();  // room in the queue
    try {
      if (!failed) store(job, padded, shuffled, packed);
    } catch (const H5::Exception& e) {
      std::lock_guard lock(mu_);
      if (!error_) error_ = std::make_exception_ptr(std::runtime_error("result file: " + e.getDetailMsg()));
    } catch (...) {
      std::lock_guard lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
    {
      std::lock_guard lock(mu_);
      busy_ = false;
    }
    cv_.notify_all();
  }
}

}  // namespace collabsim
