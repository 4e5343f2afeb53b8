#pragma once
/// \file reorder_buffer.hpp
/// Reorder buffer for fixed-size rows numbered 0, 1, 2, … that arrive out of order
/// (requests finish out of order; /requests is written in request-id order). Rows wait in
/// a ring of slots indexed by id − next() (power-of-two capacity, doubled when an id runs
/// ahead of it), so insertion and release are O(1) with no allocation per row: the
/// std::map of per-row vectors it replaces cost two allocations and a tree walk per
/// request and scattered the rows in memory under overload (10^3–10^4 requests in flight).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace collabsim {

class RowReorderBuffer {
 public:
  /// Rows of `row_size` bytes.
  explicit RowReorderBuffer(std::size_t row_size) : row_size_(row_size) {}

  /// The id of the next row to release.
  std::uint64_t next() const noexcept { return next_; }
  /// Rows inserted but not yet released (waiting for a lower id).
  std::size_t waiting() const noexcept { return waiting_; }

  /// The zero-filled slot (row_size bytes) for row `id`, valid until the next insert().
  /// Throws std::logic_error if `id` was already inserted or released.
  unsigned char* insert(std::uint64_t id) {
    if (id < next_) throw std::logic_error("RowReorderBuffer: row " + std::to_string(id) + " already released");
    const std::uint64_t ahead = id - next_;
    if (ahead >= ready_.size()) grow(ahead + 1);
    const std::size_t slot = (head_ + ahead) & (ready_.size() - 1);
    if (ready_[slot]) throw std::logic_error("RowReorderBuffer: row " + std::to_string(id) + " inserted twice");
    ready_[slot] = 1;
    ++waiting_;
    unsigned char* p = rows_.data() + slot * row_size_;
    std::memset(p, 0, row_size_);
    return p;
  }

  /// Releases the consecutive rows from next() that are present, in id order: calls
  /// `sink(const unsigned char* row)` for each and advances next().
  template <class Sink>
  void release(Sink&& sink) {
    if (waiting_ == 0) return;
    const std::size_t mask = ready_.size() - 1;
    while (ready_[head_]) {
      sink(static_cast<const unsigned char*>(rows_.data() + head_ * row_size_));
      ready_[head_] = 0;
      head_ = (head_ + 1) & mask;
      ++next_;
      if (--waiting_ == 0) break;
    }
  }

 private:
  /// Capacity to the next power of two ≥ `need` (at least 64 slots), keeping the rows.
  void grow(std::uint64_t need) {
    std::size_t cap = ready_.empty() ? 64 : ready_.size();
    while (cap < need) cap *= 2;
    std::vector<unsigned char> rows(cap * row_size_);
    std::vector<unsigned char> ready(cap, 0);
    const std::size_t old = ready_.size();
    for (std::size_t i = 0; i < old; ++i) {
      const std::size_t from = (head_ + i) & (old - 1);
      ready[i] = ready_[from];
      std::memcpy(rows.data() + i * row_size_, rows_.data() + from * row_size_, row_size_);
    }
    rows_.swap(rows);
    ready_.swap(ready);
    head_ = 0;
  }

  std::size_t row_size_;
  std::vector<unsigned char> rows_;   // capacity × row_size bytes
  std::vector<unsigned char> ready_;  // per slot: 1 if its row is present
  std::size_t head_ = 0;              // slot of row next_
  std::uint64_t next_ = 0;
  std::size_t waiting_ = 0;
};

}  // namespace collabsim
