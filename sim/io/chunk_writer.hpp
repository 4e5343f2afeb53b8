#pragma once
/// \file chunk_writer.hpp
/// Filters and writes the chunks of a 1-D chunked HDF5 dataset on a thread of its own, so
/// compression is off the simulation thread. The dataset's filter pipeline must be exactly
/// shuffle (element size = the row size) then deflate: ChunkWriter applies both itself
/// (HDF5's byte shuffle; deflate with ISA-L's igzip, ZlibDeflater, ~3x fewer instructions
/// than libdeflate and ~6x fewer than zlib) and stores the bytes with H5Dwrite_chunk (direct
/// chunk write). The file format is the one of the filter pipeline (same filters and chunk
/// size; each chunk a zlib stream, RFC 1950, that HDF5's deflate filter decodes), so readers
/// (h5py, h5dump) see the same dataset; the compressed bytes differ from zlib's. Every chunk
/// is stored compressed (filter mask 0), as HDF5's filter does.
///
/// Rows are written in the order they are handed over (one FIFO queue, one thread), so the
/// dataset is the same whatever the timing. At most `max_queued` chunks wait (the producer
/// blocks beyond that), which bounds memory to (max_queued + 2) chunks.

#include <H5Cpp.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <memory>
#include <vector>

#include "sim/io/zlib_deflater.hpp"

namespace collabsim {

class ChunkWriter {
 public:
  /// `dataset`: 1-D, extendible, chunked `chunk_rows` rows of `row_bytes` bytes, filters
  /// shuffle + deflate (any level: the level only advises an encoder, the stream decodes
  /// the same); it must stay open until finish() returns.
  ChunkWriter(H5::DataSet& dataset, std::size_t row_bytes, std::uint64_t chunk_rows, std::size_t max_queued = 4);
  /// Joins the thread (errors are dropped: call finish() to see them).
  ~ChunkWriter();
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;

  /// Queues `rows` encoded rows (rows × row_bytes bytes; at most chunk_rows) as the next
  /// chunk, extending the dataset to cover them. Every chunk but the last must be full.
  /// Rethrows an error of the writer thread (std::runtime_error for an HDF5 or deflate failure).
  void write(std::vector<unsigned char> rows_bytes);
  /// Waits until every queued chunk is written; rethrows the writer's first error.
  void finish();
  /// Rows handed over so far.
  std::uint64_t rows() const { return rows_; }

  /// HDF5's shuffle filter on one chunk: byte j of element i moves to j·n + i (n elements
  /// of `element` bytes; trailing bytes that fill no element stay in place).
  static void shuffle(const unsigned char* in, unsigned char* out, std::size_t bytes, std::size_t element);

 private:
  struct Job {
    std::vector<unsigned char> bytes;  // the chunk's rows, unpadded
    std::uint64_t first_row = 0;
  };
  void run();
  void store(const Job& job, ByteBuffer& padded, ByteBuffer& shuffled, ByteBuffer& packed);

  H5::DataSet& ds_;
  std::size_t row_bytes_;
  std::uint64_t chunk_rows_;
  std::size_t max_queued_;
  std::uint64_t rows_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool busy_ = false, stop_ = false;
  std::exception_ptr error_;
  ZlibDeflater deflater_;  // used by the writer thread only
  std::thread thread_;
};

}  // namespace collabsim
