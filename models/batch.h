// BatchShape: what one engine step (one forward pass) computes, in aggregate. The scheduler
// fills it; the StepModel prices it. Decode sequences are summarised by count and total context
// so that pricing a step costs O(number of prefill chunks), not O(batch size).
#pragma once

#include <cstdint>
#include <vector>

namespace servesim {

struct PrefillChunk {
  int64_t tokens = 0;            // new prompt tokens computed in this step (>= 1)
  int64_t context_tokens = 0;    // tokens of the same sequence already in the KV cache
  bool produces_logits = false;  // true when the chunk completes the prompt (samples a token)
};

// How an engine launches a step's kernels (set by the engine's CUDA-graph policy).
enum class StepLaunch : uint8_t {
  kDefault,  // not modelled: every kernel costs the cost model's kernel_launch_overhead
  kGraph,    // replayed from a captured CUDA graph (possibly padded, see padding_tokens)
  kEager,    // every kernel launched by the host, one after the other
};

struct BatchShape {
  int64_t decode_seqs = 0;
  // Sum over decode sequences of the tokens each attends to (its KV length including the token
  // computed in this step).
  int64_t decode_context_tokens = 0;
  // Speculative decoding: draft tokens verified in this step, summed over decode sequences. A
  // decode sequence verifying d drafts computes d + 1 query rows (its last token and the drafts)
  // and samples at each of them; 0 without speculative decoding.
  int64_t decode_draft_tokens = 0;
  std::vector<PrefillChunk> prefills;
  StepLaunch launch = StepLaunch::kDefault;
  // Rows added to reach the captured graph's size: they run through every layer's GEMMs,
  // elementwise ops and collectives, but attend to nothing and produce no logits.
  int64_t padding_tokens = 0;
  // KV offload: tokens whose KV is loaded from host memory for this step's prefill chunks (their
  // whole blocks, every layer), priced by HostLoadStepModel; 0 without a host tier.
  int64_t host_load_tokens = 0;

  int64_t PrefillTokens() const {
    int64_t n = 0;
    for (const PrefillChunk& c : prefills) n += c.tokens;
    return n;
  }
  // Query rows of the decode sequences: one each plus their draft tokens.
  int64_t DecodeTokens() const { return decode_seqs + decode_draft_tokens; }
  int64_t TotalTokens() const { return DecodeTokens() + PrefillTokens(); }
  int64_t NumSeqs() const { return decode_seqs + static_cast<int64_t>(prefills.size()); }
  // Rows of the LM head: every decode query row plus each chunk that completes its prompt.
  int64_t LogitsRows() const {
    int64_t n = DecodeTokens();
    for (const PrefillChunk& c : prefills) n += c.produces_logits ? 1 : 0;
    return n;
  }
  bool Empty() const { return decode_seqs == 0 && prefills.empty(); }
  void Clear() {
    decode_seqs = 0;
    decode_context_tokens = 0;
    decode_draft_tokens = 0;
    launch = StepLaunch::kDefault;
    padding_tokens = 0;
    host_load_tokens = 0;
    prefills.clear();  // keeps capacity: no allocation per step
  }
};

}  // namespace servesim
