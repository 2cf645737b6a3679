// KV offload to host memory: the BlockPool's host tier (evicted cached blocks go to a bounded
// host LRU, a key lives in one tier, blocks are conserved) and the scheduler's use of it (a turn
// whose prefix was evicted from the GPU loads it from the host instead of recomputing it).
#include <gtest/gtest.h>

#include <cstdint>

#include "sim/serving/kv_cache.h"
#include "sim/serving/scheduler.h"
#include "tests/sim/serving/scheduler_harness.h"

namespace servesim {
namespace {

BlockKey Key(int64_t index) { return BlockKey{BlockKey::Stream::kSession, 1, index}; }

// One block's life in a pool: allocated, filled with `key`, freed into the GPU LRU.
void Cycle(BlockPool* pool, const BlockKey& key) {
  pool->Allocate(1);
  pool->Publish(key);
  pool->ReleaseCached(key);
}

// Every block offloaded is still in the host tier, was evicted from it, loaded back or replaced
// by a GPU copy; the GPU's blocks are held, evictable or empty.
void ExpectConserved(const BlockPool& pool) {
  EXPECT_EQ(pool.HostBlocks(),
            pool.Offloaded() - pool.HostEvictions() - pool.HostLoads() - pool.HostSuperseded());
  EXPECT_LE(pool.HostBlocks(), pool.HostCapacity());
  EXPECT_LE(pool.Used() + pool.Evictable(), pool.NumBlocks());
  EXPECT_EQ(pool.Free(), pool.NumBlocks() - pool.Used());
}

TEST(KvOffloadPoolTest, AnEvictedCachedBlockGoesToTheHostTier) {
  BlockPool pool(2, 16, true, 4);
  pool.Allocate(2);
  pool.Publish(Key(0));
  pool.Publish(Key(1));
  pool.ReleaseCached(Key(0));
  pool.ReleaseCached(Key(1));  // GPU LRU: 0, 1
  pool.Allocate(1);
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kHost);
  EXPECT_EQ(pool.Find(Key(1)), BlockPool::Lookup::kEvictable);
  EXPECT_EQ(pool.Evictions(), 1);
  EXPECT_EQ(pool.Offloaded(), 1);
  EXPECT_EQ(pool.HostBlocks(), 1);
  ExpectConserved(pool);
}

TEST(KvOffloadPoolTest, WithoutAHostTierAnEvictedBlockIsGone) {
  BlockPool pool(1, 16, true);
  Cycle(&pool, Key(0));
  Cycle(&pool, Key(1));
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kMiss);
  EXPECT_EQ(pool.Offloaded(), 0);
  EXPECT_EQ(pool.HostCapacity(), 0);
}

TEST(KvOffloadPoolTest, AFullHostTierDropsItsLeastRecentlyOffloadedBlock) {
  BlockPool pool(1, 16, true, 2);
  for (int64_t i = 0; i < 4; ++i) Cycle(&pool, Key(i));
  // Offloaded in order 0, 1, 2; the third offload found the host tier full and dropped 0.
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kMiss);
  EXPECT_EQ(pool.Find(Key(1)), BlockPool::Lookup::kHost);
  EXPECT_EQ(pool.Find(Key(2)), BlockPool::Lookup::kHost);
  EXPECT_EQ(pool.Find(Key(3)), BlockPool::Lookup::kEvictable);
  EXPECT_EQ(pool.Offloaded(), 3);
  EXPECT_EQ(pool.HostEvictions(), 1);
  EXPECT_EQ(pool.HostBlocks(), 2);
  ExpectConserved(pool);
}

TEST(KvOffloadPoolTest, ALoadedBlockLeavesTheHostTierAndIsCachedOnTheGpu) {
  BlockPool pool(1, 16, true, 2);
  Cycle(&pool, Key(0));
  Cycle(&pool, Key(1));  // 0 offloaded
  pool.TakeFromHost(Key(0));
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kMiss);  // in transit: in no tier
  pool.Allocate(1);                                        // offloads 1
  pool.Publish(Key(0));
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kHeld);
  EXPECT_EQ(pool.Find(Key(1)), BlockPool::Lookup::kHost);
  EXPECT_EQ(pool.HostLoads(), 1);
  EXPECT_EQ(pool.Used(), 1);
  ExpectConserved(pool);
  pool.ReleaseCached(Key(0));
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kEvictable);
}

TEST(KvOffloadPoolTest, RecomputedContentReplacesTheHostCopy) {
  BlockPool pool(1, 16, true, 2);
  Cycle(&pool, Key(0));
  Cycle(&pool, Key(1));  // 0 offloaded, 1 on the GPU
  Cycle(&pool, Key(0));  // 0 computed again (a request missed before it); 1 offloaded
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kEvictable);
  EXPECT_EQ(pool.Find(Key(1)), BlockPool::Lookup::kHost);
  EXPECT_EQ(pool.HostSuperseded(), 1);
  EXPECT_EQ(pool.HostBlocks(), 1);
  ExpectConserved(pool);
}

SchedulerConfig Offload(int64_t gpu_blocks, int64_t host_blocks) {
  SchedulerConfig c = Config(SchedulerPolicy::kVllm, 256, gpu_blocks, 4);
  c.prefix_caching = true;
  c.host_offload_blocks = host_blocks;
  return c;
}

// Turn 1 of session 7 leaves 7 cached blocks (KV of 20 + 8 tokens) in a 10-block cache; another
// conversation's 32-token prompt then needs 8 blocks and evicts turn 1's last 5 (its tail first).
RequestId SecondTurnAfterEviction(Harness* h) {
  h->Add(20, 9, /*session=*/7);
  h->RunToIdle();
  h->Add(32, 1, /*session=*/8);
  h->RunToIdle();
  const RequestId turn2 = h->Add(20 + 9 + 5, 3, 7);
  h->Step();
  return turn2;
}

TEST(KvOffloadSchedulerTest, ASecondTurnLoadsItsEvictedPrefixFromTheHost) {
  Harness h(Offload(10, 16));
  const RequestId turn2 = SecondTurnAfterEviction(&h);
  // Blocks 0, 1 are still on the GPU; 2..6 come from the host tier; only 34 - 28 are computed.
  ASSERT_EQ(h.batch_.prefills.size(), 1u);
  EXPECT_EQ(h.batch_.prefills[0].context_tokens, 28);
  EXPECT_EQ(h.batch_.prefills[0].tokens, 6);
  EXPECT_EQ(h.batch_.host_load_tokens, 20);
  EXPECT_EQ(h.table_[turn2].prefix_hit_tokens, 28);
  EXPECT_EQ(h.table_[turn2].host_hit_tokens, 20);
  const BlockPool& pool = h.scheduler_->Blocks();
  EXPECT_EQ(pool.HostLoads(), 5);
  // The loaded blocks are cached GPU blocks now, held by turn 2.
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kMiss);  // Key() is session 1's
  EXPECT_EQ(pool.Find(BlockKey{BlockKey::Stream::kSession, 7, 3}), BlockPool::Lookup::kHeld);
  ExpectConserved(pool);
  h.Step();
  EXPECT_EQ(h.batch_.host_load_tokens, 0);  // loaded once, in the step of the first chunk
  h.RunToIdle();
  ExpectConserved(pool);
}

TEST(KvOffloadSchedulerTest, WithoutOffloadTheEvictedPrefixIsRecomputed) {
  Harness h(Offload(10, 0));
  const RequestId turn2 = SecondTurnAfterEviction(&h);
  EXPECT_EQ(h.batch_.prefills[0].context_tokens, 8);  // blocks 0 and 1 only
  EXPECT_EQ(h.batch_.prefills[0].tokens, 26);
  EXPECT_EQ(h.batch_.host_load_tokens, 0);
  EXPECT_EQ(h.table_[turn2].prefix_hit_tokens, 8);
  EXPECT_EQ(h.table_[turn2].host_hit_tokens, 0);
  h.RunToIdle();
}

TEST(KvOffloadSchedulerTest, APrefixWhollyOnTheHostLoadsEveryBlock) {
  Harness h(Offload(10, 16));
  h.Add(20, 9, 7);
  h.RunToIdle();
  h.Add(39, 1, 8);  // needs all 10 blocks: evicts all 7 of session 7 into the host tier
  h.RunToIdle();
  const BlockPool& pool = h.scheduler_->Blocks();
  EXPECT_EQ(pool.Find(BlockKey{BlockKey::Stream::kSession, 7, 0}), BlockPool::Lookup::kHost);
  const RequestId turn2 = h.Add(34, 3, 7);
  h.Step();
  // Every block of the prefix is on the host: all 7 load, none is computed.
  EXPECT_EQ(h.table_[turn2].host_hit_tokens, 28);
  EXPECT_EQ(h.batch_.host_load_tokens, 28);
  EXPECT_EQ(h.batch_.prefills[0].tokens, 6);
  h.RunToIdle();
  ExpectConserved(pool);
}

TEST(KvOffloadSchedulerTest, ManySessionsConserveBlocksAndTokens) {
  // Turns of 12 conversations in a small cache: every step keeps the pool's books balanced, and
  // every prompt token is either computed, a GPU hit or a host hit.
  Harness h(Offload(24, 10));
  int64_t context[12] = {};
  uint64_t x = 12345;
  const auto next = [&x](int64_t n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int64_t>((x >> 33) % static_cast<uint64_t>(n));
  };
  for (int round = 0; round < 60; ++round) {
    const int64_t s = next(12);
    const int64_t input = context[s] + 1 + next(12);
    const int64_t output = 1 + next(6);
    if (input + output > 90) {
      context[s] = 0;
      continue;
    }
    const RequestId id = h.Add(input, output, s);
    context[s] = input + output;
    int64_t computed = 0;
    while (h.table_[id].finish < 0 && h.Step()) {
      for (const PrefillChunk& c : h.batch_.prefills) computed += c.tokens;
      ExpectConserved(h.scheduler_->Blocks());
    }
    h.RunToIdle();
    const Request& r = h.table_[id];
    EXPECT_EQ(computed + r.prefix_hit_tokens, input) << "round " << round;
    EXPECT_LE(r.host_hit_tokens, r.prefix_hit_tokens);
  }
  EXPECT_GT(h.scheduler_->Blocks().HostLoads(), 0);
  EXPECT_GT(h.scheduler_->Blocks().HostEvictions(), 0);
}

}  // namespace
}  // namespace servesim
