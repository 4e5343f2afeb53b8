#pragma once
/// \file parallel.hpp
/// A fixed pool of std::jthread workers over the indices 0..n-1 of independent jobs (sweep
/// points, golden checks). Each job builds its own Engine, so jobs share nothing mutable;
/// results are handed back by index, so what is written never depends on the thread count.

#include <atomic>
#include <cstddef>
#include <functional>

namespace collabsim {

/// Runs `work(i)` for every i in [0, n) on `threads` workers (≥ 1; 1 runs inline on the
/// calling thread; never more workers than items, and only as many as the system lets
/// start: a refused thread is not an error). `on_done(i)` is called under one mutex, in completion order, after
/// `work(i)` returned; an exception from `work` or `on_done` stops the pool (jobs not yet
/// started are skipped) and the first one is rethrown on the calling thread after all
/// workers joined. Setting `*stop` (optional) also skips the jobs not yet started.
void parallel_for(std::size_t n, int threads, const std::function<void(std::size_t)>& work,
                  const std::function<void(std::size_t)>& on_done, std::atomic<bool>* stop = nullptr);

}  // namespace collabsim
