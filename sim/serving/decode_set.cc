#include "sim/serving/decode_set.h"

#include <algorithm>

#include "sim/core/check.h"

namespace servesim {

DecodeSet::DecodeSet(RequestTable* table, int64_t block_size_tokens,
                     const SpeculativeDecoding& speculative)
    : table_(table),
      block_size_(block_size_tokens),
      phase_count_(block_size_tokens, 0),
      per_member_(speculative.num_tokens > 0),
      speculative_(speculative),
      rng_(speculative.seed, speculative.stream) {
  SERVESIM_CHECK(block_size_ >= 1);
  SERVESIM_CHECK(static_cast<int64_t>(speculative_.acceptance.size()) == speculative_.num_tokens);
  for (double a : speculative_.acceptance) SERVESIM_CHECK(a >= 0 && a <= 1);
}

int64_t DecodeSet::Width(const Request& r) const {
  const int64_t left = r.output_tokens - r.generated;
  return 1 + std::min(speculative_.num_tokens, left - 1);
}

int64_t DecodeSet::Need(const Request& r) const {
  const int64_t blocks = (r.computed + Width(r) + block_size_ - 1) / block_size_;
  return std::max<int64_t>(0, blocks - r.blocks);
}

void DecodeSet::Track(const Request& r, int64_t sign) {
  sum_computed_ += sign * r.computed;
  need_sum_ += sign * Need(r);
  draft_sum_ += sign * (Width(r) - 1);
}

void DecodeSet::GrantBlocks() {
  if (!per_member_ || need_sum_ == 0) return;
  for (const auto& [seq, id] : by_admission_) {
    Request& r = (*table_)[id];
    r.blocks += static_cast<int32_t>(Need(r));
  }
  need_sum_ = 0;
}

int64_t DecodeSet::DrawAccepted(int64_t drafts) {
  int64_t accepted = 0;
  while (accepted < drafts && rng_.Uniform01() < speculative_.acceptance[accepted]) ++accepted;
  return accepted;
}

void DecodeSet::AdvanceMembers(std::vector<RequestId>* finished) {
  proposed_last_ = 0;
  accepted_last_ = 0;
  // Admission order: draws and `finished` are in a fixed order.
  for (auto it = by_admission_.begin(); it != by_admission_.end();) {
    const RequestId id = it->second;
    Request& r = (*table_)[id];
    const int64_t drafts = Width(r) - 1;
    Track(r, -1);
    const int64_t accepted = DrawAccepted(drafts);
    proposed_last_ += drafts;
    accepted_last_ += accepted;
    r.computed += accepted + 1;
    r.generated += static_cast<int32_t>(accepted + 1);
    SERVESIM_CHECK(r.generated <= r.output_tokens);
    if (r.generated < r.output_tokens) {
      Track(r, +1);
      ++it;
      continue;
    }
    r.in_decode_set = false;
    ++r.decode_epoch;
    --size_;
    it = by_admission_.erase(it);
    finished->push_back(id);
  }
}

int64_t DecodeSet::Phase(int64_t offset) const {
  const int64_t m = offset % block_size_;
  return m < 0 ? m + block_size_ : m;
}

void DecodeSet::Add(RequestId id) {
  Request& r = (*table_)[id];
  SERVESIM_CHECK(!r.in_decode_set && r.generated < r.output_tokens);
  r.in_decode_set = true;
  if (per_member_) {
    ++size_;
    Track(r, +1);
    by_admission_.emplace(r.admit_seq, id);
    return;
  }
  r.decode_offset = r.computed - step_;
  r.decode_finish_step = step_ + (r.output_tokens - r.generated);
  ++size_;
  sum_offset_ += r.decode_offset;
  ++phase_count_[Phase(r.decode_offset)];
  finish_.push(FinishEntry{r.decode_finish_step, r.admit_seq, id, r.decode_epoch});
  top_valid_ = false;
  by_admission_.emplace(r.admit_seq, id);
}

void DecodeSet::Detach(Request& r, RequestId id) {
  r.computed = r.decode_offset + step_;
  r.generated = r.output_tokens - (r.decode_finish_step - step_);
  r.in_decode_set = false;
  ++r.decode_epoch;
  top_valid_ = false;  // its heap entry, maybe the top, goes stale
  --size_;
  sum_offset_ -= r.decode_offset;
  --phase_count_[Phase(r.decode_offset)];
  by_admission_.erase({r.admit_seq, id});
}

void DecodeSet::Remove(RequestId id) {
  Request& r = (*table_)[id];
  SERVESIM_CHECK(r.in_decode_set);
  if (per_member_) {
    Track(r, -1);
    r.in_decode_set = false;
    ++r.decode_epoch;
    --size_;
    by_admission_.erase({r.admit_seq, id});
    return;
  }
  Detach(r, id);  // its heap entry goes stale and is skipped later
}

int64_t DecodeSet::ComputedOf(RequestId id) const {
  const Request& r = (*table_)[id];
  SERVESIM_CHECK(r.in_decode_set);
  return per_member_ ? r.computed : r.decode_offset + step_;
}

RequestId DecodeSet::LastAdmitted() const {
  return by_admission_.empty() ? kNoRequest : by_admission_.rbegin()->second;
}

bool DecodeSet::FinishesNextStep() {
  SERVESIM_CHECK(!per_member_);  // the fast-forward's question; per-member steps never skip
  // Checked once per top entry, not per step: runs of plain decode steps touch no request.
  if (top_valid_) return finish_.top().step <= step_ + 1;
  while (!finish_.empty()) {
    const FinishEntry& e = finish_.top();
    const Request& r = (*table_)[e.id];
    if (r.in_decode_set && r.decode_epoch == e.epoch) {
      top_valid_ = true;
      return e.step <= step_ + 1;
    }
    finish_.pop();
  }
  return false;
}

void DecodeSet::Advance(std::vector<RequestId>* finished) {
  if (size_ == 0) return;
  ++step_;
  if (per_member_) {
    AdvanceMembers(finished);
    return;
  }
  // A member needs a block when its KV length (offset + step) is a multiple of the block size,
  // i.e. when its phase is Phase(-step).
  step_phase_ = step_phase_ == 0 ? block_size_ - 1 : step_phase_ - 1;
  while (!finish_.empty() && finish_.top().step <= step_) {
    const FinishEntry e = finish_.top();
    finish_.pop();
    top_valid_ = false;
    Request& r = (*table_)[e.id];
    if (!r.in_decode_set || r.decode_epoch != e.epoch) continue;  // left the set earlier
    SERVESIM_CHECK(e.step == step_);
    Detach(r, e.id);
    finished->push_back(e.id);
  }
  // Entries pop in (step, admit_seq) order, so `finished` is in admission order.
}

}  // namespace servesim
