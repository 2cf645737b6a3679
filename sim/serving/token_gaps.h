// TokenGapLog: every inter-token gap of a run, as weighted samples (gap, count), for the ITL
// statistics. Consecutive equal gaps merge into one sample, so a steady decode costs O(1) memory.
// A sample takes one 64-bit word (gap < 2^40 ns and count < 2^24, packed so that the words sort
// like the pairs); the rare samples that do not fit are kept apart as pairs. Stats() gives
// exactly what sorting all (gap, count) pairs and expanding them would (numpy's percentiles).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/time.h"
#include "sim/report/summary.h"

namespace servesim {

class TokenGapLog {
 public:
  // `count` gaps of length `gap` each. REQUIRES: gap >= 0, count >= 1.
  void Add(SimTime gap, int64_t count);
  // Mean, median, p90, p99 and max in ms over the expanded sample (all zero when empty). Sorts
  // the samples in place (radix sort on the packed words): O(samples). Add may not follow.
  LatencyStats Stats();
  int64_t NumSamples() const { return static_cast<int64_t>(packed_.size() + wide_.size()); }

 private:
  static constexpr int kCountBits = 24;
  static constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;
  static constexpr SimTime kMaxPackedGap = (SimTime{1} << (64 - kCountBits)) - 1;
  void SortAll();
  // Calls fn(gap, count) for every sample in (gap, count) order. REQUIRES: sorted.
  template <typename Fn>
  void ForEachSorted(Fn fn) const;

  std::vector<uint64_t> packed_;                   // gap << kCountBits | count
  std::vector<std::pair<SimTime, int64_t>> wide_;  // samples that do not pack
  bool last_is_wide_ = false;                      // where the latest sample went
  bool sorted_ = false;                            // Stats was called: no more Add
};

}  // namespace servesim
