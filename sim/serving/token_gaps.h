// TokenGapLog: every inter-token gap of a run, as weighted samples (gap, count), for the ITL
// statistics. Consecutive equal gaps merge into one sample, so a steady decode costs O(1) memory.
// A sample takes one 64-bit word (gap < 2^40 ns and count < 2^24, packed so that the words sort
// like the pairs); the rare samples that do not fit are kept apart as pairs. Stats() gives
// exactly what sorting all (gap, count) pairs and expanding them would (numpy's percentiles).
// Memory does not grow with the steps of a run: once `compact_at` words are logged, they are
// counted and folded into a sorted table of distinct samples with their copies (all
// but the latest word, which a next equal gap may still merge into). The statistics stay exact to
// the bit: Stats visits the same samples in the same order, a repeated sample once per copy.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/time.h"
#include "sim/report/summary.h"

namespace servesim {

class TokenGapLog {
 public:
  // Words logged before they are folded into the table of distinct samples: 32 MiB.
  static constexpr size_t kDefaultCompactAt = size_t{1} << 22;
  explicit TokenGapLog(size_t compact_at = kDefaultCompactAt);

  // `count` gaps of length `gap` each. REQUIRES: gap >= 0, count >= 1.
  void Add(SimTime gap, int64_t count);
  // Mean, median, p90, p99 and max in ms over the expanded sample (all zero when empty). Folds
  // the remaining words, then visits every sample: O(samples). Add may not follow.
  LatencyStats Stats();
  // Samples logged (the expanded sample has the sum of their counts).
  int64_t NumSamples() const { return num_samples_; }
  // Entries held in memory: logged words, distinct folded samples and unpacked pairs.
  int64_t NumStored() const {
    return static_cast<int64_t>(packed_.size() + folded_.size() + wide_.size());
  }

 private:
  static constexpr int kCountBits = 24;
  static constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;
  static constexpr SimTime kMaxPackedGap = (SimTime{1} << (64 - kCountBits)) - 1;
  // Folds the logged words into folded_, keeping the last `keep` (0 or 1) words logged.
  void Fold(size_t keep);
  // Calls fn(gap, count, copies) for every distinct sample in (gap, count) order, `copies`
  // being how often it was logged. REQUIRES: sorted.
  template <typename Fn>
  void ForEachSorted(Fn fn) const;

  size_t compact_at_;
  int64_t num_samples_ = 0;
  std::vector<uint64_t> packed_;                      // gap << kCountBits | count, as logged
  std::vector<std::pair<uint64_t, int64_t>> folded_;  // (word, copies), ascending, unique
  std::vector<std::pair<SimTime, int64_t>> wide_;     // samples that do not pack
  bool last_is_wide_ = false;                         // where the latest sample went
  bool sorted_ = false;                               // Stats was called: no more Add
};

}  // namespace servesim
