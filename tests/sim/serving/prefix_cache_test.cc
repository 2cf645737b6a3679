// Prefix caching in the scheduler: hits skip prefill, shared blocks are counted once and kept
// while referenced, sessions hit their previous turn.
#include <gtest/gtest.h>

#include "sim/serving/scheduler.h"
#include "tests/sim/serving/scheduler_harness.h"

namespace servesim {
namespace {

SchedulerConfig Caching(SchedulerPolicy policy = SchedulerPolicy::kVllm, int64_t blocks = 100) {
  SchedulerConfig c = Config(policy, 256, blocks, 4);
  c.prefix_caching = true;
  return c;
}

BlockKey GroupKey(int64_t index) { return BlockKey{BlockKey::Stream::kGroup, 0, index}; }

TEST(PrefixCacheTest, AHitSkipsTheCachedPrefix) {
  Harness h(Caching());
  const RequestId a = h.Add(20, 2, -1, /*group=*/0, /*prefix=*/16);
  h.RunToIdle();
  const RequestId b = h.Add(22, 2, -1, 0, 16);
  h.Step();
  ASSERT_EQ(h.batch_.prefills.size(), 1u);
  EXPECT_EQ(h.batch_.prefills[0].tokens, 6);
  EXPECT_EQ(h.batch_.prefills[0].context_tokens, 16);
  EXPECT_EQ(h.table_[a].prefix_hit_tokens, 0);
  EXPECT_EQ(h.table_[b].prefix_hit_tokens, 16);
  h.RunToIdle();
}

TEST(PrefixCacheTest, AFullyCachedPromptStillComputesItsLastToken) {
  Harness h(Caching());
  h.Add(16, 2, -1, 0, 16);
  h.RunToIdle();
  const RequestId b = h.Add(16, 2, -1, 0, 16);
  h.Step();
  // Like vLLM: hits stop before the block holding the last prompt token, which samples.
  EXPECT_EQ(h.batch_.prefills[0].tokens, 4);
  EXPECT_EQ(h.batch_.prefills[0].context_tokens, 12);
  EXPECT_EQ(h.table_[b].prefix_hit_tokens, 12);
  h.RunToIdle();
}

TEST(PrefixCacheTest, WithoutCachingNothingHits) {
  SchedulerConfig c = Caching();
  c.prefix_caching = false;
  Harness h(c);
  h.Add(20, 2, -1, 0, 16);
  h.RunToIdle();
  const RequestId b = h.Add(20, 2, -1, 0, 16);
  h.Step();
  EXPECT_EQ(h.batch_.prefills[0].tokens, 20);
  EXPECT_EQ(h.table_[b].prefix_hit_tokens, 0);
}

TEST(PrefixCacheTest, SharedBlocksAreCountedOnceAndKeptWhileReferenced) {
  Harness h(Caching());
  const RequestId a = h.Add(20, 4, -1, 0, 16);
  h.Step();  // a's prompt: 5 blocks, the first 4 cached under the group
  EXPECT_EQ(h.scheduler_->Blocks().Used(), 5);
  const RequestId b = h.Add(20, 10, -1, 0, 16);
  h.Step();
  // a's decode token opens its 6th block; b takes the 4 shared blocks and 1 of its own.
  EXPECT_EQ(h.batch_.prefills[0].tokens, 4);
  EXPECT_EQ(h.scheduler_->Blocks().Used(), 7);
  while (h.obs_.finish_count[a] == 0) h.Step();
  // a is gone but b still holds the shared prefix: it is neither freed nor evictable.
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(h.scheduler_->Blocks().Find(GroupKey(i)), BlockPool::Lookup::kHeld);
  }
  h.RunToIdle();
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(h.scheduler_->Blocks().Find(GroupKey(i)), BlockPool::Lookup::kEvictable);
  }
  // Cached after both left: the 4 shared blocks plus each request's own full blocks (a: KV of
  // 20 + 3 tokens = 5 full blocks, b: 20 + 9 = 7), each once.
  EXPECT_EQ(h.scheduler_->Blocks().Evictable(), 4 + 1 + 3);
  EXPECT_EQ(h.table_[b].generated, 10);
}

TEST(PrefixCacheTest, ASessionTurnHitsThePreviousTurnsPromptAndOutput) {
  Harness h(Caching());
  h.Add(20, 9, /*session=*/7);
  h.RunToIdle();  // its KV held 20 + 8 tokens: 7 full blocks, cached when it finished
  const RequestId turn2 = h.Add(20 + 9 + 5, 3, 7);
  h.Step();
  EXPECT_EQ(h.batch_.prefills[0].context_tokens, 28);
  EXPECT_EQ(h.batch_.prefills[0].tokens, 34 - 28);
  EXPECT_EQ(h.table_[turn2].prefix_hit_tokens, 28);
  const RequestId other = h.Add(34, 3, /*session=*/8);
  h.Step();
  EXPECT_EQ(h.table_[other].prefix_hit_tokens, 0);  // another conversation shares nothing
  h.RunToIdle();
}

TEST(PrefixCacheTest, EvictionTakesTheLeastRecentlyFreedAndATailBeforeItsPrefix) {
  // 9 blocks of 4 tokens. a (group 0) and then b (group 1) leave 4 cached blocks each.
  Harness h(Caching(SchedulerPolicy::kVllm, 9));
  h.Add(17, 1, -1, 0, 16);
  h.RunToIdle();
  h.Add(17, 1, -1, 1, 16);
  h.RunToIdle();
  EXPECT_EQ(h.scheduler_->Blocks().Evictable(), 8);
  h.Add(12, 1);  // needs 3 blocks: the empty one, then group 0's blocks 3 and 2 (a's tail)
  h.RunToIdle();
  const BlockPool& pool = h.scheduler_->Blocks();
  EXPECT_EQ(pool.Evictions(), 2);
  EXPECT_EQ(pool.Find(GroupKey(3)), BlockPool::Lookup::kMiss);
  EXPECT_EQ(pool.Find(GroupKey(2)), BlockPool::Lookup::kMiss);
  EXPECT_EQ(pool.Find(GroupKey(1)), BlockPool::Lookup::kEvictable);
  const RequestId again = h.Add(17, 1, -1, 0, 16);
  h.Step();
  EXPECT_EQ(h.table_[again].prefix_hit_tokens, 8);  // what survived of group 0's prefix
  h.RunToIdle();
}

TEST(PrefixCacheTest, PrefilledRequestsPublishTheirBlocksWhenTheyLeave) {
  Harness h(Caching());
  h.AddPrefilled(16, 3);
  h.RunToIdle();
  EXPECT_EQ(h.scheduler_->Blocks().Evictable(), 4);  // KV of 16 + 2 tokens: 4 full blocks
  EXPECT_EQ(h.scheduler_->Blocks().Used(), 0);
}

}  // namespace
}  // namespace servesim
