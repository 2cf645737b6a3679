#include "calibrate/step_layout.h"

#include <algorithm>
#include <numeric>

#include "sim/core/check.h"

namespace servesim {

PagedLayout MakePagedLayout(const std::vector<int64_t>& lengths, int64_t block_size, Rng* rng) {
  PagedLayout p;
  for (int64_t len : lengths) {
    const int64_t n = (len + block_size - 1) / block_size;
    p.max_blocks = std::max(p.max_blocks, n);
    p.blocks += n;
    p.lengths.push_back(static_cast<int32_t>(len));
  }
  std::vector<int32_t> ids(static_cast<size_t>(p.blocks));
  std::iota(ids.begin(), ids.end(), 0);
  for (size_t i = ids.size(); i > 1; --i) {
    const int64_t j = rng->UniformInt(0, static_cast<int64_t>(i) - 1);
    std::swap(ids[i - 1], ids[static_cast<size_t>(j)]);
  }
  p.table.assign(lengths.size() * static_cast<size_t>(p.max_blocks), 0);
  size_t next = 0;
  for (size_t s = 0; s < lengths.size(); ++s) {
    const int64_t n = (lengths[s] + block_size - 1) / block_size;
    for (int64_t j = 0; j < n; ++j) p.table[s * p.max_blocks + j] = ids[next++];
  }
  return p;
}

StepLayout MakeStepLayout(const StepShape& s, const KernelDims& dims, Rng* rng) {
  SERVESIM_CHECK(s.prefill_tokens + s.decode_seqs > 0 && s.layers >= 1);
  SERVESIM_CHECK(s.decode_seqs == 0 || s.kv_len >= 1);
  const int64_t bs = dims.block_size;
  StepLayout l;
  l.paged =
      MakePagedLayout(std::vector<int64_t>(static_cast<size_t>(s.decode_seqs), s.kv_len), bs, rng);
  l.prefill_base = l.paged.blocks * bs;
  l.cache_tokens = l.prefill_base + s.prefill_tokens;
  for (int64_t b = 0; b < s.decode_seqs; ++b) {
    const int64_t last = s.kv_len - 1;
    l.slots.push_back(l.paged.table[b * l.paged.max_blocks + last / bs] * bs + last % bs);
    l.positions.push_back(std::min(last, dims.max_position - 1));
    l.out_rows.push_back(static_cast<int32_t>(b));
  }
  for (int64_t i = 0; i < s.prefill_tokens; ++i) {
    l.slots.push_back(l.prefill_base + i);
    l.positions.push_back(std::min(i, dims.max_position - 1));
  }
  if (s.prefill_tokens > 0) l.out_rows.push_back(static_cast<int32_t>(l.Tokens() - 1));
  for (int64_t i = 0; i < l.Tokens(); ++i) {
    l.ids.push_back(static_cast<int32_t>(rng->UniformInt(0, dims.vocab_local - 1)));
  }
  return l;
}

}  // namespace servesim
