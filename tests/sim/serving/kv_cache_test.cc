#include "sim/serving/kv_cache.h"

#include <gtest/gtest.h>

namespace servesim {
namespace {

BlockKey Key(int64_t index) { return BlockKey{BlockKey::Stream::kGroup, 0, index}; }

TEST(BlockPoolTest, CountsOnlyWithoutPrefixCaching) {
  BlockPool pool(10, 16);
  EXPECT_EQ(pool.BlocksFor(33), 3);
  pool.Allocate(7);
  EXPECT_EQ(pool.Used(), 7);
  EXPECT_EQ(pool.Free(), 3);
  pool.Release(7);
  EXPECT_EQ(pool.Free(), 10);
  EXPECT_EQ(pool.Evictable(), 0);
}

TEST(BlockPoolTest, LruEvictsTheLeastRecentlyFreedUnheldBlockFirst) {
  BlockPool pool(4, 16, true);
  pool.Allocate(3);
  for (int64_t i = 0; i < 3; ++i) pool.Publish(Key(i));
  pool.ReleaseCached(Key(1));
  pool.ReleaseCached(Key(0));
  pool.ReleaseCached(Key(2));  // LRU order now: 1, 0, 2
  EXPECT_EQ(pool.Used(), 0);
  EXPECT_EQ(pool.Free(), 4);
  EXPECT_EQ(pool.Evictable(), 3);
  pool.Allocate(1);  // the empty block goes first
  EXPECT_EQ(pool.Evictions(), 0);
  pool.Allocate(1);
  EXPECT_EQ(pool.Find(Key(1)), BlockPool::Lookup::kMiss);
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kEvictable);
  pool.Acquire(Key(0));  // a hit takes 0 out of the LRU: 2 is next
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kHeld);
  pool.Allocate(1);
  EXPECT_EQ(pool.Find(Key(2)), BlockPool::Lookup::kMiss);
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kHeld);
  EXPECT_EQ(pool.Evictions(), 2);
  EXPECT_EQ(pool.Used(), 4);
  EXPECT_EQ(pool.Free(), 0);
}

TEST(BlockPoolTest, ASharedBlockIsCountedOnceAndKeptWhileHeld) {
  BlockPool pool(4, 16, true);
  pool.Allocate(1);
  pool.Publish(Key(0));
  pool.Acquire(Key(0));  // a second request shares it
  EXPECT_EQ(pool.Used(), 1);
  pool.ReleaseCached(Key(0));
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kHeld);
  EXPECT_EQ(pool.Used(), 1);
  pool.Allocate(3);  // fills the pool: the held block is not evictable
  EXPECT_EQ(pool.Free(), 0);
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kHeld);
  pool.ReleaseCached(Key(0));
  EXPECT_EQ(pool.Find(Key(0)), BlockPool::Lookup::kEvictable);
  EXPECT_EQ(pool.Used(), 3);
  EXPECT_EQ(pool.Free(), 1);
}

TEST(BlockPoolTest, PublishingContentThatIsCachedAlreadyFreesTheCopy) {
  BlockPool pool(4, 16, true);
  pool.Allocate(2);  // two requests computed the same block concurrently
  pool.Publish(Key(0));
  pool.Publish(Key(0));
  EXPECT_EQ(pool.Used(), 1);
  pool.ReleaseCached(Key(0));
  pool.ReleaseCached(Key(0));
  EXPECT_EQ(pool.Used(), 0);
  EXPECT_EQ(pool.Evictable(), 1);
  // Content that is cached but unheld: the copy is freed, the cached block is held again.
  pool.Allocate(1);
  pool.Publish(Key(0));
  EXPECT_EQ(pool.Used(), 1);
  EXPECT_EQ(pool.Evictable(), 0);
  EXPECT_EQ(pool.Free(), 3);
}

}  // namespace
}  // namespace servesim
