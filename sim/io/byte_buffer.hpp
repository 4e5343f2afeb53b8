#pragma once
/// \file byte_buffer.hpp
/// A byte vector whose resize() leaves the new bytes uninitialised, for scratch buffers that
/// are written in full before they are read (shuffled and compressed chunks): a
/// std::vector<unsigned char> zero-fills on every growth, ~0.5k instructions per request of
/// the default scenario's result file (issue 26). Only resize() and the (n) constructor
/// differ from std::vector; assign(n, 0) and resize(n, 0) still fill.

#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace collabsim {

/// std::allocator whose value-less construct() default-initialises (no zeroing for bytes).
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() noexcept = default;
  template <class U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

using ByteBuffer = std::vector<unsigned char, DefaultInitAllocator<unsigned char>>;

}  // namespace collabsim
