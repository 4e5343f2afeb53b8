// Prefix caching on a continuous-batching replica: a repeated prefix pays only its
// uncached blocks, LRU eviction under a small KV limit, hit counts add up.
#include <gtest/gtest.h>

#include <vector>

#include "sim/core/engine.hpp"
#include "sim/hardware/batching_replica.hpp"
#include "sim/hardware/prefix_cache.hpp"

using namespace collabsim;

namespace {

ModelCard llama8b() {
  ModelCard m;
  m.params = m.active_params = 8.03e9;
  m.layers = 32;
  m.hidden = 4096;
  m.heads = 32;
  m.kv_heads = 8;
  m.head_dim = 128;
  m.bytes_per_param = 2;
  m.kv_bytes_per_element = 2;
  return m;
}
DeviceSpec a100() {
  DeviceSpec d;
  d.peak_flops = 312e12;
  d.memory_bandwidth = 2.039e12;
  d.memory = 80e9;
  d.busy_power = 400;
  d.idle_power = 50;
  d.compute_efficiency = 0.5;
  d.memory_efficiency = 0.8;
  return d;
}

struct Job {
  std::int64_t prompt, output, cached;
  std::vector<std::int64_t> blocks;
  SimTime at;
};

Task<void> client(Engine& e, BatchingReplica& r, const Job& j, Generation& out) {
  co_await e.until(j.at);
  out = co_await r.generate(j.prompt, j.output, j.cached, j.blocks);
}

std::vector<Generation> serve(BatchingReplica& r, Engine& e, const std::vector<Job>& jobs) {
  std::vector<Generation> out(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) e.spawn(client(e, r, jobs[i], out[i]));
  e.run();
  return out;
}

BatchingConfig cached_cfg(double kv) {
  BatchingConfig c{256, 0, kv, 0};
  c.prefix_block_tokens = 512;
  return c;
}

}  // namespace

TEST(PrefixCache, RepeatedPrefixPaysOnlyTheUncachedBlocks) {
  const auto m = llama8b();
  const auto d = a100();
  Engine e;
  LatencyModel lat(m, d, nullptr);
  BatchingReplica r(e, m, d, lat, cached_cfg(20e9));
  // Request 1 fills blocks 1, 2, 3 (1536 tokens); request 2 shares blocks 1, 2 and adds 4.
  const SimTime later = from_seconds(100);
  const auto g = serve(r, e, {{1536, 10, 0, {1, 2, 3}, 0}, {1536, 10, 0, {1, 2, 4}, later}});
  EXPECT_EQ(g[0].prefix_hit_tokens, 0);
  EXPECT_EQ(g[1].prefix_hit_tokens, 1024);
  EXPECT_EQ(g[1].prompt_tokens, 1536);

  // The same second request, on a fresh replica without a cache, as 512 prompt tokens after
  // 1024 cached: identical times and energy.
  Engine e2;
  BatchingReplica plain(e2, m, d, lat, BatchingConfig{256, 0, 20e9, 0});
  const auto want = serve(plain, e2, {{512, 10, 1024, {}, later}})[0];
  EXPECT_EQ(g[1].first_token - g[1].queued, want.first_token - want.queued);
  EXPECT_EQ(g[1].end - g[1].queued, want.end - want.queued);
  EXPECT_DOUBLE_EQ(g[1].energy, want.energy);
  EXPECT_DOUBLE_EQ(g[1].device_time, want.device_time);
  // ... and faster to its first token than the first request, which prefilled 1536.
  EXPECT_LT(g[1].first_token - g[1].queued, g[0].first_token - g[0].queued);

  EXPECT_EQ(r.prefix_prompt_tokens(), 3072);
  EXPECT_EQ(r.prefix_hit_tokens(), 1024);
  EXPECT_EQ(r.prefix_cache()->blocks(), 4u);  // 1, 2, 3, 4
}

TEST(PrefixCache, FullyCachedPromptStillPrefillsItsLastToken) {
  const auto m = llama8b();
  const auto d = a100();
  Engine e;
  LatencyModel lat(m, d, nullptr);
  BatchingReplica r(e, m, d, lat, cached_cfg(20e9));
  const auto g = serve(r, e, {{1024, 4, 0, {7, 8}, 0}, {1024, 4, 0, {7, 8}, from_seconds(50)}});
  EXPECT_EQ(g[1].prefix_hit_tokens, 1023);
}

TEST(PrefixCache, WithoutBlocksOrWithoutCacheNothingChanges) {
  const auto m = llama8b();
  const auto d = a100();
  LatencyModel lat(m, d, nullptr);
  Engine e1, e2;
  BatchingReplica on(e1, m, d, lat, cached_cfg(20e9));
  BatchingReplica off(e2, m, d, lat, BatchingConfig{256, 0, 20e9, 0});
  const std::vector<Job> jobs = {{900, 30, 0, {1, 2}, 0}, {900, 30, 0, {1, 2}, from_seconds(0.001)}};
  const auto a = serve(on, e1, {{900, 30, 0, {}, 0}, {900, 30, 0, {}, from_seconds(0.001)}});
  const auto b = serve(off, e2, jobs);  // blocks ignored without a cache
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].end, b[i].end);
    EXPECT_DOUBLE_EQ(a[i].energy, b[i].energy);
    EXPECT_EQ(b[i].prefix_hit_tokens, 0);
  }
  EXPECT_EQ(on.prefix_hit_tokens(), 0);
  EXPECT_EQ(off.prefix_cache(), nullptr);
}

TEST(PrefixCache, LruEvictionUnderASmallKvLimit) {
  const auto m = llama8b();
  const auto d = a100();
  const double block = m.kv_bytes_per_token() * 512;
  Engine e;
  LatencyModel lat(m, d, nullptr);
  // Room for 3 blocks of prompt plus a little output: only 2 cached blocks survive a
  // sequence of 1 block + output.
  BatchingReplica r(e, m, d, lat, cached_cfg(3 * block + 8 * m.kv_bytes_per_token()));
  const SimTime s = from_seconds(10);
  // A: blocks 1,2 (cached, then idle); B: block 3 (cached); C: block 4 + 1 must evict the LRU (1).
  // D asks for 1,2 again: block 1 is gone, so nothing hits (prefix semantics).
  const auto g = serve(r, e,
                       {{1024, 4, 0, {1, 2}, 0},
                        {512, 4, 0, {3}, s},
                        {1024, 4, 0, {4, 5}, 2 * s},
                        {1024, 4, 0, {1, 2}, 3 * s}});
  for (const auto& x : g) EXPECT_FALSE(x.failed);
  EXPECT_EQ(g[2].prefix_hit_tokens, 0);
  EXPECT_EQ(g[3].prefix_hit_tokens, 0);
  EXPECT_GE(r.prefix_cache()->evictions(), 2);
  EXPECT_LE(r.kv_used(), 3 * block + 8 * m.kv_bytes_per_token() + 1e-6);
  // After the run nothing is reserved by sequences: the KV held is the cache's, all evictable.
  EXPECT_DOUBLE_EQ(r.kv_used(), r.prefix_cache()->bytes());
  EXPECT_DOUBLE_EQ(r.prefix_cache()->evictable_bytes(), r.prefix_cache()->bytes());
}

TEST(PrefixCache, CacheUnitLruOrderAndPins) {
  PrefixCache c(512, 2.0);
  EXPECT_EQ(c.insert_pinned(1, 512), 1024.0);
  EXPECT_EQ(c.insert_pinned(2, 100), 200.0);
  const std::vector<std::int64_t> ab = {1, 2}, a = {1};
  EXPECT_EQ(c.evict(1e9), 0.0);  // both pinned
  c.unpin(ab, 2);                // LRU order: 1, then 2
  EXPECT_EQ(c.match(ab), 2u);
  c.pin(a, 1);  // 1 pinned again: only 2 is evictable
  EXPECT_EQ(c.evict(1), 200.0);
  EXPECT_EQ(c.match(ab), 1u);
  EXPECT_EQ(c.bytes(), 1024.0);
  EXPECT_EQ(c.evictable_bytes(), 0.0);
  c.unpin(a, 1);
  EXPECT_EQ(c.evict(1), 1024.0);
  EXPECT_EQ(c.blocks(), 0u);
  EXPECT_EQ(c.evictions(), 2);
}
