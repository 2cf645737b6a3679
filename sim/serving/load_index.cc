#include "sim/serving/load_index.h"

namespace servesim {

LoadIndex::LoadIndex(size_t replicas) : leaves_(1), dirty_flag_(replicas, 0) {
  SERVESIM_CHECK(replicas >= 1);
  while (leaves_ < replicas) leaves_ *= 2;
  count_.assign(leaves_, std::numeric_limits<int64_t>::max());
  tree_.assign(2 * leaves_, 0);
  for (size_t i = 0; i < leaves_; ++i) tree_[leaves_ + i] = i;
  for (size_t node = leaves_ - 1; node >= 1; --node) {
    tree_[node] = Better(tree_[2 * node], tree_[2 * node + 1]);
  }
  for (size_t i = 0; i < replicas; ++i) MarkDirty(i);
}

}  // namespace servesim
