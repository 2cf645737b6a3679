// Request: one inference request's given shape, lifecycle timestamps and engine state.
// All requests of a run live in one RequestTable and are referred to by index (RequestId), so
// entities hold no pointers into a growing vector.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/time.h"

namespace servesim {

using RequestId = int64_t;
inline constexpr RequestId kNoRequest = -1;

// Compact: a run keeps one record per request (144 bytes: a million requests in 137 MiB), so counts
// that are bounded well below 2^31 (token counts <= 1e9 by config and trace validation, KV blocks,
// replicas) are 32-bit; times and counters that grow with the run stay 64-bit.
struct Request {
  // Given by the workload.
  SimTime arrival = 0;
  int32_t input_tokens = 0;
  int32_t output_tokens = 0;
  int64_t session = -1;  // conversation id for session-affinity routing; -1: none
  // Prefix identity (prefix caching; see BlockKey): the first prefix_tokens prompt tokens are
  // those of prefix group prefix_group (-1: none), e.g. a shared system prompt. A session's
  // requests are turns of one conversation: the same position holds the same token in each.
  int32_t prefix_group = -1;
  int32_t prefix_tokens = 0;

  // Lifecycle (-1 until it happens).
  SimTime scheduled = -1;    // first admission into a running batch
  SimTime first_token = -1;  // first output token emitted
  SimTime last_token = -1;   // most recent output token (kept exactly outside the decode set)
  SimTime finish = -1;
  int32_t preemptions = 0;
  int32_t replica = -1;  // where the router sent it

  // Engine state.
  int32_t generated = 0;  // output tokens emitted so far
  bool rejected = false;  // longer than engine.max_model_len: never served
  bool warmup = false;    // closed-loop warm-up request: served, not in the statistics
  bool in_decode_set = false;
  int64_t computed = 0;       // tokens whose KV is cached (outside the decode set)
  int64_t prompt_target = 0;  // tokens to prefill before sampling (input + generated if recomputed)
  int32_t blocks = 0;         // KV blocks held (outside the decode set) or reserved (trtllm)
  int32_t cached_blocks = 0;  // prefix caching: leading blocks held as cached (shared) blocks
  uint64_t admit_seq = 0;     // order of the latest admission; preemption takes the largest
  int32_t prefix_hit_tokens = 0;  // prompt tokens found in the prefix cache at first admission
  int32_t host_hit_tokens = 0;    // ... of which in its host tier (KV offload), loaded
  // Decode-set bookkeeping (see DecodeSet).
  uint32_t decode_epoch = 0;       // bumped on leaving the set; stale heap entries are skipped
  int64_t decode_offset = 0;       // computed tokens minus the set's step counter at entry
  int64_t decode_finish_step = 0;  // step counter value after which the last token is out
};

using RequestTable = std::vector<Request>;

}  // namespace servesim
