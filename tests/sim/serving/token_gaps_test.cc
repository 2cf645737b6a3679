#include "sim/serving/token_gaps.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "sim/core/rng.h"
#include "sim/serving/metrics.h"

namespace servesim {
namespace {

// The reference: pairs merged when consecutive and equal, then WeightedStatsMs.
struct Reference {
  std::vector<std::pair<SimTime, int64_t>> samples;
  void Add(SimTime gap, int64_t count) {
    if (!samples.empty() && samples.back().first == gap) {
      samples.back().second += count;
    } else {
      samples.emplace_back(gap, count);
    }
  }
};

void ExpectSameBits(const LatencyStats& a, const LatencyStats& b) {
  EXPECT_EQ(a.mean_ms, b.mean_ms);
  EXPECT_EQ(a.median_ms, b.median_ms);
  EXPECT_EQ(a.p90_ms, b.p90_ms);
  EXPECT_EQ(a.p99_ms, b.p99_ms);
  EXPECT_EQ(a.max_ms, b.max_ms);
}

TEST(TokenGapLogTest, EmptyLogGivesZeros) {
  TokenGapLog log;
  ExpectSameBits(log.Stats(), LatencyStats{});
}

// Small and large logs (std::sort and radix paths), repeated gaps that merge, gaps and counts
// too large to pack, and counts whose merge overflows the packed field.
TEST(TokenGapLogTest, MatchesSortedPairsBitForBit) {
  for (const int64_t n : {1, 7, 1000, 200000}) {
    Rng rng(static_cast<uint64_t>(n), "token_gaps_test");
    TokenGapLog log;
    Reference ref;
    SimTime gap = 5'000'000;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t kind = rng.UniformInt(0, 99);
      if (kind < 30) {
        // repeat the previous gap (merges)
      } else if (kind < 95) {
        gap = rng.UniformInt(0, 300'000'000);
      } else if (kind < 98) {
        gap = rng.UniformInt(int64_t{1} << 40, int64_t{1} << 50);  // does not pack
      } else {
        gap = rng.UniformInt(0, 10);
      }
      const int64_t count = rng.UniformInt(0, 999) == 0 ? rng.UniformInt(1, int64_t{1} << 30)
                                                        : rng.UniformInt(1, 300);
      log.Add(gap, count);
      ref.Add(gap, count);
    }
    EXPECT_EQ(log.NumSamples(), static_cast<int64_t>(ref.samples.size())) << n;
    ExpectSameBits(log.Stats(), WeightedStatsMs(ref.samples));
  }
}

TEST(TokenGapLogTest, MergedCountsBeyondThePackedFieldStayExact) {
  TokenGapLog log;
  Reference ref;
  for (int i = 0; i < 40; ++i) {
    log.Add(1000, int64_t{1} << 20);  // 40 x 2^20 > 2^24: the merged sample moves to a pair
    ref.Add(1000, int64_t{1} << 20);
  }
  log.Add(7, 3);
  ref.Add(7, 3);
  EXPECT_EQ(log.NumSamples(), 2);
  ExpectSameBits(log.Stats(), WeightedStatsMs(ref.samples));
}

// Folding the log into its table of distinct samples, whenever it happens (every other word,
// or in the radix-sort path), keeps every statistic to the bit, and bounds what is stored by
// the distinct samples plus the fold size instead of the number of steps.
TEST(TokenGapLogTest, FoldedLogMatchesBitForBitAndStaysSmall) {
  constexpr int64_t kDistinctGaps = 201, kMaxSmallCount = 4;
  for (const size_t compact_at : {size_t{2}, size_t{3}, size_t{64}, size_t{10000}}) {
    Rng rng(compact_at, "token_gaps_fold");
    TokenGapLog log(compact_at);
    Reference ref;
    SimTime gap = 5'000'000;
    int64_t wide = 0, max_stored = 0;
    for (int i = 0; i < 300000; ++i) {
      const int64_t kind = rng.UniformInt(0, 99);
      if (kind < 30) {
        // repeat the previous gap (merges)
      } else if (kind < 99) {
        gap = 5'000'000 + rng.UniformInt(0, kDistinctGaps - 1) * 1000;
      } else {
        gap = rng.UniformInt(int64_t{1} << 40, int64_t{1} << 50);  // does not pack
        ++wide;
      }
      const int64_t count = rng.UniformInt(0, 9999) == 0 ? rng.UniformInt(1, int64_t{1} << 30)
                                                         : rng.UniformInt(1, kMaxSmallCount);
      wide += count > kMaxSmallCount;
      log.Add(gap, count);
      ref.Add(gap, count);
      max_stored = std::max(max_stored, log.NumStored());
    }
    EXPECT_EQ(log.NumSamples(), static_cast<int64_t>(ref.samples.size())) << compact_at;
    ExpectSameBits(log.Stats(), WeightedStatsMs(ref.samples));
    // Merged runs reach counts far beyond kMaxSmallCount; a generous bound that still fails
    // if nothing is folded (ref.samples has ~210,000 entries).
    EXPECT_LT(max_stored, static_cast<int64_t>(compact_at) + 40 * kDistinctGaps + 2 * wide)
        << compact_at;
    EXPECT_LT(max_stored, static_cast<int64_t>(ref.samples.size()) / 10) << compact_at;
  }
}

}  // namespace
}  // namespace servesim
