// DecodeSet: the running requests that are past prefill. Every step each member computes one
// token and emits one, so the set advances all members at once in O(1): it keeps only a step
// counter, the member count, the sum of KV lengths, a count of members per block phase (how many
// need a new KV block at the next step) and a heap of finish steps. Per-request work happens only
// when a request joins, leaves or finishes, never per step.
// With speculative decoding members advance by different amounts (the accepted drafts plus one),
// so the set works per member instead: each step visits every member, draws how many of its
// drafts are accepted, and keeps the member's KV length, tokens and blocks in its Request.
#pragma once

#include <cstdint>
#include <queue>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/rng.h"
#include "sim/serving/request.h"

namespace servesim {

// Speculative decoding (engine.speculative): each step a decode sequence verifies up to
// num_tokens draft tokens (fewer when fewer tokens are left to emit: never a draft past the last
// token). Draft j is accepted with probability acceptance[j - 1] given that drafts 1..j-1 were;
// the first rejection ends the run. The step emits the accepted drafts plus the token the target
// samples after them. num_tokens == 0: off.
struct SpeculativeDecoding {
  int64_t num_tokens = 0;
  std::vector<double> acceptance;      // num_tokens conditional rates, each in [0, 1]
  uint64_t seed = 0;                   // the run seed
  std::string stream = "speculative";  // the engine's stream name (Rng(seed, stream))
};

class DecodeSet {
 public:
  DecodeSet(RequestTable* table, int64_t block_size_tokens,
            const SpeculativeDecoding& speculative = {});

  // Adds request `id` whose KV holds r.computed tokens and which still has
  // r.output_tokens - r.generated tokens to emit. REQUIRES: at least one left.
  void Add(RequestId id);
  // Removes a member (preemption). Sets r.computed to its current KV length.
  void Remove(RequestId id);

  int64_t Size() const { return size_; }
  bool Empty() const { return size_ == 0; }
  // Sum over members of their current KV lengths.
  int64_t SumComputed() const { return per_member_ ? sum_computed_ : sum_offset_ + size_ * step_; }
  // KV length of a member now.
  int64_t ComputedOf(RequestId id) const;
  // KV blocks the members need for the next step: one per member whose KV length is a multiple
  // of the block size; per member, those its verified rows reach beyond the blocks it holds.
  int64_t NewBlocksNextStep() const {
    return per_member_ ? need_sum_ : phase_count_[static_cast<size_t>(step_phase_)];
  }
  // Speculative decoding: members hold their blocks in r.blocks; after the caller allocated
  // NewBlocksNextStep() blocks, each member takes those it needs. A no-op otherwise.
  void GrantBlocks();
  // Speculative decoding (per-member mode).
  bool PerMember() const { return per_member_; }
  // Draft tokens the members verify in the next step (0 without speculative decoding).
  int64_t DraftTokensNextStep() const { return draft_sum_; }
  // Drafts verified and accepted in the last Advance.
  int64_t ProposedLastStep() const { return proposed_last_; }
  int64_t AcceptedLastStep() const { return accepted_last_; }
  // Every member as (admit_seq, id), in admission order.
  const std::set<std::pair<uint64_t, RequestId>>& Members() const { return by_admission_; }
  // The member admitted last (largest admit_seq), or kNoRequest.
  RequestId LastAdmitted() const;
  // True when some member emits its last token at the next Advance. Drops stale heap entries
  // (members that left the set) on the way, which Advance would skip anyway.
  bool FinishesNextStep();

  // One decode step: every member computes and emits one token (speculative: its accepted
  // drafts plus one). Members that emitted their last token are removed, their r.computed and
  // r.generated set, and appended to `finished` in admission order.
  void Advance(std::vector<RequestId>* finished);

 private:
  // Per-member mode: rows a member verifies next step (1 + its drafts), the blocks it lacks for
  // them, and adding or removing its share of the sums.
  int64_t Width(const Request& r) const;
  int64_t Need(const Request& r) const;
  void Track(const Request& r, int64_t sign);
  // Accepted drafts out of `drafts` verified, drawn from the engine's stream.
  int64_t DrawAccepted(int64_t drafts);
  void AdvanceMembers(std::vector<RequestId>* finished);

  struct FinishEntry {
    int64_t step;
    uint64_t admit_seq;
    RequestId id;
    uint32_t epoch;
    bool operator>(const FinishEntry& o) const {
      return step != o.step ? step > o.step : admit_seq > o.admit_seq;
    }
  };
  int64_t Phase(int64_t offset) const;
  void Detach(Request& r, RequestId id);

  RequestTable* table_;
  int64_t block_size_;
  int64_t step_ = 0;
  int64_t step_phase_ = 0;  // Phase(-step_): the phase whose members sit on a block boundary
  int64_t size_ = 0;
  int64_t sum_offset_ = 0;            // sum of (computed - step) over members
  std::vector<int64_t> phase_count_;  // members per (computed - step) mod block_size
  std::priority_queue<FinishEntry, std::vector<FinishEntry>, std::greater<FinishEntry>> finish_;
  // finish_'s top entry is known to be live (checked since the heap or the set last changed).
  bool top_valid_ = false;
  std::set<std::pair<uint64_t, RequestId>> by_admission_;
  // Per-member (speculative) mode.
  bool per_member_ = false;
  SpeculativeDecoding speculative_;
  Rng rng_;
  int64_t sum_computed_ = 0;  // sum of members' r.computed
  int64_t need_sum_ = 0;      // sum of Need()
  int64_t draft_sum_ = 0;     // sum of Width() - 1
  int64_t proposed_last_ = 0;
  int64_t accepted_last_ = 0;
};

}  // namespace servesim
