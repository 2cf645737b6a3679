#include "sim/serving/scheduler.h"

#include <algorithm>

#include "sim/core/check.h"

namespace servesim {
namespace {

constexpr int64_t kUnlimitedBudget = int64_t{1} << 60;

}  // namespace

Scheduler::Scheduler(const SchedulerConfig& config, RequestTable* table)
    : config_(config),
      table_(table),
      blocks_(config.num_blocks, config.block_size, config.prefix_caching,
              config.host_offload_blocks),
      decode_(table, config.block_size, config.speculative) {
  SERVESIM_CHECK(config_.max_num_seqs >= 1);
  // SGLang's decode batches do not share a token budget with prefills.
  SERVESIM_CHECK(config_.max_num_batched_tokens >= config_.max_num_seqs ||
                 config_.policy == SchedulerPolicy::kSglang);
  const SchedulerPolicy p = config_.policy;
  if (p == SchedulerPolicy::kOrca || p == SchedulerPolicy::kStatic) {
    SERVESIM_CHECK(!config_.enable_chunked_prefill);  // whole prompts only
  }
  if (p == SchedulerPolicy::kSarathi || p == SchedulerPolicy::kSglang) {
    SERVESIM_CHECK(config_.enable_chunked_prefill);
  }
  SERVESIM_CHECK(!(p == SchedulerPolicy::kStatic && config_.prefill_only));
  SERVESIM_CHECK(!(p == SchedulerPolicy::kStatic && config_.overlap));
  if (config_.speculative.num_tokens > 0) {
    SERVESIM_CHECK(p == SchedulerPolicy::kVllm || p == SchedulerPolicy::kSarathi ||
                   p == SchedulerPolicy::kTrtllm);
    SERVESIM_CHECK(!config_.prefill_only);
    SERVESIM_CHECK(config_.max_num_batched_tokens >=
                   config_.max_num_seqs * (config_.speculative.num_tokens + 1));
  }
  const std::vector<int64_t>& sizes = config_.cuda_graphs.sizes;
  SERVESIM_CHECK(std::is_sorted(sizes.begin(), sizes.end()) && (sizes.empty() || sizes[0] >= 1));
  new_token_ratio_ = config_.sglang.new_token_ratio_init;
}

bool Scheduler::Reserves() const {
  return config_.policy == SchedulerPolicy::kTrtllm || config_.policy == SchedulerPolicy::kOrca ||
         config_.policy == SchedulerPolicy::kStatic;
}

bool Scheduler::CanEverFit(const Request& r) const {
  // The most KV a request ever holds: its whole sequence (reserving policies reserve exactly
  // that; vllm grows to at most that). A longer one would wait or preempt itself forever.
  // SGLang admits a request only while its sequence leaves a free token (PlanSglangPrefill).
  const int64_t tokens = r.input_tokens + r.output_tokens;
  if (config_.policy == SchedulerPolicy::kSglang) {
    return tokens < blocks_.NumBlocks() * config_.block_size;
  }
  return blocks_.BlocksFor(tokens) <= blocks_.NumBlocks();
}

void Scheduler::Enqueue(RequestId id) {
  Request& r = (*table_)[id];
  // The driver rejects such requests at arrival (they count as failed); one here is our bug.
  SERVESIM_CHECK(CanEverFit(r) && "a request longer than the engine's KV cache is never served");
  r.prompt_target = r.input_tokens;
  r.computed = 0;
  Arrive(id);
}

void Scheduler::Arrive(RequestId id) {
  ++enqueued_;
  if (!config_.overlap) {
    waiting_.push_back(id);
    return;
  }
  // While the engine works, the host loop planned the next step when it launched the one in
  // flight, before this arrival; an idle loop is waiting for requests and takes it at once.
  const bool busy = in_flight_ || NumRunning() > 0;
  incoming_.push_back({id, plans_ + (busy ? 2 : 1)});
}

void Scheduler::PromoteIncoming(bool all) {
  while (!incoming_.empty() && (all || incoming_.front().first_plan <= plans_)) {
    waiting_.push_back(incoming_.front().id);
    incoming_.pop_front();
  }
}

void Scheduler::PlanLingering(BatchShape* batch) {
  SERVESIM_CHECK(lingering_in_step_.empty());
  lingering_in_step_.swap(lingering_);
  for (RequestId id : lingering_in_step_) {
    batch->decode_seqs += 1;
    batch->decode_context_tokens += (*table_)[id].computed + 1;
  }
}

void Scheduler::ReleaseLingering() {
  for (RequestId id : lingering_in_step_) ReleaseBlocks(id);
  lingering_in_step_.clear();
}

void Scheduler::SetGraphLaunch(BatchShape* batch) const {
  const CudaGraphPolicy& g = config_.cuda_graphs;
  batch->launch = StepLaunch::kEager;
  batch->padding_tokens = 0;
  if (g.sizes.empty() || (!batch->prefills.empty() && !g.mixed_batches)) return;
  const int64_t n = g.mixed_batches ? batch->TotalTokens() : batch->decode_seqs;
  const auto it = std::lower_bound(g.sizes.begin(), g.sizes.end(), n);
  if (it == g.sizes.end() || (*it != n && !g.padding)) return;
  batch->launch = StepLaunch::kGraph;
  batch->padding_tokens = *it - n;
}

void Scheduler::EnqueuePrefilled(RequestId id) {
  SERVESIM_CHECK(!config_.prefill_only && config_.policy != SchedulerPolicy::kStatic);
  Request& r = (*table_)[id];
  SERVESIM_CHECK(r.generated == 1 && r.generated < r.output_tokens && r.first_token >= 0);
  SERVESIM_CHECK(CanEverFit(r) && "a request longer than the engine's KV cache is never served");
  // A waiting request whose KV is complete (computed == prompt_target) is a prefilled one.
  r.prompt_target = r.input_tokens;
  r.computed = r.input_tokens;
  Arrive(id);
}

bool Scheduler::Plan(SimTime now, BatchShape* batch, StepObserver* observer) {
  ++plans_;
  PromoteIncoming(false);
  const bool sglang = config_.policy == SchedulerPolicy::kSglang;
  bool planned = sglang ? PlanSglang(now, batch, observer) : PlanGeneral(now, batch, observer);
  if (!planned && !incoming_.empty()) {
    // Nothing else to run: the host loop is waiting for these arrivals and takes them now.
    PromoteIncoming(true);
    planned = sglang ? PlanSglang(now, batch, observer) : PlanGeneral(now, batch, observer);
  }
  if (planned) {
    SetLaunch(batch);
    in_flight_ = true;
  }
  return planned;
}

bool Scheduler::PlanGeneral(SimTime now, BatchShape* batch, StepObserver* observer) {
  batch->Clear();
  planned_.clear();
  joined_.clear();
  planned_decodes_ = 0;
  preempted_this_step_ = false;
  PlanDecodes(now, observer);
  if (!preempted_this_step_) AdmitPrefilled(now);
  planned_decodes_ = decode_.Size();
  planned_padding_ = static_cast<int64_t>(padding_.size());
  batch->decode_seqs = planned_decodes_ + planned_padding_;
  batch->decode_draft_tokens = decode_.DraftTokensNextStep();
  // Each decode sequence attends to its cached tokens plus the ones computed now (one, or one
  // plus its drafts); so does each padding member of a static batch.
  batch->decode_context_tokens =
      decode_.SumComputed() + padding_context_ + batch->decode_seqs + batch->decode_draft_tokens;
  PlanLingering(batch);
  int64_t budget = config_.max_num_batched_tokens - batch->DecodeTokens();
  SERVESIM_CHECK(budget >= 0);
  PlanRunningPrefills(now, &budget, batch, observer);
  // As in vLLM V1, a step that had to preempt admits nobody new. A static batch admits nobody
  // until it has finished; it then runs all its prompts in its first step, whatever their sum
  // (FasterTransformer's context phase has no token budget; seats and KV bound the batch).
  if (config_.policy == SchedulerPolicy::kStatic) {
    if (BatchRunning()) return !batch->Empty();
    budget = kUnlimitedBudget;
  }
  if (!preempted_this_step_) PlanWaiting(now, &budget, batch);
  return !batch->Empty();
}

void Scheduler::PlanDecodes(SimTime now, StepObserver* observer) {
  if (Reserves()) return;  // blocks reserved at admission
  // Every member whose KV length sits on a block boundary needs one new block. Preempt from the
  // back of the running list (latest admission first) until the rest fit.
  while (decode_.NewBlocksNextStep() > blocks_.Free()) {
    SERVESIM_CHECK(PreemptLast(now, observer));
  }
  blocks_.Allocate(decode_.NewBlocksNextStep());
  decode_.GrantBlocks();
}

void Scheduler::PlanRunningPrefills(SimTime now, int64_t* budget, BatchShape* batch,
                                    StepObserver* observer) {
  for (size_t i = 0; i < prefilling_.size() && *budget > 0; ++i) {
    const RequestId id = prefilling_[i];
    Request& r = (*table_)[id];
    const int64_t chunk = std::min(r.prompt_target - r.computed, *budget);
    if (!Reserves()) {
      const int64_t need = blocks_.BlocksFor(r.computed + chunk) - r.blocks;
      bool preempted_self = false;
      while (need > blocks_.Free()) {
        // Only prefilling requests can come after this one in the running list.
        const RequestId victim = prefilling_.back();
        Preempt(victim, now, observer);
        if (victim == id) {
          preempted_self = true;
          break;
        }
      }
      if (preempted_self) break;
      blocks_.Allocate(need);
      r.blocks += need;
    }
    AddChunk(id, chunk, batch);
    *budget -= chunk;
  }
}

void Scheduler::AdmitPrefilled(SimTime now) {
  while (!waiting_.empty() && SlotsInUse() < config_.max_num_seqs) {
    const RequestId id = waiting_.front();
    Request& r = (*table_)[id];
    if (r.computed < r.prompt_target) return;  // not prefilled: PlanWaiting's turn
    // vllm: the prompt's blocks plus the block this step's decode token writes into.
    const int64_t need =
        blocks_.BlocksFor(Reserves() ? r.input_tokens + r.output_tokens : r.computed + 1);
    if (need > blocks_.Free()) return;  // FCFS: later requests wait behind this one
    waiting_.pop_front();
    blocks_.Allocate(need);
    // vllm: the decode set tracks them (speculative: each member holds its own).
    r.blocks = Reserves() || decode_.PerMember() ? need : 0;
    MarkAdmitted(r, now);
    decode_.Add(id);
    joined_.push_back(id);
  }
}

void Scheduler::MarkAdmitted(Request& r, SimTime now) {
  r.admit_seq = next_admit_seq_++;
  if (r.scheduled < 0) r.scheduled = now;
}

void Scheduler::PlanWaiting(SimTime now, int64_t* budget, BatchShape* batch) {
  while (*budget > 0 && !waiting_.empty() && SlotsInUse() < config_.max_num_seqs) {
    if (!TryAdmit(now, budget, batch)) break;  // FCFS: later requests wait behind this one
  }
}

void Scheduler::AddChunk(RequestId id, int64_t tokens, BatchShape* batch) {
  const Request& r = (*table_)[id];
  SERVESIM_CHECK(tokens >= 1);
  batch->prefills.push_back(
      PrefillChunk{tokens, r.computed, r.computed + tokens == r.prompt_target});
  planned_.push_back(PlannedChunk{id, tokens});
}

bool Scheduler::PreemptLast(SimTime now, StepObserver* observer) {
  RequestId victim = kNoRequest;
  if (!prefilling_.empty()) {
    victim = prefilling_.back();
  } else {
    victim = decode_.LastAdmitted();
  }
  if (victim == kNoRequest) return false;
  Preempt(victim, now, observer);
  return true;
}

void Scheduler::Preempt(RequestId id, SimTime now, StepObserver* observer) {
  SERVESIM_CHECK(!Reserves());
  Request& r = (*table_)[id];
  if (r.in_decode_set) {
    decode_.Remove(id);  // sets r.computed and r.generated
    if (!decode_.PerMember()) r.blocks = blocks_.BlocksFor(r.computed);
    r.last_token = last_commit_;  // decode members emitted at the end of the last step
  } else {
    auto it = std::find(prefilling_.rbegin(), prefilling_.rend(), id);
    SERVESIM_CHECK(it != prefilling_.rend());
    prefilling_.erase(std::next(it).base());
  }
  ReleaseBlocks(id);
  r.computed = 0;
  // Recompute: the prompt and the tokens generated so far are prefilled again.
  r.prompt_target = r.input_tokens + r.generated;
  ++r.preemptions;
  preempted_this_step_ = true;
  waiting_.push_front(id);
  observer->OnPreempt(id, now);
}

void Scheduler::CheckInvariants(SimTime now) const {
  SERVESIM_CHECK(now >= last_commit_);
  SERVESIM_CHECK(enqueued_ == finished_ + NumWaiting() + NumRunning());
  SERVESIM_CHECK(blocks_.Used() >= 0 && blocks_.Used() <= blocks_.NumBlocks());
  SERVESIM_CHECK(blocks_.HostBlocks() <= blocks_.HostCapacity());
}

void Scheduler::Commit(SimTime now, StepObserver* observer) {
  CheckInvariants(now);
  const SimTime gap = now - GapBase();
  last_commit_ = now;
  in_flight_ = false;
  ReleaseLingering();
  padding_context_ += planned_padding_;  // each padding member computed one more token
  if (planned_decodes_ > 0) {
    // Prefilled requests that joined this step emitted their previous token elsewhere; under
    // sglang, so did the members that joined in prefill batches since the last decode batch.
    const int64_t individual = static_cast<int64_t>(joined_.size() + fresh_.size());
    if (planned_decodes_ > individual) observer->OnTokenGaps(gap, planned_decodes_ - individual);
    for (RequestId id : joined_) observer->OnTokenGaps(now - (*table_)[id].last_token, 1);
    for (RequestId id : fresh_) observer->OnTokenGaps(now - (*table_)[id].last_token, 1);
    fresh_.clear();
    last_decode_commit_ = now;
    finished_scratch_.clear();
    decode_.Advance(&finished_scratch_);
    if (decode_.PerMember()) ReportDrafts(observer);
    for (RequestId id : finished_scratch_) {
      Request& r = (*table_)[id];
      if (!Reserves() && !decode_.PerMember()) r.blocks = blocks_.BlocksFor(r.computed);
      Finish(id, now, observer);
    }
  }
  for (const PlannedChunk& c : planned_) {
    Request& r = (*table_)[c.id];
    r.computed += c.tokens;
    SERVESIM_CHECK(r.computed <= r.prompt_target);
    PublishFull(c.id);
    if (r.computed == r.prompt_target) FinishPrefill(c.id, now, observer);
  }
  planned_.clear();
  joined_.clear();
  planned_decodes_ = 0;
  planned_padding_ = 0;
  if (!padding_.empty() && !BatchRunning()) EndBatch();
}

void Scheduler::ReportDrafts(StepObserver* observer) {
  observer->OnDrafts(planned_decodes_, decode_.ProposedLastStep(), decode_.AcceptedLastStep());
}

bool Scheduler::InFlightIsPlainDecode() {
  if (decode_.PerMember()) return false;  // members advance unevenly: always a general commit
  return planned_.empty() && joined_.empty() && fresh_.empty() && planned_decodes_ > 0 &&
         (!config_.overlap || lingering_in_step_.empty()) && !decode_.FinishesNextStep();
}

void Scheduler::CommitPlainDecode(SimTime now, StepObserver* observer) {
  // Nobody joins, leaves or waits here, so conservation holds as at the last general commit;
  // blocks were checked at allocation and the gap is checked >= 0 by the metrics.
  SERVESIM_CHECK(planned_.empty() && joined_.empty() && planned_decodes_ > 0);
  SERVESIM_CHECK(!config_.overlap || lingering_in_step_.empty());
  const SimTime gap = now - GapBase();
  last_commit_ = now;
  last_decode_commit_ = now;
  in_flight_ = false;
  padding_context_ += planned_padding_;
  observer->OnTokenGaps(gap, planned_decodes_);
  finished_scratch_.clear();
  decode_.Advance(&finished_scratch_);
  SERVESIM_CHECK(finished_scratch_.empty());
  planned_decodes_ = 0;
  planned_padding_ = 0;
}

bool Scheduler::PlanPlainDecode(BatchShape* batch) {
  // With nothing waiting or prefilling, Plan only allocates the decode blocks (preempting when
  // they do not fit: then it is not plain) and prices the decode set and the padding.
  if (!waiting_.empty() || !prefilling_.empty() || decode_.Empty()) return false;
  if (config_.overlap && (!incoming_.empty() || !lingering_.empty())) return false;
  if (config_.policy == SchedulerPolicy::kSglang) return false;  // its own decode rules
  if (decode_.PerMember()) return false;
  if (!Reserves()) {
    const int64_t need = decode_.NewBlocksNextStep();
    if (need > blocks_.Free()) return false;
    blocks_.Allocate(need);
  }
  batch->Clear();
  preempted_this_step_ = false;
  planned_decodes_ = decode_.Size();
  planned_padding_ = static_cast<int64_t>(padding_.size());
  batch->decode_seqs = planned_decodes_ + planned_padding_;
  batch->decode_context_tokens = decode_.SumComputed() + padding_context_ + batch->decode_seqs;
  SERVESIM_CHECK(config_.max_num_batched_tokens >= batch->decode_seqs);
  ++plans_;
  SetLaunch(batch);
  in_flight_ = true;
  return true;
}

void Scheduler::FinishPrefill(RequestId id, SimTime now, StepObserver* observer) {
  Request& r = (*table_)[id];
  // Prefilling requests complete in admission order, so the finished one is at the front.
  SERVESIM_CHECK(!prefilling_.empty() && prefilling_.front() == id);
  prefilling_.pop_front();
  ++r.generated;  // the step that completes the prompt samples a token
  if (r.generated == 1) {
    r.first_token = now;
    observer->OnFirstToken(id, now);
  } else {
    observer->OnTokenGaps(now - r.last_token, 1);  // first token after a recompute
  }
  r.last_token = now;
  if (r.generated == r.output_tokens || config_.prefill_only) {
    Finish(id, now, observer);
    return;
  }
  if (!Reserves() && !decode_.PerMember()) r.blocks = 0;  // the decode set tracks them now
  decode_.Add(id);
  // A prefill batch of sglang: the request waits in the decode set, its first token out now.
  if (config_.policy == SchedulerPolicy::kSglang) fresh_.push_back(id);
}

void Scheduler::Finish(RequestId id, SimTime now, StepObserver* observer) {
  Request& r = (*table_)[id];
  SERVESIM_CHECK(r.generated == r.output_tokens || (config_.prefill_only && r.generated == 1));
  if (config_.policy == SchedulerPolicy::kStatic) {
    padding_.push_back(id);  // keeps its slot and blocks until the batch ends
    padding_context_ += r.computed;
  } else if (config_.overlap && !config_.prefill_only) {
    // The step planned before this one finished computes it again. (A prefill-only instance
    // hands the request over at once: its blocks are freed now, as the decode side takes it.)
    lingering_.push_back(id);
  } else {
    ReleaseBlocks(id);
  }
  r.finish = now;
  r.last_token = now;
  ++finished_;
  observer->OnFinish(id, now);
}

void Scheduler::EndBatch() {
  for (RequestId id : padding_) ReleaseBlocks(id);
  padding_.clear();
  padding_context_ = 0;
}

}  // namespace servesim
