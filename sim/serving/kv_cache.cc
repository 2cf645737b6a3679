#include "sim/serving/kv_cache.h"

namespace servesim {

BlockPool::BlockPool(int64_t num_blocks, int64_t block_size_tokens, bool prefix_caching)
    : num_blocks_(num_blocks), block_size_(block_size_tokens), prefix_caching_(prefix_caching) {
  SERVESIM_CHECK(num_blocks_ >= 1 && block_size_ >= 1);
}

void BlockPool::Allocate(int64_t n) {
  SERVESIM_CHECK(n >= 0 && n <= Free());
  const int64_t empty = num_blocks_ - used_ - Evictable();
  for (int64_t i = empty; i < n; ++i) {  // evict the least recently freed cached blocks
    cached_.erase(lru_.front());
    lru_.pop_front();
    ++evictions_;
  }
  used_ += n;
}

BlockPool::Lookup BlockPool::Find(const BlockKey& key) const {
  SERVESIM_CHECK(prefix_caching_);
  const auto it = cached_.find(key);
  if (it == cached_.end()) return Lookup::kMiss;
  return it->second.refs > 0 ? Lookup::kHeld : Lookup::kEvictable;
}

void BlockPool::Acquire(const BlockKey& key) {
  SERVESIM_CHECK(prefix_caching_);
  const auto it = cached_.find(key);
  SERVESIM_CHECK(it != cached_.end());
  Entry& e = it->second;
  if (e.refs++ == 0) {
    lru_.erase(e.lru_pos);
    ++used_;
  }
}

void BlockPool::Publish(const BlockKey& key) {
  SERVESIM_CHECK(prefix_caching_ && used_ >= 1);
  const auto [it, inserted] = cached_.try_emplace(key);
  if (inserted) {  // the caller's block is now the cached one
    it->second.refs = 1;
    return;
  }
  Entry& e = it->second;
  if (e.refs++ == 0) {
    lru_.erase(e.lru_pos);  // the cached copy is used again; the caller's copy becomes empty
  } else {
    --used_;  // the caller's copy becomes empty
  }
}

void BlockPool::ReleaseCached(const BlockKey& key) {
  SERVESIM_CHECK(prefix_caching_);
  const auto it = cached_.find(key);
  SERVESIM_CHECK(it != cached_.end() && it->second.refs >= 1);
  Entry& e = it->second;
  if (--e.refs == 0) {
    e.lru_pos = lru_.insert(lru_.end(), key);
    --used_;
  }
}

}  // namespace servesim
