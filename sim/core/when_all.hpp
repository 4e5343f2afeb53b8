#pragma once
/// \file when_all.hpp
/// Fork–join of simulated processes: `co_await when_all(engine, tasks)` starts every task
/// as its own process (in order, at the current time) and resumes the caller, by a
/// zero-delay event, once all have finished, with their results in the tasks' order.
/// Used where a mechanism asks several models at once (fusion, ensembles).

#include <cstddef>
#include <utility>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/latch.hpp"
#include "sim/core/task.hpp"

namespace collabsim {

namespace detail {
template <class T>
Task<void> run_into(Task<T> task, T& out, Latch& latch) {
  out = co_await task;
  latch.count_down();
}
}  // namespace detail

/// Results of `tasks` (T default-constructible and move-assignable), in order. With no
/// tasks it returns an empty vector at once.
template <class T>
Task<std::vector<T>> when_all(Engine& engine, std::vector<Task<T>> tasks) {
  std::vector<T> out(tasks.size());
  Latch latch(engine, static_cast<int>(tasks.size()));
  for (std::size_t i = 0; i < tasks.size(); ++i) engine.spawn(detail::run_into(std::move(tasks[i]), out[i], latch));
  co_await latch.wait();
  co_return out;
}

}  // namespace collabsim
