#include "sim/serving/kv_cache.h"

namespace servesim {

BlockPool::BlockPool(int64_t num_blocks, int64_t block_size_tokens)
    : num_blocks_(num_blocks), block_size_(block_size_tokens) {
  SERVESIM_CHECK(num_blocks_ >= 1 && block_size_ >= 1);
}

}  // namespace servesim
