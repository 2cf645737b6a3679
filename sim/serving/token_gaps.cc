#include "sim/serving/token_gaps.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "sim/core/check.h"
#include "sim/serving/radix_sort.h"

namespace servesim {
namespace {

// Sorts packed (gap << count_bits | count) words: a radix sort on the gap's bytes only (stable:
// equal gaps keep their order), then each run of equal gaps is sorted by count.
void SortPacked(std::vector<uint64_t>* words, int count_bits) {
  if (words->size() < 4096) {
    std::sort(words->begin(), words->end());
    return;
  }
  RadixSortBytes(words, count_bits / 8);  // count_bits is a multiple of 8
  const uint64_t gap_mask = ~((uint64_t{1} << count_bits) - 1);
  for (size_t i = 0; i < words->size();) {
    size_t j = i + 1;
    while (j < words->size() && ((*words)[j] & gap_mask) == ((*words)[i] & gap_mask)) ++j;
    if (j - i > 1) {
      std::sort(words->begin() + static_cast<ptrdiff_t>(i),
                words->begin() + static_cast<ptrdiff_t>(j));
    }
    i = j;
  }
}

}  // namespace

void TokenGapLog::Add(SimTime gap, int64_t count) {
  SERVESIM_CHECK(gap >= 0 && count >= 1 && !sorted_);
  // Consecutive steps of equal length merge into one sample.
  if (last_is_wide_ && wide_.back().first == gap) {
    wide_.back().second += count;
    return;
  }
  if (!last_is_wide_ && !packed_.empty() &&
      static_cast<SimTime>(packed_.back() >> kCountBits) == gap) {
    const uint64_t merged = (packed_.back() & kCountMask) + static_cast<uint64_t>(count);
    if (merged <= kCountMask) {
      packed_.back() = (packed_.back() & ~kCountMask) | merged;
      return;
    }
    packed_.pop_back();  // the merged count no longer packs
    wide_.emplace_back(gap, static_cast<int64_t>(merged));
    last_is_wide_ = true;
    return;
  }
  if (gap <= kMaxPackedGap && static_cast<uint64_t>(count) <= kCountMask) {
    packed_.push_back(static_cast<uint64_t>(gap) << kCountBits | static_cast<uint64_t>(count));
    last_is_wide_ = false;
  } else {
    wide_.emplace_back(gap, count);
    last_is_wide_ = true;
  }
}

void TokenGapLog::SortAll() {
  static_assert(kCountBits % 8 == 0);
  SortPacked(&packed_, kCountBits);
  std::sort(wide_.begin(), wide_.end());
  sorted_ = true;
}

template <typename Fn>
void TokenGapLog::ForEachSorted(Fn fn) const {
  size_t i = 0, j = 0;
  while (i < packed_.size() || j < wide_.size()) {
    std::pair<SimTime, int64_t> p{kMaxPackedGap + 1, 0};
    if (i < packed_.size()) {
      p = {static_cast<SimTime>(packed_[i] >> kCountBits),
           static_cast<int64_t>(packed_[i] & kCountMask)};
    }
    if (j < wide_.size() && (i == packed_.size() || wide_[j] < p)) {
      fn(wide_[j].first, wide_[j].second);
      ++j;
    } else {
      fn(p.first, p.second);
      ++i;
    }
  }
}

LatencyStats TokenGapLog::Stats() {
  LatencyStats st;
  SortAll();
  int64_t total = 0;
  double sum_ms = 0;
  SimTime max_gap = 0;
  ForEachSorted([&](SimTime gap, int64_t count) {
    total += count;
    sum_ms += SimTimeToMs(gap) * static_cast<double>(count);
    max_gap = gap;
  });
  if (total == 0) return st;
  st.count = total;
  // Percentile q interpolates between ranks lo and lo + 1 of the expanded sample.
  constexpr std::array<double, 3> kQ = {50, 90, 99};
  std::array<int64_t, 6> ranks;
  std::array<double, 3> idx;
  for (size_t k = 0; k < kQ.size(); ++k) {
    idx[k] = kQ[k] / 100.0 * static_cast<double>(total - 1);
    ranks[2 * k] = static_cast<int64_t>(std::floor(idx[k]));
    ranks[2 * k + 1] = std::min(ranks[2 * k] + 1, total - 1);
  }
  std::array<double, 6> at_ms{};
  int64_t seen = 0;
  size_t next = 0;  // ranks are ascending
  ForEachSorted([&](SimTime gap, int64_t count) {
    seen += count;
    for (; next < ranks.size() && ranks[next] < seen; ++next) at_ms[next] = SimTimeToMs(gap);
  });
  std::array<double, 3> pct;
  for (size_t k = 0; k < kQ.size(); ++k) {
    const double a = at_ms[2 * k], b = at_ms[2 * k + 1];
    pct[k] = a + (b - a) * (idx[k] - static_cast<double>(ranks[2 * k]));
  }
  st.mean_ms = sum_ms / static_cast<double>(total);
  st.median_ms = pct[0];
  st.p90_ms = pct[1];
  st.p99_ms = pct[2];
  st.max_ms = SimTimeToMs(max_gap);
  return st;
}

}  // namespace servesim
