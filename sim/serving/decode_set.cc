#include "sim/serving/decode_set.h"

#include "sim/core/check.h"

namespace servesim {

DecodeSet::DecodeSet(RequestTable* table, int64_t block_size_tokens)
    : table_(table), block_size_(block_size_tokens), phase_count_(block_size_tokens, 0) {
  SERVESIM_CHECK(block_size_ >= 1);
}

int64_t DecodeSet::Phase(int64_t offset) const {
  const int64_t m = offset % block_size_;
  return m < 0 ? m + block_size_ : m;
}

void DecodeSet::Add(RequestId id) {
  Request& r = (*table_)[id];
  SERVESIM_CHECK(!r.in_decode_set && r.generated < r.output_tokens);
  r.in_decode_set = true;
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
  Detach(r, id);  // its heap entry goes stale and is skipped later
}

int64_t DecodeSet::ComputedOf(RequestId id) const {
  const Request& r = (*table_)[id];
  SERVESIM_CHECK(r.in_decode_set);
  return r.decode_offset + step_;
}

RequestId DecodeSet::LastAdmitted() const {
  return by_admission_.empty() ? kNoRequest : by_admission_.rbegin()->second;
}

bool DecodeSet::FinishesNextStep() {
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
