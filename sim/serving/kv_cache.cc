#include "sim/serving/kv_cache.h"

namespace servesim {

BlockPool::BlockPool(int64_t num_blocks, int64_t block_size_tokens, bool prefix_caching,
                     int64_t host_blocks)
    : num_blocks_(num_blocks),
      block_size_(block_size_tokens),
      prefix_caching_(prefix_caching),
      host_capacity_(host_blocks) {
  SERVESIM_CHECK(num_blocks_ >= 1 && block_size_ >= 1);
  SERVESIM_CHECK(host_capacity_ >= 0 && (host_capacity_ == 0 || prefix_caching_));
}

void BlockPool::Allocate(int64_t n) {
  SERVESIM_CHECK(n >= 0 && n <= Free());
  const int64_t empty = num_blocks_ - used_ - Evictable();
  for (int64_t i = empty; i < n; ++i) {  // evict the least recently freed cached blocks
    cached_.erase(lru_.front());
    if (host_capacity_ > 0) Offload(lru_.front());
    lru_.pop_front();
    ++evictions_;
  }
  used_ += n;
}

BlockPool::Lookup BlockPool::Find(const BlockKey& key) const {
  SERVESIM_CHECK(prefix_caching_);
  const auto it = cached_.find(key);
  if (it == cached_.end()) return host_.count(key) > 0 ? Lookup::kHost : Lookup::kMiss;
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
    // Recomputed content that the host tier also holds: the GPU copy wins (one tier per key).
    if (const auto h = host_.find(key); h != host_.end()) {
      host_lru_.erase(h->second);
      host_.erase(h);
      ++host_superseded_;
    }
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

void BlockPool::TakeFromHost(const BlockKey& key) {
  SERVESIM_CHECK(prefix_caching_ && cached_.count(key) == 0);
  const auto it = host_.find(key);
  SERVESIM_CHECK(it != host_.end());
  host_lru_.erase(it->second);
  host_.erase(it);
  ++host_loads_;
}

void BlockPool::Offload(const BlockKey& key) {
  SERVESIM_CHECK(host_.count(key) == 0);
  if (static_cast<int64_t>(host_lru_.size()) == host_capacity_) {
    host_.erase(host_lru_.front());
    host_lru_.pop_front();
    ++host_evictions_;
  }
  host_.emplace(key, host_lru_.insert(host_lru_.end(), key));
  ++offloaded_;
}

}  // namespace servesim
