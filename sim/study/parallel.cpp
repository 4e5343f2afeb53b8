#include "sim/study/parallel.hpp"

#include <algorithm>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace collabsim {

void parallel_for(std::size_t n, int threads, const std::function<void(std::size_t)>& work,
                  const std::function<void(std::size_t)>& on_done, std::atomic<bool>* stop) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first;
  std::mutex mu;
  auto worker = [&] {
    for (;;) {
      if (failed.load() || (stop && stop->load())) return;
      const std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        work(i);
        std::lock_guard lock(mu);
        if (on_done) on_done(i);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!first) first = std::current_exception();
        failed.store(true);
        return;
      }
    }
  };
  // No more threads than items; a system that refuses more threads (EAGAIN for -j 100000)
  // runs the work on the ones it gave, or on this thread.
  const int k = static_cast<int>(std::min<std::size_t>(threads < 1 ? 1 : static_cast<std::size_t>(threads),
                                                       std::max<std::size_t>(n, 1)));
  if (k == 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    pool.reserve(static_cast<std::size_t>(k));
    for (int t = 0; t < k; ++t) {
      try {
        pool.emplace_back(worker);
      } catch (const std::system_error&) {
        break;
      }
    }
    if (pool.empty()) worker();
  }  // jthreads join here
  if (first) std::rethrow_exception(first);
}

}  // namespace collabsim
