// DecodeSet: the running requests that are past prefill. Every step each member computes one
// token and emits one, so the set advances all members at once in O(1): it keeps only a step
// counter, the member count, the sum of KV lengths, a count of members per block phase (how many
// need a new KV block at the next step) and a heap of finish steps. Per-request work happens only
// when a request joins, leaves or finishes, never per step.
#pragma once

#include <cstdint>
#include <queue>
#include <set>
#include <utility>
#include <vector>

#include "sim/serving/request.h"

namespace servesim {

class DecodeSet {
 public:
  DecodeSet(RequestTable* table, int64_t block_size_tokens);

  // Adds request `id` whose KV holds r.computed tokens and which still has
  // r.output_tokens - r.generated tokens to emit. REQUIRES: at least one left.
  void Add(RequestId id);
  // Removes a member (preemption). Sets r.computed to its current KV length.
  void Remove(RequestId id);

  int64_t Size() const { return size_; }
  bool Empty() const { return size_ == 0; }
  // Sum over members of their current KV lengths.
  int64_t SumComputed() const { return sum_offset_ + size_ * step_; }
  // KV length of a member now.
  int64_t ComputedOf(RequestId id) const;
  // Members whose KV length is a multiple of the block size: each needs a new block next step.
  int64_t NewBlocksNextStep() const { return phase_count_[static_cast<size_t>(step_phase_)]; }
  // Every member as (admit_seq, id), in admission order.
  const std::set<std::pair<uint64_t, RequestId>>& Members() const { return by_admission_; }
  // The member admitted last (largest admit_seq), or kNoRequest.
  RequestId LastAdmitted() const;
  // True when some member emits its last token at the next Advance. Drops stale heap entries
  // (members that left the set) on the way, which Advance would skip anyway.
  bool FinishesNextStep();

  // One decode step: every member computes and emits one token. Members that emitted their last
  // token are removed, their r.computed and r.generated set, and appended to `finished` in
  // admission order.
  void Advance(std::vector<RequestId>* finished);

 private:
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
};

}  // namespace servesim
