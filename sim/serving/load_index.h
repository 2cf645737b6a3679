// LoadIndex: which replica of a pool has the fewest outstanding requests (ties: the lowest
// index), without asking every replica on every arrival. A replica marks itself dirty whenever
// its queues may change (on entering and on leaving Submit, SubmitPrefilled and OnEvent); Min
// asks only the dirty replicas for their count, updates a tournament tree over (count, index)
// and reads its root: O(dirty x log replicas) instead of O(replicas). The answer is exactly
// that of scanning all replicas in index order and keeping the first strict minimum, because a
// replica that is not dirty has not changed since it was last asked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/core/check.h"

namespace servesim {

class LoadIndex {
 public:
  // Every replica starts dirty. REQUIRES: replicas >= 1.
  explicit LoadIndex(size_t replicas);

  void MarkDirty(size_t i) {
    if (dirty_flag_[i]) return;
    dirty_flag_[i] = 1;
    dirty_.push_back(i);
  }
  // The replica with the fewest outstanding requests, lowest index first; count_of(i) gives
  // replica i's current count and is called for the dirty replicas only.
  template <typename CountOf>
  size_t Min(CountOf count_of) {
    for (const size_t i : dirty_) {
      count_[i] = count_of(i);
      dirty_flag_[i] = 0;
      for (size_t node = (leaves_ + i) / 2; node >= 1; node /= 2) {
        tree_[node] = Better(tree_[2 * node], tree_[2 * node + 1]);
      }
    }
    dirty_.clear();
    return tree_[1];
  }

 private:
  size_t Better(size_t a, size_t b) const {
    return count_[b] < count_[a] || (count_[b] == count_[a] && b < a) ? b : a;
  }

  size_t leaves_;               // a power of two >= replicas
  std::vector<int64_t> count_;  // per leaf; padding leaves hold the largest count
  std::vector<size_t>
      tree_;  // tree_[node]: the best leaf below node; leaves at [leaves_, 2 leaves_)
  std::vector<char> dirty_flag_;
  std::vector<size_t> dirty_;
};

}  // namespace servesim
