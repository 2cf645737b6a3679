// BlockPool: the paged KV cache of one replica as a count of fixed-size blocks. Blocks are
// fungible here (no prefix sharing yet), so the pool tracks counts, not block ids.
#pragma once

#include <cstdint>

#include "sim/core/check.h"

namespace servesim {

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

class BlockPool {
 public:
  BlockPool(int64_t num_blocks, int64_t block_size_tokens);

  int64_t NumBlocks() const { return num_blocks_; }
  int64_t BlockSize() const { return block_size_; }
  int64_t Used() const { return used_; }
  int64_t Free() const { return num_blocks_ - used_; }
  double Utilization() const { return static_cast<double>(used_) / num_blocks_; }
  // Blocks needed to hold `tokens` tokens.
  int64_t BlocksFor(int64_t tokens) const { return CeilDiv(tokens, block_size_); }

  // REQUIRES: n <= Free(). The KV cache is never over capacity.
  void Allocate(int64_t n) {
    SERVESIM_CHECK(n >= 0 && n <= Free());
    used_ += n;
  }
  // REQUIRES: n <= Used().
  void Release(int64_t n) {
    SERVESIM_CHECK(n >= 0 && n <= used_);
    used_ -= n;
  }

 private:
  int64_t num_blocks_;
  int64_t block_size_;
  int64_t used_ = 0;
};

}  // namespace servesim
