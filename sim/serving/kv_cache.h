// BlockPool: the paged KV cache of one replica. Without prefix caching blocks are fungible and the
// pool tracks counts only. With prefix caching (vLLM's automatic prefix caching) a full block may
// also be *cached*: identified by a BlockKey (its content), shared by reference count between
// running requests, and kept after its last holder frees it, in an LRU of evictable blocks, until
// a new block needs its space. Blocks that are not cached are private to the request holding them
// (counts only). With a host tier (KV offload, LMCache / vLLM CPU offload style) a cached block
// evicted from the GPU keeps its content in host memory, in a second LRU of bounded size, until a
// request loads it back or the host tier needs its space; a key is in at most one tier. See
// docs/design.md, "Prefix caching" and "KV offload to host".
#pragma once

#include <cstdint>
#include <list>
#include <unordered_map>

#include "sim/core/check.h"

namespace servesim {

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// What a full block holds: block `index` of a token stream. Equal keys mean equal tokens *and*
// equal preceding tokens (the chained hash of vLLM): a stream's blocks are compared from the
// first one on. Streams are a prefix group (a shared system prompt), a session (a conversation:
// every turn's tokens at a position are the same) or one request on its own.
struct BlockKey {
  enum class Stream : uint8_t { kGroup, kSession, kRequest };
  Stream stream = Stream::kRequest;
  int64_t id = 0;
  int64_t index = 0;
  bool operator==(const BlockKey& o) const {
    return stream == o.stream && id == o.id && index == o.index;
  }
};

struct BlockKeyHash {
  size_t operator()(const BlockKey& k) const {
    uint64_t h = static_cast<uint64_t>(k.id) * 0x9E3779B97F4A7C15ull;
    h ^= static_cast<uint64_t>(k.index) + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2);
    return static_cast<size_t>(h ^ static_cast<uint64_t>(k.stream));
  }
};

// What a host tier did so far (BlockPool::HostCounts), summed over pools by the summary.
struct HostTierCounts {
  int64_t offloaded = 0;
  int64_t evictions = 0;
  int64_t loads = 0;
};

class BlockPool {
 public:
  // `host_blocks` > 0 adds the host tier (REQUIRES prefix caching).
  BlockPool(int64_t num_blocks, int64_t block_size_tokens, bool prefix_caching = false,
            int64_t host_blocks = 0);

  int64_t NumBlocks() const { return num_blocks_; }
  int64_t BlockSize() const { return block_size_; }
  bool PrefixCaching() const { return prefix_caching_; }
  // Blocks held by running requests (each shared cached block once).
  int64_t Used() const { return used_; }
  // Blocks a request can get: empty ones plus cached ones that nobody holds (evicted on demand).
  int64_t Free() const { return num_blocks_ - used_; }
  // Cached blocks that nobody holds (the LRU of evictable blocks).
  int64_t Evictable() const { return static_cast<int64_t>(lru_.size()); }
  // Cached blocks evicted from the GPU (each went to the host tier when there is one).
  int64_t Evictions() const { return evictions_; }
  double Utilization() const { return static_cast<double>(used_) / num_blocks_; }
  // Blocks needed to hold `tokens` tokens.
  int64_t BlocksFor(int64_t tokens) const { return CeilDiv(tokens, block_size_); }

  // Private blocks. REQUIRES: n <= Free(); the KV cache is never over capacity. Takes empty
  // blocks first, then evicts the least recently freed cached blocks.
  void Allocate(int64_t n);
  // REQUIRES: n <= Used().
  void Release(int64_t n) {
    SERVESIM_CHECK(n >= 0 && n <= used_);
    used_ -= n;
  }

  // Host tier (0 blocks: none). Blocks whose content is in host memory, their capacity, and what
  // happened so far: blocks offloaded (GPU evictions stored), dropped from the host LRU to make
  // room, loaded back by a request, and dropped because a request recomputed the same content on
  // the GPU. Conservation: HostBlocks() == offloaded - host evictions - loads - superseded.
  int64_t HostCapacity() const { return host_capacity_; }
  int64_t HostBlocks() const { return static_cast<int64_t>(host_lru_.size()); }
  int64_t Offloaded() const { return offloaded_; }
  int64_t HostEvictions() const { return host_evictions_; }
  int64_t HostLoads() const { return host_loads_; }
  int64_t HostSuperseded() const { return host_superseded_; }
  HostTierCounts HostCounts() const { return {offloaded_, host_evictions_, host_loads_}; }

  // Cached blocks (REQUIRES prefix caching for all of these).
  // kHost: not on the GPU, but its content is in the host tier.
  enum class Lookup { kMiss, kHeld, kEvictable, kHost };
  Lookup Find(const BlockKey& key) const;
  // Takes a reference to the cached block `key` (an evictable one leaves the LRU and counts as
  // used again). REQUIRES: Find(key) != kMiss.
  void Acquire(const BlockKey& key);
  // One of the caller's private blocks became full with the content `key`: it becomes the cached
  // block `key`, held by the caller. If `key` is cached already (another request computed the same
  // tokens), the caller's copy is freed and the caller holds the cached one instead.
  void Publish(const BlockKey& key);
  // Drops a reference; a block nobody holds becomes the most recently used evictable block.
  void ReleaseCached(const BlockKey& key);
  // Takes block `key` out of the host tier to load it: the caller then allocates a block for it
  // and publishes `key` (Publish) once the block is allocated. Taking every block of a request
  // before allocating keeps the allocation's evictions (offloads) from pushing them out of the
  // host tier. REQUIRES: Find(key) == kHost.
  void TakeFromHost(const BlockKey& key);

 private:
  struct Entry {
    int64_t refs = 0;
    std::list<BlockKey>::iterator lru_pos;  // valid when refs == 0
  };

  int64_t num_blocks_;
  int64_t block_size_;
  bool prefix_caching_;
  int64_t used_ = 0;
  int64_t evictions_ = 0;
  std::unordered_map<BlockKey, Entry, BlockKeyHash> cached_;  // never iterated: deterministic
  std::list<BlockKey> lru_;  // evictable cached blocks, least recently freed first
  // Host tier: block contents in host memory, least recently offloaded first.
  int64_t host_capacity_;
  int64_t offloaded_ = 0;
  int64_t host_evictions_ = 0;
  int64_t host_loads_ = 0;
  int64_t host_superseded_ = 0;
  std::unordered_map<BlockKey, std::list<BlockKey>::iterator, BlockKeyHash> host_;  // not iterated
  std::list<BlockKey> host_lru_;
  // A cached block evicted from the GPU goes to the host tier (dropping its oldest when full).
  void Offload(const BlockKey& key);
};

}  // namespace servesim
