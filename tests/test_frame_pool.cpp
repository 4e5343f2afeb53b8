// Memory layout of the engine's per-request state (issue 13): coroutine frames recycled by
// FramePool, the engine's intrusive list of unfinished drivers, and the ring reorder
// buffer that puts /requests rows in request-id order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/core/frame_pool.hpp"
#include "sim/io/reorder_buffer.hpp"

using namespace collabsim;

namespace {

TEST(FramePool, ReusesTheLastFreedBlockOfASizeClass) {
  FramePool pool;
  void* a = pool.allocate(100);
  void* b = pool.allocate(100);
  EXPECT_NE(a, b);
  pool.deallocate(a, 100);
  pool.deallocate(b, 100);
  // LIFO within the 97..112-byte class: the most recently freed block comes back first.
  EXPECT_EQ(pool.allocate(97), b);
  EXPECT_EQ(pool.allocate(112), a);
  void* c = pool.allocate(113);  // next class: a fresh block
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(c) % alignof(std::max_align_t), 0u);
  void* big = pool.allocate(FramePool::kMaxBytes + 1);  // bypasses the pool
  std::memset(big, 0, FramePool::kMaxBytes + 1);
  pool.deallocate(big, FramePool::kMaxBytes + 1);
  pool.deallocate(a, 112);
  pool.deallocate(b, 97);
  pool.deallocate(c, 113);
}

TEST(FramePool, CarvesFramesFromSlabsAndReusesThem) {
  FramePool pool;
  constexpr std::size_t kFrames = 10'000, kBytes = 432;
  std::vector<void*> frames;
  for (std::size_t i = 0; i < kFrames; ++i) frames.push_back(pool.allocate(kBytes));
  EXPECT_EQ(pool.outstanding(), kFrames);
  // One slab per (64 KiB − its 16-byte header) / 432 = 151 frames, not one allocation per frame.
  const std::size_t per_slab = (FramePool::kSlabBytes - FramePool::kGranule) / kBytes;
  EXPECT_EQ(pool.slabs(), (kFrames + per_slab - 1) / per_slab);
  const std::set<void*> distinct(frames.begin(), frames.end());
  EXPECT_EQ(distinct.size(), kFrames);
  for (void* f : frames) {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(f) % FramePool::kGranule, 0u);
    std::memset(f, 0xab, kBytes);  // the whole block is usable (overlaps would corrupt the lists below)
  }
  for (void* f : frames) pool.deallocate(f, kBytes);
  EXPECT_EQ(pool.outstanding(), 0u);
  const std::size_t slabs = pool.slabs();
  for (std::size_t i = 0; i < kFrames; ++i) EXPECT_TRUE(distinct.count(pool.allocate(kBytes)));  // reused, no new slab
  EXPECT_EQ(pool.slabs(), slabs);
  EXPECT_EQ(pool.outstanding(), kFrames);
  for (void* f : frames) pool.deallocate(f, kBytes);  // every block back before the pool ends
}

TEST(FramePool, AFrameFreedOnAnotherThreadGoesBackToItsOwner) {
  auto* owner = new FramePool;
  std::vector<void*> frames;
  for (int i = 0; i < 100; ++i) frames.push_back(owner->allocate(200));
  std::thread([&] {
    FramePool other;  // the freeing thread's own pool
    for (void* f : frames) other.deallocate(f, 200);
    EXPECT_EQ(other.outstanding(), 0u);
    EXPECT_EQ(other.slabs(), 0u);  // the blocks did not join its lists ...
    void* mine = other.allocate(200);
    EXPECT_EQ(std::count(frames.begin(), frames.end(), mine), 0);  // ... and it does not hand them out
    other.deallocate(mine, 200);
  }).join();
  EXPECT_EQ(owner->outstanding(), 100u);  // not taken back yet: its free list of that class is empty
  const std::size_t slabs = owner->slabs();
  // The next allocation of the class takes the remote frees back (last freed first).
  void* again = owner->allocate(200);
  EXPECT_EQ(again, frames.back());
  EXPECT_EQ(owner->outstanding(), 1u);
  EXPECT_EQ(owner->slabs(), slabs);
  // The thread-end path: a pool with a frame still out is kept, and deleted once it is back.
  EXPECT_FALSE(FramePool::release_or_keep(owner));
  FramePool elsewhere;
  elsewhere.deallocate(again, 200);
  EXPECT_EQ(owner->outstanding(), 1u);
  EXPECT_TRUE(FramePool::release_or_keep(owner));
}

TEST(FramePool, ConcurrentRemoteFreesAreAllTakenBack) {
  auto* owner = new FramePool;
  constexpr int kThreads = 4, kEach = 2000;
  std::vector<std::vector<void*>> given(kThreads);
  for (auto& g : given)
    for (int i = 0; i < kEach; ++i) g.push_back(owner->allocate(16 * (1 + i % 8)));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      FramePool own;
      for (int i = 0; i < kEach; ++i) own.deallocate(given[t][i], 16 * (1 + i % 8));
    });
  // Meanwhile the owner keeps allocating and freeing, taking remote frees back as it goes.
  std::vector<std::pair<void*, std::size_t>> live;
  for (int i = 0; i < 20'000; ++i) {
    const std::size_t bytes = 16 * (1 + i % 8);
    live.emplace_back(owner->allocate(bytes), bytes);
    if (live.size() > 50) {
      owner->deallocate(live.front().first, live.front().second);
      live.erase(live.begin());
    }
  }
  for (auto& th : threads) th.join();
  for (const auto& [p, bytes] : live) owner->deallocate(p, bytes);
  EXPECT_TRUE(FramePool::release_or_keep(owner));  // every block came back, through one list or the other
}

Task<int> answer(int x) { co_return x + 1; }

TEST(FramePool, TaskFramesCreatedOnOneThreadCanEndOnAnother) {
  // A frame outlives its allocating thread (whose pool is then kept) and is destroyed here.
  Task<int> t;
  std::thread([&] { t = answer(41); }).join();
  Engine e;
  int got = 0;
  e.spawn([](Task<int> task, int& out) -> Task<void> { out = co_await task; }(std::move(t), got));
  e.run();
  EXPECT_EQ(got, 42);
}

struct Guard {
  int* destroyed;
  ~Guard() { ++*destroyed; }
};

Task<void> sleeper(Engine& e, SimTime dt, int* destroyed, int* finished) {
  Guard g{destroyed};
  co_await e.delay(dt);
  ++*finished;
}

TEST(Engine, FinishedProcessesAreFreedAtOnceAndUnfinishedOnesByTheEngine) {
  int destroyed = 0, finished = 0;
  {
    Engine e;
    // Unlinking from the middle, the head and the tail of the driver list.
    for (const SimTime dt : {100, 10, 100, 20, 100, 30}) e.spawn(sleeper(e, dt, &destroyed, &finished));
    e.run(50);
    EXPECT_EQ(finished, 3);
    EXPECT_EQ(destroyed, 3);  // each finished process's frame is gone when it ends
    EXPECT_EQ(e.live_processes(), 3u);
    e.spawn(sleeper(e, 5, &destroyed, &finished));
    e.run(60);
    EXPECT_EQ(destroyed, 4);
  }
  EXPECT_EQ(finished, 4);
  EXPECT_EQ(destroyed, 7);  // ~Engine destroyed the three still waiting
}

TEST(RowReorderBuffer, ReleasesShuffledRowsInIdOrderAcrossGrowth) {
  constexpr std::uint64_t kRows = 5000;
  std::vector<std::uint64_t> ids(kRows);
  std::iota(ids.begin(), ids.end(), 0);
  std::mt19937_64 rng(7);
  // Shuffle within windows so the buffer holds up to ~1,000 rows and grows several times.
  for (std::size_t i = 0; i < kRows; i += 1000) std::shuffle(ids.begin() + i, ids.begin() + std::min<std::size_t>(i + 1000, kRows), rng);
  RowReorderBuffer buf(sizeof(std::uint64_t) + 3);
  std::vector<std::uint64_t> out;
  std::size_t max_waiting = 0;
  for (const std::uint64_t id : ids) {
    unsigned char* row = buf.insert(id);
    std::memcpy(row, &id, sizeof id);
    row[sizeof id + 2] = static_cast<unsigned char>(id);
    max_waiting = std::max(max_waiting, buf.waiting());
    buf.release([&](const unsigned char* p) {
      std::uint64_t v = 0;
      std::memcpy(&v, p, sizeof v);
      EXPECT_EQ(p[sizeof v], 0);  // slots are zero-filled
      EXPECT_EQ(p[sizeof v + 2], static_cast<unsigned char>(v));
      out.push_back(v);
    });
  }
  EXPECT_GT(max_waiting, 500u);
  EXPECT_EQ(buf.waiting(), 0u);
  EXPECT_EQ(buf.next(), kRows);
  ASSERT_EQ(out.size(), kRows);
  for (std::uint64_t i = 0; i < kRows; ++i) ASSERT_EQ(out[i], i);
}

TEST(RowReorderBuffer, RejectsDuplicateAndReleasedIds) {
  RowReorderBuffer buf(4);
  buf.insert(2);
  EXPECT_THROW(buf.insert(2), std::logic_error);
  buf.insert(0);
  int released = 0;
  buf.release([&](const unsigned char*) { ++released; });
  EXPECT_EQ(released, 1);  // row 1 is missing: row 2 waits
  EXPECT_EQ(buf.next(), 1u);
  EXPECT_EQ(buf.waiting(), 1u);
  EXPECT_THROW(buf.insert(0), std::logic_error);
}

}  // namespace
