#pragma once
/// \file latch.hpp
/// Join point for processes that fork work: `count_down()` n times, `co_await wait()`
/// resumes the waiter (by a zero-delay event) once the count reaches zero.

#include <coroutine>
#include <stdexcept>

#include "sim/core/engine.hpp"

namespace collabsim {

class Latch {
 public:
  Latch(Engine& engine, int count) : engine_(engine), count_(count) {}

  void count_down() {
    if (count_ <= 0) throw std::logic_error("Latch::count_down below zero");
    if (--count_ == 0 && waiter_) engine_.schedule(engine_.now(), std::exchange(waiter_, {}));
  }

  auto wait() noexcept {
    struct Awaiter {
      Latch& l;
      bool await_ready() const noexcept { return l.count_ == 0; }
      void await_suspend(std::coroutine_handle<> h) noexcept { l.waiter_ = h; }
      void await_resume() const noexcept {}
    };
    return Awaiter{*this};
  }

 private:
  Engine& engine_;
  int count_;
  std::coroutine_handle<> waiter_;
};

}  // namespace collabsim
