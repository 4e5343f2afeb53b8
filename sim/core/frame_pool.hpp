#pragma once
/// \file frame_pool.hpp
/// Recycling allocator for coroutine frames. Every simulated request allocates a few
/// frames (its driver, its process, the mechanism's tasks) and frees them when it ends;
/// with 10^3–10^4 requests in flight the general-purpose allocator's per-thread cache
/// (glibc tcache: 7 blocks per size) overflows into its slower bins and hands out cold
/// memory. A FramePool keeps one LIFO free list per 16-byte size class, so a new frame
/// reuses the most recently freed block of its size (still in cache) in a few instructions.
///
/// Each thread has its own pool (`this_thread_frame_pool()`), created on first use and
/// releasing its blocks when the thread ends: engines on different threads (sweeps) never
/// share one, and no lock is taken. A frame freed on another thread than the one that
/// allocated it simply joins that thread's list. The pool holds only free memory: it has
/// no effect on results. Frames larger than kMaxBytes go to ::operator new directly.
/// AddressSanitizer builds bypass the pool (frame_allocate below) so that a use of a freed
/// frame is still reported.

#include <array>
#include <cstddef>
#include <new>
#include <utility>

namespace collabsim {

class FramePool {
 public:
  static constexpr std::size_t kGranule = 16;    ///< bytes; size-class width (and alignment)
  static constexpr std::size_t kMaxBytes = 4096;  ///< larger frames bypass the pool

  FramePool() = default;
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;
  ~FramePool() {
    for (Node*& head : free_)
      while (head) ::operator delete(std::exchange(head, head->next));
  }

  /// A block of at least `bytes` bytes, aligned to __STDCPP_DEFAULT_NEW_ALIGNMENT__.
  /// Throws std::bad_alloc like ::operator new.
  void* allocate(std::size_t bytes) {
    const std::size_t c = size_class(bytes);
    if (c >= kClasses) return ::operator new(bytes);
    if (Node* n = free_[c]) {
      free_[c] = n->next;
      return n;
    }
    return ::operator new((c + 1) * kGranule);
  }

  /// Returns a block from allocate(`bytes`) (same `bytes`) to its free list.
  void deallocate(void* p, std::size_t bytes) noexcept {
    const std::size_t c = size_class(bytes);
    if (c >= kClasses) {
      ::operator delete(p);
      return;
    }
    free_[c] = ::new (p) Node{free_[c]};
  }

 private:
  struct Node {
    Node* next;
  };
  static constexpr std::size_t kClasses = kMaxBytes / kGranule;
  static constexpr std::size_t size_class(std::size_t bytes) noexcept {
    return bytes == 0 ? 0 : (bytes - 1) / kGranule;
  }

  std::array<Node*, kClasses> free_{};
};

/// The calling thread's frame pool.
inline FramePool& this_thread_frame_pool() {
  thread_local FramePool pool;
  return pool;
}

#if defined(__SANITIZE_ADDRESS__)
#define COLLABSIM_FRAME_POOL 0  // AddressSanitizer builds: plain new/delete, so a use of a freed frame is caught
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COLLABSIM_FRAME_POOL 0
#endif
#endif
#ifndef COLLABSIM_FRAME_POOL
#define COLLABSIM_FRAME_POOL 1
#endif

/// Coroutine-frame allocation through the calling thread's pool (promise operator new).
inline void* frame_allocate(std::size_t bytes) {
#if COLLABSIM_FRAME_POOL
  return this_thread_frame_pool().allocate(bytes);
#else
  return ::operator new(bytes);
#endif
}
/// Coroutine-frame release (promise operator delete; `bytes` as allocated).
inline void frame_deallocate(void* p, std::size_t bytes) noexcept {
#if COLLABSIM_FRAME_POOL
  this_thread_frame_pool().deallocate(p, bytes);
#else
  ::operator delete(p, bytes);
#endif
}

}  // namespace collabsim
