#pragma once
/// \file prefix_cache.hpp
/// Block-level KV prefix cache of one continuous-batching replica, keyed by prefix-block
/// hash ids (Mooncake FAST'25 traces: equal ids = identical 512-token prefix blocks; Qin et
/// al., FAST 2025; automatic prefix caching of vLLM, Kwon et al. SOSP 2023, and SGLang's
/// RadixAttention, Zheng et al. 2024, reuse KV blocks the same way).
///
/// A block holds `block_tokens` tokens of KV (bytes = tokens × kv_bytes_per_token). Blocks
/// used by running sequences are pinned (reference count > 0) and never evicted; unpinned
/// blocks are evicted least recently used first when the replica needs memory. A prompt
/// hits the longest run of leading blocks all present (prefix semantics: block i is
/// reusable only if blocks 0..i-1 are).

#include <cstdint>
#include <list>
#include <span>
#include <unordered_map>

namespace collabsim {

class PrefixCache {
 public:
  /// `block_tokens` ≥ 1 (tokens per block), `kv_bytes_per_token` ≥ 0 (bytes).
  PrefixCache(std::int64_t block_tokens, double kv_bytes_per_token)
      : block_tokens_(block_tokens), kv_tok_(kv_bytes_per_token) {}

  /// Leading blocks of `blocks` present in the cache (no state change).
  std::size_t match(std::span<const std::int64_t> blocks) const;
  /// Pins the first `n` blocks of `blocks` (all present: n ≤ match(blocks)) and marks them
  /// most recently used.
  void pin(std::span<const std::int64_t> blocks, std::size_t n);
  /// Inserts block `id` holding `tokens` tokens (≤ block_tokens) pinned once, or pins it
  /// again when present. Returns the bytes newly added to the cache (0 when present).
  double insert_pinned(std::int64_t id, std::int64_t tokens);
  /// Drops one pin of each of the first `n` blocks (each pinned before); a block whose
  /// count reaches 0 becomes evictable (most recently used first).
  void unpin(std::span<const std::int64_t> blocks, std::size_t n);
  /// Evicts unpinned blocks, least recently used first, until at least `bytes` are freed
  /// or none is left. Returns the bytes freed.
  double evict(double bytes);

  double bytes() const { return bytes_; }               ///< bytes held (pinned + evictable)
  double evictable_bytes() const { return free_bytes_; }  ///< bytes of unpinned blocks
  std::size_t blocks() const { return map_.size(); }
  std::int64_t evictions() const { return evictions_; }  ///< blocks evicted so far
  std::int64_t block_tokens() const { return block_tokens_; }

 private:
  struct Block {
    int refs = 0;
    double bytes = 0;
    std::list<std::int64_t>::iterator lru;  // valid while refs == 0
  };
  std::int64_t block_tokens_;
  double kv_tok_;
  std::unordered_map<std::int64_t, Block> map_;
  std::list<std::int64_t> lru_;  // unpinned blocks, front = least recently used
  double bytes_ = 0, free_bytes_ = 0;
  std::int64_t evictions_ = 0;
};

}  // namespace collabsim
