// Index data shared by the backends: paged KV layouts (block tables with blocks scattered at
// random, as in a long-running server) and the per-token indices of a whole-step measurement
// (cache slots, positions, token ids, the rows that produce logits).
#pragma once

#include <cstdint>
#include <vector>

#include "calibrate/backend.h"
#include "sim/core/rng.h"

namespace servesim {

struct PagedLayout {
  std::vector<int32_t> table;    // [seqs, max_blocks]
  std::vector<int32_t> lengths;  // [seqs]
  int64_t max_blocks = 0;
  int64_t blocks = 0;  // blocks in the cache
};

PagedLayout MakePagedLayout(const std::vector<int64_t>& lengths, int64_t block_size, Rng* rng);

// Tokens of a step: the decode sequences first (one token each, at KV length kv_len), then the
// prefill chunk (context 0) at consecutive cache slots after the decode blocks.
struct StepLayout {
  PagedLayout paged;           // the decode sequences
  int64_t prefill_base = 0;    // first cache slot of the prefill chunk
  int64_t cache_tokens = 0;    // cache slots in all
  std::vector<int64_t> slots;  // [tokens] where each token's K and V go
  std::vector<int64_t> positions;
  std::vector<int32_t> ids;       // token ids (in the LM-head slice)
  std::vector<int32_t> out_rows;  // rows that produce logits: decode rows, last prefill row
  int64_t Tokens() const { return static_cast<int64_t>(slots.size()); }
};

StepLayout MakeStepLayout(const StepShape& shape, const KernelDims& dims, Rng* rng);

}  // namespace servesim
