// Scheduler: admission of waiting requests and the KV blocks of a request's life, including
// prefix caching (see kv_cache.h and docs/design.md, "Prefix caching").
#include <algorithm>

#include "sim/core/check.h"
#include "sim/serving/scheduler.h"

namespace servesim {

bool Scheduler::TryAdmit(SimTime now, int64_t* budget, BatchShape* batch) {
  const RequestId id = waiting_.front();
  Request& r = (*table_)[id];
  if (r.computed == r.prompt_target) return false;  // prefilled: joins the decode set next step
  SERVESIM_CHECK(r.computed == 0 && r.blocks == 0);
  int64_t evictable_hits = 0, host_hits = 0;
  const int64_t gpu_hits = MatchPrefix(id, &evictable_hits, &host_hits);
  const int64_t hits = gpu_hits + host_hits;
  const int64_t start = hits * config_.block_size;  // cached tokens are not computed again
  const int64_t remaining = r.prompt_target - start;
  if (!config_.enable_chunked_prefill && remaining > *budget) return false;
  const int64_t chunk = std::min(remaining, *budget);
  // Reserving policies hold the whole sequence (a prefill-only instance only the prompt).
  const int64_t tokens =
      Reserves() ? r.input_tokens + (config_.prefill_only ? 0 : r.output_tokens) : start + chunk;
  // Blocks loaded from the host tier need GPU blocks like computed ones.
  const int64_t need = blocks_.BlocksFor(tokens) - gpu_hits;
  // Taking an evictable cached block uses up a block that was free.
  if (need > blocks_.Free() - evictable_hits) return false;
  waiting_.pop_front();
  for (int64_t i = 0; i < gpu_hits; ++i) blocks_.Acquire(KeyOf(id, i));
  // Out of the host tier before allocating: the allocation's offloads cannot push them out.
  for (int64_t i = gpu_hits; i < hits; ++i) blocks_.TakeFromHost(KeyOf(id, i));
  blocks_.Allocate(need);
  for (int64_t i = gpu_hits; i < hits; ++i) blocks_.Publish(KeyOf(id, i));
  r.computed = start;
  r.cached_blocks = hits;
  r.blocks = gpu_hits + need;
  if (r.scheduled < 0) {
    r.prefix_hit_tokens = start;
    r.host_hit_tokens = host_hits * config_.block_size;
  }
  // The loaded blocks' KV arrives over the host link during the step of the first chunk.
  batch->host_load_tokens += host_hits * config_.block_size;
  MarkAdmitted(r, now);
  prefilling_.push_back(id);
  AddChunk(id, chunk, batch);
  *budget -= chunk;
  return true;
}

BlockKey Scheduler::KeyOf(RequestId id, int64_t index) const {
  const Request& r = (*table_)[id];
  if (r.prefix_group >= 0 && (index + 1) * config_.block_size <= r.prefix_tokens) {
    return BlockKey{BlockKey::Stream::kGroup, r.prefix_group, index};
  }
  if (r.session >= 0) return BlockKey{BlockKey::Stream::kSession, r.session, index};
  return BlockKey{BlockKey::Stream::kRequest, id, index};
}

int64_t Scheduler::MatchPrefix(RequestId id, int64_t* evictable, int64_t* host) const {
  *evictable = 0;
  *host = 0;
  if (!config_.prefix_caching) return 0;
  const Request& r = (*table_)[id];
  // Like vLLM, the last prompt token is always computed (it samples the next token), so a fully
  // cached prompt hits on all its blocks but the one holding that token.
  const int64_t max_hits = (r.prompt_target - 1) / config_.block_size;
  int64_t hits = 0;
  for (; hits < max_hits; ++hits) {
    const BlockPool::Lookup found = blocks_.Find(KeyOf(id, hits));
    if (found == BlockPool::Lookup::kMiss || found == BlockPool::Lookup::kHost) break;
    if (found == BlockPool::Lookup::kEvictable) ++*evictable;
  }
  // The blocks that follow may be in the host tier (LMCache's lookup continues the GPU's match
  // in its own storage); a block back on the GPU or missing ends the match.
  int64_t loaded = hits;
  while (loaded < max_hits && blocks_.Find(KeyOf(id, loaded)) == BlockPool::Lookup::kHost) {
    ++loaded;
  }
  *host = loaded - hits;
  return hits;
}

void Scheduler::PublishFull(RequestId id) {
  if (!config_.prefix_caching) return;
  Request& r = (*table_)[id];
  const int64_t full = r.computed / config_.block_size;
  SERVESIM_CHECK(full <= r.blocks);
  for (; r.cached_blocks < full; ++r.cached_blocks) blocks_.Publish(KeyOf(id, r.cached_blocks));
}

void Scheduler::ReleaseBlocks(RequestId id) {
  Request& r = (*table_)[id];
  // Decode blocks become cached only now, when the request leaves: per-step decode work stays
  // O(1) and nobody could share them earlier (a session's next turn waits for this one).
  PublishFull(id);
  SERVESIM_CHECK(r.blocks >= r.cached_blocks);
  blocks_.Release(r.blocks - r.cached_blocks);
  // Freed last block first, so that the tail of a sequence is evicted before its prefix.
  for (int64_t i = r.cached_blocks; i-- > 0;) blocks_.ReleaseCached(KeyOf(id, i));
  r.blocks = 0;
  r.cached_blocks = 0;
}

}  // namespace servesim
