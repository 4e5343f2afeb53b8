#include "sim/hardware/prefix_cache.hpp"

#include <stdexcept>

namespace collabsim {

std::size_t PrefixCache::match(std::span<const std::int64_t> blocks) const {
  std::size_t n = 0;
  while (n < blocks.size() && map_.count(blocks[n]) > 0) ++n;
  return n;
}

void PrefixCache::pin(std::span<const std::int64_t> blocks, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    auto it = map_.find(blocks[i]);
    if (it == map_.end()) throw std::logic_error("prefix cache: pin of an absent block");
    Block& b = it->second;
    if (b.refs++ == 0) {
      lru_.erase(b.lru);
      free_bytes_ -= b.bytes;
    }
  }
}

double PrefixCache::insert_pinned(std::int64_t id, std::int64_t tokens) {
  auto [it, fresh] = map_.try_emplace(id);
  Block& b = it->second;
  if (!fresh) {
    if (b.refs++ == 0) {
      lru_.erase(b.lru);
      free_bytes_ -= b.bytes;
    }
    return 0.0;
  }
  b.refs = 1;
  b.bytes = kv_tok_ * static_cast<double>(tokens);
  bytes_ += b.bytes;
  return b.bytes;
}

void PrefixCache::unpin(std::span<const std::int64_t> blocks, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    auto it = map_.find(blocks[i]);
    if (it == map_.end() || it->second.refs <= 0) throw std::logic_error("prefix cache: unpin of an unpinned block");
    Block& b = it->second;
    if (--b.refs == 0) {
      b.lru = lru_.insert(lru_.end(), blocks[i]);
      free_bytes_ += b.bytes;
    }
  }
}

double PrefixCache::evict(double bytes) {
  double freed = 0;
  while (freed < bytes && !lru_.empty()) {
    const std::int64_t id = lru_.front();
    lru_.pop_front();
    auto it = map_.find(id);
    freed += it->second.bytes;
    bytes_ -= it->second.bytes;
    free_bytes_ -= it->second.bytes;
    map_.erase(it);
    ++evictions_;
  }
  return freed;
}

}  // namespace collabsim
