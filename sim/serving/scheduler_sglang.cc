// Scheduler, policy kSglang: SGLang's scheduling (v0.5.2, python/sglang/srt/managers/scheduler.py
// get_next_batch_to_run, schedule_policy.py PrefillAdder). A step is either a prefill batch or a
// decode batch, never both (SGLang's default, --enable-mixed-chunk off): a prefill batch runs
// whenever one can be formed ("run prefill first if possible"), so the chunks of a long prompt run
// back to back while the running requests wait. Admission is conservative: a request is admitted
// only if its prompt plus its (clipped) output fit in the free KV tokens left after reserving the
// running requests' future tokens, scaled by a new-token ratio that decays while nothing is
// retracted. When a decode step does not fit, requests are retracted (recomputed later), those
// with the fewest tokens emitted first. Details: docs/design.md, "SGLang".
#include <algorithm>
#include <tuple>

#include "sim/core/check.h"
#include "sim/serving/scheduler.h"

namespace servesim {

bool Scheduler::PlanSglang(SimTime now, BatchShape* batch, StepObserver* observer) {
  batch->Clear();
  planned_.clear();
  joined_.clear();
  planned_decodes_ = 0;
  planned_padding_ = 0;
  preempted_this_step_ = false;
  // An idle server resets its ratio (self_check_during_idle).
  if (decode_.Empty() && prefilling_.empty() && waiting_.empty()) {
    new_token_ratio_ = config_.sglang.new_token_ratio_init;
  }
  if (PlanSglangPrefill(now, batch)) {
    // Finished requests are not computed again in a prefill batch; their blocks free with it.
    SERVESIM_CHECK(lingering_in_step_.empty());
    lingering_in_step_.swap(lingering_);
    return true;
  }
  PlanSglangDecode(now, batch, observer);
  return !batch->Empty();
}

double Scheduler::SglangFreeTokens() const {
  const SglangPolicy& sg = config_.sglang;
  double reserved = 0;
  for (const auto& [seq, id] : decode_.Members()) {
    const Request& r = (*table_)[id];
    // Tokens still to emit: input + output - 1 - KV length (recomputed requests included).
    const int64_t left = r.input_tokens + r.output_tokens - 1 - decode_.ComputedOf(id);
    reserved += static_cast<double>(std::min(left, sg.clip_max_new_tokens));
  }
  return static_cast<double>(blocks_.Free() * config_.block_size) - reserved * new_token_ratio_;
}

// What is left of one prefill batch's budgets (PrefillAdder's rem_total_tokens,
// rem_input_tokens, rem_chunk_tokens).
struct Scheduler::SglangBudget {
  double total = 0;   // free KV tokens after the running requests' reserve
  int64_t input = 0;  // max_prefill_tokens
  int64_t chunk = 0;  // chunked_prefill_size
};

bool Scheduler::PlanSglangPrefill(SimTime now, BatchShape* batch) {
  if (waiting_.empty() && prefilling_.empty()) return false;
  SglangBudget left{SglangFreeTokens(), config_.sglang.max_prefill_tokens,
                    config_.max_num_batched_tokens};
  ContinueSglangChunks(&left, batch);  // the request being prefilled in chunks goes first
  AdmitSglangPrefills(now, &left, batch);
  return !batch->prefills.empty();
}

void Scheduler::ContinueSglangChunks(SglangBudget* left, BatchShape* batch) {
  for (RequestId id : prefilling_) {
    if (left->chunk <= 0) break;
    Request& r = (*table_)[id];
    const int64_t rest = r.prompt_target - r.computed;
    const int64_t chunk = std::min(rest, left->chunk);
    const int64_t need = blocks_.BlocksFor(r.computed + chunk) - r.blocks;
    if (need > blocks_.Free()) break;
    blocks_.Allocate(need);
    r.blocks += need;
    AddChunk(id, chunk, batch);
    left->chunk -= chunk;
    left->input -= chunk;
    left->total -= static_cast<double>(chunk);
    if (chunk == rest) {
      left->total -= static_cast<double>(
          std::min<int64_t>(r.output_tokens - r.generated, config_.sglang.clip_max_new_tokens));
    }
  }
}

void Scheduler::AdmitSglangPrefills(SimTime now, SglangBudget* left, BatchShape* batch) {
  // Waiting requests, first come first served, while they fit.
  while (left->chunk > 0 && !waiting_.empty() && SlotsInUse() < config_.max_num_seqs) {
    const RequestId id = waiting_.front();
    Request& r = (*table_)[id];
    if (r.computed == r.prompt_target) break;  // prefilled elsewhere: joins a decode batch
    const int64_t input = r.prompt_target;
    const int64_t future =
        std::min<int64_t>(r.output_tokens - r.generated, config_.sglang.clip_max_new_tokens);
    if (static_cast<double>(input + future) >= left->total) break;  // the batch is full
    if (input > left->input && !batch->prefills.empty()) break;
    const int64_t chunk = std::min(input, left->chunk);
    const int64_t need = blocks_.BlocksFor(chunk);
    if (need > blocks_.Free()) break;
    waiting_.pop_front();
    blocks_.Allocate(need);
    r.computed = 0;
    r.blocks = need;
    MarkAdmitted(r, now);
    prefilling_.push_back(id);
    AddChunk(id, chunk, batch);
    left->chunk -= chunk;
    left->input -= chunk;
    left->total -= static_cast<double>(chunk == input ? input + future : chunk);
    if (chunk < input) break;  // a chunked request ends the batch
  }
}

void Scheduler::PlanSglangDecode(SimTime now, BatchShape* batch, StepObserver* observer) {
  // The running members' next tokens first (retracting if they do not fit), then requests
  // prefilled elsewhere join with the blocks of their prompt and this step's token, as in Plan.
  if (!decode_.Empty()) {
    if (decode_.NewBlocksNextStep() > blocks_.Free()) {
      RetractSglang(now, observer);
    } else {
      new_token_ratio_ = std::max(config_.sglang.new_token_ratio_min,
                                  new_token_ratio_ - config_.sglang.new_token_ratio_decay);
    }
    blocks_.Allocate(decode_.NewBlocksNextStep());
  }
  AdmitPrefilled(now);
  planned_decodes_ = decode_.Size();
  batch->decode_seqs = planned_decodes_;
  batch->decode_context_tokens = decode_.SumComputed() + batch->decode_seqs;
  PlanLingering(batch);
}

void Scheduler::RetractSglang(SimTime now, StepObserver* observer) {
  // Keep order: most tokens emitted first, then the shortest prompt; retract from the back.
  std::vector<std::tuple<int64_t, int64_t, uint64_t, RequestId>> order;
  for (const auto& [seq, id] : decode_.Members()) {
    const Request& r = (*table_)[id];
    const int64_t emitted = decode_.ComputedOf(id) - r.input_tokens + 1;
    order.emplace_back(-emitted, r.input_tokens, seq, id);
  }
  std::sort(order.begin(), order.end());
  while (decode_.NewBlocksNextStep() > blocks_.Free()) {
    SERVESIM_CHECK(!order.empty());
    const RequestId id = std::get<3>(order.back());
    order.pop_back();
    Request& r = (*table_)[id];
    decode_.Remove(id);  // sets r.computed and r.generated
    r.blocks = blocks_.BlocksFor(r.computed);
    // Its last token came out at the last decode batch, or when it joined since then.
    const auto fresh = std::find(fresh_.begin(), fresh_.end(), id);
    if (fresh == fresh_.end()) {
      r.last_token = last_decode_commit_;
    } else {
      fresh_.erase(fresh);
    }
    ReleaseBlocks(id);
    r.computed = 0;
    r.prompt_target = r.input_tokens + r.generated;
    ++r.preemptions;
    waiting_.push_back(id);  // SGLang appends retracted requests to the waiting queue
    observer->OnPreempt(id, now);
  }
  // new_token_ratio = (tokens decoded + retract_decode_steps x batch) / max new tokens, at most 1.
  double decoded = 0, max_new = 0;
  for (const auto& [seq, id] : decode_.Members()) {
    const Request& r = (*table_)[id];
    decoded += static_cast<double>(decode_.ComputedOf(id) - r.input_tokens + 1);
    max_new += static_cast<double>(r.output_tokens);
  }
  const double bs = static_cast<double>(decode_.Size());
  new_token_ratio_ =
      max_new > 0
          ? std::min(
                1.0,
                (decoded + static_cast<double>(config_.sglang.retract_decode_steps) * bs) / max_new)
          : config_.sglang.new_token_ratio_init;
}

}  // namespace servesim
