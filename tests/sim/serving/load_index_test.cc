#include "sim/serving/load_index.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/core/rng.h"

namespace servesim {
namespace {

// What least_outstanding routing did before the index: scan in index order, keep the first
// strict minimum.
size_t Scan(const std::vector<int64_t>& counts) {
  size_t best = 0;
  for (size_t i = 1; i < counts.size(); ++i) {
    if (counts[i] < counts[best]) best = i;
  }
  return best;
}

TEST(LoadIndexTest, MatchesTheScanUnderRandomChanges) {
  for (const size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{8}, size_t{13}, size_t{1024}}) {
    Rng rng(n, "load_index_test");
    std::vector<int64_t> counts(n, 0);
    LoadIndex index(n);
    int64_t asked = 0;
    const auto count_of = [&](size_t i) {
      ++asked;
      return counts[i];
    };
    ASSERT_EQ(index.Min(count_of), 0u);  // every replica starts dirty: all are asked once
    EXPECT_EQ(asked, static_cast<int64_t>(n));
    for (int round = 0; round < 3000; ++round) {
      // A few replicas change (and say so); many ties, since counts stay small.
      const int64_t changes = rng.UniformInt(0, 3);
      for (int64_t c = 0; c < changes; ++c) {
        const size_t i = static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(n) - 1));
        counts[i] = rng.UniformInt(0, 4);
        index.MarkDirty(i);
      }
      asked = 0;
      ASSERT_EQ(index.Min(count_of), Scan(counts)) << n << " round " << round;
      EXPECT_LE(asked, changes) << "only dirty replicas are asked";
    }
  }
}

TEST(LoadIndexTest, EveryReplicaStartsDirtyAndTiesGoToTheLowestIndex) {
  LoadIndex index(5);
  std::vector<int64_t> counts = {3, 1, 2, 1, 1};
  int64_t asked = 0;
  EXPECT_EQ(index.Min([&](size_t i) {
    ++asked;
    return counts[i];
  }),
            1u);
  EXPECT_EQ(asked, 5);
  counts[1] = 2;
  index.MarkDirty(1);
  index.MarkDirty(1);  // marking twice asks once
  asked = 0;
  EXPECT_EQ(index.Min([&](size_t i) {
    ++asked;
    return counts[i];
  }),
            3u);
  EXPECT_EQ(asked, 1);
}

}  // namespace
}  // namespace servesim
