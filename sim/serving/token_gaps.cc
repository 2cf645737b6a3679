#include "sim/serving/token_gaps.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "sim/core/check.h"
#include "sim/serving/radix_sort.h"

namespace servesim {
namespace {

// The distinct words of `words` with how often each occurs, ascending; `words` is left in any
// order. Up to a million words (every run but the longest) they are sorted in place and equal
// runs counted: distinct step lengths are then a large share of the words. The sort is a radix
// sort on the gap bytes (stable) followed by a sort of each run of equal gaps by count. Longer
// logs: an open-addressing hash table (a long run has far fewer distinct step lengths than
// steps), then a sort of the distinct words. REQUIRES: no word is 0 (a packed count is >= 1),
// which marks an empty slot.
std::vector<std::pair<uint64_t, int64_t>> CountDistinct(std::vector<uint64_t>* words,
                                                        int count_bits) {
  const size_t n = words->size();
  if (n <= (size_t{1} << 20)) {
    std::vector<uint64_t>& w = *words;
    if (n < 4096) {
      std::sort(w.begin(), w.end());
    } else {
      RadixSortBytes(words, count_bits / 8);  // count_bits is a multiple of 8
      const uint64_t gap_mask = ~((uint64_t{1} << count_bits) - 1);
      for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && (w[j] & gap_mask) == (w[i] & gap_mask)) ++j;
        if (j - i > 1) {
          std::sort(w.begin() + static_cast<ptrdiff_t>(i), w.begin() + static_cast<ptrdiff_t>(j));
        }
        i = j;
      }
    }
    std::vector<std::pair<uint64_t, int64_t>> runs;
    for (size_t k = 0; k < n;) {
      size_t e = k + 1;
      while (e < n && w[e] == w[k]) ++e;
      runs.emplace_back(w[k], static_cast<int64_t>(e - k));
      k = e;
    }
    return runs;
  }
  const uint64_t* const data = words->data();
  int bits = 10;
  std::vector<std::pair<uint64_t, int64_t>> table(size_t{1} << bits);
  size_t used = 0;
  const auto slot_of = [&bits](uint64_t w) {
    return static_cast<size_t>((w * 0x9E3779B97F4A7C15ULL) >> (64 - bits));
  };
  for (size_t k = 0; k < n; ++k) {
    const uint64_t w = data[k];
    SERVESIM_CHECK(w != 0);
    if (2 * (used + 1) > table.size()) {  // keep the load at most one half
      std::vector<std::pair<uint64_t, int64_t>> old(table.size() * 2);
      old.swap(table);
      ++bits;
      for (const auto& e : old) {
        if (e.first == 0) continue;
        size_t h = slot_of(e.first);
        while (table[h].first != 0) h = (h + 1) & (table.size() - 1);
        table[h] = e;
      }
    }
    size_t h = slot_of(w);
    while (table[h].first != 0 && table[h].first != w) h = (h + 1) & (table.size() - 1);
    if (table[h].first == 0) {
      table[h].first = w;
      ++used;
    }
    ++table[h].second;
  }
  table.erase(
      std::remove_if(table.begin(), table.end(), [](const auto& e) { return e.first == 0; }),
      table.end());
  std::sort(table.begin(), table.end());
  return table;
}

}  // namespace

TokenGapLog::TokenGapLog(size_t compact_at) : compact_at_(compact_at) {
  SERVESIM_CHECK(compact_at_ >= 2);
}

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
  ++num_samples_;
  if (gap <= kMaxPackedGap && static_cast<uint64_t>(count) <= kCountMask) {
    packed_.push_back(static_cast<uint64_t>(gap) << kCountBits | static_cast<uint64_t>(count));
    last_is_wide_ = false;
    if (packed_.size() >= compact_at_) Fold(1);
  } else {
    wide_.emplace_back(gap, count);
    last_is_wide_ = true;
  }
}

void TokenGapLog::Fold(size_t keep) {
  static_assert(kCountBits % 8 == 0);
  SERVESIM_CHECK(keep <= 1 && keep <= packed_.size());
  const uint64_t last = keep == 1 ? packed_.back() : 0;
  if (keep == 1) packed_.pop_back();
  std::vector<std::pair<uint64_t, int64_t>> fresh = CountDistinct(&packed_, kCountBits);
  packed_.clear();  // capacity kept for the next words
  if (keep == 1) packed_.push_back(last);
  if (folded_.empty()) {
    folded_ = std::move(fresh);
    return;
  }
  // Merge the two ascending tables of distinct words, adding the copies of equal ones.
  std::vector<std::pair<uint64_t, int64_t>> merged;
  merged.reserve(folded_.size() + fresh.size());
  size_t i = 0, j = 0;
  while (i < fresh.size() || j < folded_.size()) {
    if (j == folded_.size() || (i < fresh.size() && fresh[i].first < folded_[j].first)) {
      merged.push_back(fresh[i++]);
    } else if (i == fresh.size() || folded_[j].first < fresh[i].first) {
      merged.push_back(folded_[j++]);
    } else {
      merged.emplace_back(fresh[i].first, fresh[i].second + folded_[j].second);
      ++i;
      ++j;
    }
  }
  folded_ = std::move(merged);
}

template <typename Fn>
void TokenGapLog::ForEachSorted(Fn fn) const {
  SERVESIM_CHECK(sorted_ && packed_.empty());
  size_t i = 0, j = 0;
  while (i < folded_.size() || j < wide_.size()) {
    std::pair<SimTime, int64_t> p{kMaxPackedGap + 1, 0};
    if (i < folded_.size()) {
      p = {static_cast<SimTime>(folded_[i].first >> kCountBits),
           static_cast<int64_t>(folded_[i].first & kCountMask)};
    }
    if (j < wide_.size() && (i == folded_.size() || wide_[j] < p)) {
      fn(wide_[j].first, wide_[j].second, 1);
      ++j;
    } else {
      fn(p.first, p.second, folded_[i].second);
      ++i;
    }
  }
}

LatencyStats TokenGapLog::Stats() {
  LatencyStats st;
  if (!sorted_) {
    Fold(0);
    std::sort(wide_.begin(), wide_.end());
    sorted_ = true;
  }
  int64_t total = 0;
  double sum_ms = 0;
  SimTime max_gap = 0;
  ForEachSorted([&](SimTime gap, int64_t count, int64_t copies) {
    total += count * copies;
    // Added copy by copy: the sum of the unfolded log, to the bit.
    const double term = SimTimeToMs(gap) * static_cast<double>(count);
    for (int64_t c = 0; c < copies; ++c) sum_ms += term;
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
  ForEachSorted([&](SimTime gap, int64_t count, int64_t copies) {
    seen += count * copies;
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
