#pragma once
/// \file frame_pool.hpp
/// Recycling allocator for coroutine frames. Every simulated request allocates a few
/// frames (its driver, its process, the mechanism's tasks) and frees them when it ends;
/// with 10^3–10^4 requests in flight the general-purpose allocator's per-thread cache
/// (glibc tcache: 7 blocks per size) overflows into its slower bins and hands out cold
/// memory. A FramePool keeps one LIFO free list per 16-byte size class, so a new frame
/// reuses the most recently freed block of its size (still in cache) in a few instructions.
/// Blocks are carved from 64 KiB slabs: growing to 10^4 requests in flight costs one
/// allocation per slab, not one per frame, and the pool's end frees its slabs, not each
/// frame (an 8x-overload run held 65k frames at its peak).
///
/// Ownership (threads): each thread has its own pool (`this_thread_frame_pool()`), created
/// on first use, and the pool owns its slabs; no lock is taken on the usual path. A frame
/// belongs to the pool it was allocated from (the slab's header names it) and returns to
/// that pool's lists:
/// - freed on the allocating thread (every simulation: an Engine, its processes and their
///   frames live and die on the thread that runs it, sweep points and the Python
///   environment's worker included), it is pushed on the pool's own free list;
/// - freed on another thread, it is pushed on the owner's lock-free list of remote frees
///   (atomic, many producers), which the owner takes back into its free lists the next
///   time a list it allocates from is empty.
/// When the owning thread ends its pool takes back its remote frees and releases its slabs
/// if no frame is outstanding; if some frame is still alive on another thread, the pool
/// and its slabs are left allocated for the rest of the process (a later free of such a
/// frame still lands in valid memory), which collabsim never does.
/// The pool changes where frames are in memory, nothing else: it has no effect on results.
/// Frames larger than kMaxBytes go to ::operator new directly. AddressSanitizer builds bypass the pool
/// (frame_allocate below) so that a use of a freed frame is still reported.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace collabsim {

/// Size-classed LIFO free lists over 64 KiB slabs (see the file comment). Ownership: the
/// pool owns its slabs and every block carved from them; a block returns to the pool that
/// carved it whichever thread frees it (its own list on the owner's thread, the owner's
/// lock-free remote list elsewhere). Threads: allocate() and the owner's deallocate() are
/// for the owning thread only; deallocate() from another thread is safe at any time.
class FramePool {
 public:
  static constexpr std::size_t kGranule = 16;            ///< bytes; size-class width (and alignment)
  static constexpr std::size_t kMaxBytes = 4096;         ///< larger frames bypass the pool
  static constexpr std::size_t kSlabBytes = 64 * 1024;   ///< bytes per slab (and its alignment)

  FramePool() = default;
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;
  /// Releases the slabs. Every block must have been returned (release_or_keep() is the
  /// thread-end path that checks).
  ~FramePool() { release_slabs(); }

  /// A block of at least `bytes` bytes, aligned to __STDCPP_DEFAULT_NEW_ALIGNMENT__.
  /// Throws std::bad_alloc like ::operator new.
  void* allocate(std::size_t bytes) {
    const std::size_t c = size_class(bytes);
    if (c >= kClasses) return ::operator new(bytes);
    if (Node* n = free_[c]) [[likely]] {
      free_[c] = n->next;
      return n;
    }
    return allocate_slow(c);
  }

  /// Returns a block from allocate(`bytes`) (same `bytes`, any pool's, any thread) to the
  /// pool that allocated it.
  void deallocate(void* p, std::size_t bytes) noexcept {
    const std::size_t c = size_class(bytes);
    if (c >= kClasses) {
      ::operator delete(p);
      return;
    }
    FramePool* owner = slab_of(p)->owner;
    if (owner == this) [[likely]] {
      free_[c] = ::new (p) Node{free_[c], c};
      return;
    }
    owner->remote_free(p, c);
  }

  /// Blocks handed out and not returned yet (remote frees count once taken back): the
  /// blocks carved from slabs less those on the free lists (a walk of the lists).
  std::size_t outstanding() const noexcept {
    std::size_t free = 0;
    for (const Node* head : free_)
      for (const Node* n = head; n; n = n->next) ++free;
    return carved_ - free;
  }
  /// Slabs held (each kSlabBytes).
  std::size_t slabs() const noexcept { return slab_count_; }

  /// Thread-end path of a heap-allocated pool: takes back the remote frees, then deletes
  /// the pool (and its slabs) when no block is outstanding; otherwise leaves it allocated
  /// (see the file comment). Returns true when it was deleted.
  static bool release_or_keep(FramePool* pool) noexcept {
    pool->take_remote();
    if (pool->outstanding() != 0) return false;
    delete pool;
    return true;
  }

 private:
  struct Node {
    Node* next;
    std::size_t cls;  ///< size class (read when a remote free is taken back)
  };
  struct Slab {  ///< header at the start of each kSlabBytes-aligned slab
    FramePool* owner;
    Slab* next;
  };
  static_assert(sizeof(Slab) <= kGranule && sizeof(Node) <= kGranule);
  static constexpr std::size_t kClasses = kMaxBytes / kGranule;
  static constexpr std::size_t size_class(std::size_t bytes) noexcept {
    return bytes == 0 ? 0 : (bytes - 1) / kGranule;
  }
  static Slab* slab_of(void* p) noexcept {
    return reinterpret_cast<Slab*>(reinterpret_cast<std::uintptr_t>(p) & ~(std::uintptr_t{kSlabBytes} - 1));
  }

  void* allocate_slow(std::size_t c) {
    if (remote_.load(std::memory_order_relaxed)) {
      take_remote();
      if (Node* n = free_[c]) {
        free_[c] = n->next;
        return n;
      }
    }
    const std::size_t size = (c + 1) * kGranule;
    if (static_cast<std::size_t>(end_ - bump_) < size) {
      // A new slab; what is left of the current one is too small for this class and is
      // not used (at most kMaxBytes per slab).
      void* mem = ::operator new(kSlabBytes, std::align_val_t{kSlabBytes});
      slabs_ = ::new (mem) Slab{this, slabs_};
      ++slab_count_;
      bump_ = static_cast<char*>(mem) + kGranule;
      end_ = static_cast<char*>(mem) + kSlabBytes;
    }
    void* p = bump_;
    bump_ += size;
    ++carved_;
    return p;
  }

  /// Another thread frees `p` (class `c`) of this pool: a lock-free push (Treiber stack;
  /// the owner only ever takes the whole list, so there is no ABA problem).
  void remote_free(void* p, std::size_t c) noexcept {
    Node* n = ::new (p) Node{remote_.load(std::memory_order_relaxed), c};
    while (!remote_.compare_exchange_weak(n->next, n, std::memory_order_release, std::memory_order_relaxed)) {
    }
  }
  /// Owner thread: the remote frees join the free lists, the last freed on top.
  void take_remote() noexcept {
    Node* newest = remote_.exchange(nullptr, std::memory_order_acquire);
    Node* n = nullptr;  // the list reversed: oldest first
    while (newest) {
      Node* older = newest->next;
      newest->next = n;
      n = newest;
      newest = older;
    }
    while (n) {
      Node* next = n->next;
      n->next = free_[n->cls];
      free_[n->cls] = n;
      n = next;
    }
  }
  void release_slabs() noexcept {
    while (slabs_) {
      Slab* s = slabs_;
      slabs_ = s->next;
      ::operator delete(static_cast<void*>(s), std::align_val_t{kSlabBytes});
    }
    slab_count_ = carved_ = 0;
    free_.fill(nullptr);
    bump_ = end_ = nullptr;
  }

  std::array<Node*, kClasses> free_{};
  char* bump_ = nullptr;  ///< next unused byte of the current slab
  char* end_ = nullptr;   ///< end of the current slab
  Slab* slabs_ = nullptr;
  std::size_t slab_count_ = 0;
  std::size_t carved_ = 0;  ///< blocks carved from the slabs so far
  std::atomic<Node*> remote_{nullptr};
};

namespace detail {
/// The calling thread's pool, null before its first frame (a trivial thread_local: no
/// initialisation guard on the allocation path).
inline thread_local FramePool* thread_frame_pool = nullptr;
/// Creates the calling thread's pool and arranges its release at the thread's end.
[[gnu::noinline, gnu::cold]] inline FramePool* make_thread_frame_pool() {
  struct Holder {
    ~Holder() {
      if (thread_frame_pool) FramePool::release_or_keep(thread_frame_pool);
      thread_frame_pool = nullptr;
    }
  };
  thread_local Holder holder;
  return thread_frame_pool = new FramePool;
}
}  // namespace detail

/// The calling thread's frame pool: allocated on first use; at the thread's end it is
/// released, or kept while frames of it are still alive on other threads
/// (FramePool::release_or_keep).
inline FramePool& this_thread_frame_pool() {
  FramePool* p = detail::thread_frame_pool;
  if (!p) [[unlikely]]
    p = detail::make_thread_frame_pool();
  return *p;
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
/// Coroutine-frame release (promise operator delete; `bytes` as allocated), on any thread.
inline void frame_deallocate(void* p, std::size_t bytes) noexcept {
#if COLLABSIM_FRAME_POOL
  this_thread_frame_pool().deallocate(p, bytes);
#else
  ::operator delete(p, bytes);
#endif
}

}  // namespace collabsim
