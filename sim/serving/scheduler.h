// Scheduler: the batching policy of one engine. Each step: every running decode sequence gets
// one token, then running partial prefills and then waiting requests (FCFS) fill the remaining
// token budget with prefill chunks.
//   vllm:    KV blocks allocated as tokens are computed; when none are free, the most recently
//            admitted request is preempted by recompute (vLLM V1 semantics).
//   sarathi: vllm's rules with the token budget set to the fixed chunk size (Sarathi-Serve).
//   trtllm:  KV blocks for the whole sequence (input + output) reserved at admission; never
//            preempts (TensorRT-LLM GUARANTEED_NO_EVICT).
//   orca:    trtllm's reservation, whole prompts only (no chunking), as in the Orca paper.
//   static:  request-level batches (FasterTransformer): nobody joins a running batch; finished
//            members stay in it as padding until its last member finishes.
// Optional prefix caching shares full prompt blocks between requests (BlockPool). See
// docs/design.md for the exact rules. The scheduler owns the engine's KV block pool.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "models/batch.h"
#include "sim/core/time.h"
#include "sim/serving/decode_set.h"
#include "sim/serving/kv_cache.h"
#include "sim/serving/request.h"

namespace servesim {

enum class SchedulerPolicy { kVllm, kTrtllm, kOrca, kSarathi, kStatic, kSglang };

// Which steps replay a captured CUDA graph (BatchShape::launch, padding_tokens).
struct CudaGraphPolicy {
  bool modelled = false;       // false: launches are not modelled (StepLaunch::kDefault)
  std::vector<int64_t> sizes;  // captured sizes, ascending; empty: every step runs eagerly
  bool padding = true;         // pad up to the next captured size; false: exact sizes only
  // true (vLLM's piecewise graphs): steps with prefill chunks replay graphs too, sized by their
  // tokens. false (TensorRT-LLM, SGLang): only decode-only steps do, sized by their sequences.
  bool mixed_batches = false;
};

// SGLang's admission and retraction (policy kSglang; python/sglang/srt/managers/
// schedule_policy.py PrefillAdder, scheduler.py): prefill batches and decode batches alternate,
// a prefill batch runs whenever a waiting request can be admitted.
struct SglangPolicy {
  int64_t max_prefill_tokens = 16384;  // new prompt tokens of one prefill batch
  // Future decode tokens reserved per running request: min(left to emit, clip) x ratio.
  int64_t clip_max_new_tokens = 4096;
  double new_token_ratio_init = 0.7;
  double new_token_ratio_min = 0.098;       // init x 0.14
  double new_token_ratio_decay = 0.001003;  // (init - min) / 600 per decode step
  int64_t retract_decode_steps = 20;
};

struct SchedulerConfig {
  SchedulerPolicy policy = SchedulerPolicy::kVllm;
  int64_t max_num_seqs = 256;
  int64_t max_num_batched_tokens = 8192;  // REQUIRES: >= max_num_seqs
  bool enable_chunked_prefill = true;
  int64_t block_size = 16;
  int64_t num_blocks = 0;
  bool prefix_caching = false;  // vLLM automatic prefix caching
  // KV offload: blocks of the host tier (0: none). REQUIRES prefix_caching when > 0.
  int64_t host_offload_blocks = 0;
  // Prefill instance of a disaggregated deployment: a request finishes (OnFinish) as soon as its
  // prompt is computed and its first token emitted, freeing its blocks; the caller tells this
  // apart from a real completion by r.generated < r.output_tokens.
  bool prefill_only = false;
  CudaGraphPolicy cuda_graphs;
  // The host loop runs one step ahead of the GPU (TensorRT-LLM's overlap scheduler, SGLang's
  // overlap schedule, vLLM's async scheduling): a request arriving while a step runs is first
  // seen when the step after the next one is planned (the next one was planned before it
  // arrived), and a finished request is computed once more (its output discarded) before its
  // slot and KV blocks are freed. REQUIRES: policy is not kStatic.
  bool overlap = false;
  SglangPolicy sglang;
  // Speculative decoding (off by default). REQUIRES when on: policy vllm, sarathi or trtllm; not
  // prefill_only; max_num_batched_tokens >= max_num_seqs x (num_tokens + 1).
  SpeculativeDecoding speculative;
};

// What the scheduler reports as a step completes; implemented by metrics.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  virtual void OnFirstToken(RequestId id, SimTime now) = 0;
  // `count` inter-token gaps of length `gap` each.
  virtual void OnTokenGaps(SimTime gap, int64_t count) = 0;
  virtual void OnFinish(RequestId id, SimTime now) = 0;
  virtual void OnPreempt(RequestId id, SimTime now) = 0;
  // Speculative decoding: a step's `sequences` decode sequences verified `proposed` draft tokens
  // and accepted `accepted` of them. Each accepted draft is an extra token, streamed in the same
  // chunk as the token sampled after it: OnTokenGaps counted one gap per sequence (the chunk's),
  // the accepted drafts come on top of those.
  virtual void OnDrafts(int64_t /*sequences*/, int64_t /*proposed*/, int64_t /*accepted*/) {}
};

class Scheduler {
 public:
  Scheduler(const SchedulerConfig& config, RequestTable* table);

  // A request arrives (FCFS at the back of the waiting queue).
  void Enqueue(RequestId id);
  // Decode instance of a disaggregated deployment: request `id` arrives with its prompt's KV
  // computed elsewhere and its first token emitted (the caller has set r.generated = 1 and
  // r.first_token and r.last_token). It waits FCFS like any request; its admission allocates the
  // prompt's blocks plus the one its first decode step writes into (vllm; the whole sequence
  // under trtllm), and it joins the decode set directly, decoding in the step that admits it.
  // REQUIRES: r.generated == 1 < r.output_tokens.
  void EnqueuePrefilled(RequestId id);

  // Forms the next step at `now`. Returns false (and an empty batch) when there is nothing to
  // run. Preemptions decided here are reported to `observer`.
  bool Plan(SimTime now, BatchShape* batch, StepObserver* observer);

  // Applies the planned step, which ended at `now`. Decode sequences emitted their previous token
  // at the previous commit, so their inter-token gap is the time since then.
  void Commit(SimTime now, StepObserver* observer);

  // Fast-forward (Replica): a "plain decode" step only advances the decode set (and a static
  // batch's padding): no prefill chunk, nobody joins, nobody finishes, nothing waits, nobody is
  // preempted. For such steps these do exactly what Plan and Commit would, in O(1).
  // True when the planned (in-flight) step is plain decode: CommitPlainDecode may replace Commit.
  bool InFlightIsPlainDecode();
  void CommitPlainDecode(SimTime now, StepObserver* observer);
  // Plans the next step when it is plain decode and returns true; otherwise changes nothing and
  // returns false (the caller then calls Plan).
  bool PlanPlainDecode(BatchShape* batch);

  // Whether `r` fits this engine's KV cache alone (its whole sequence); one that does not could
  // never be admitted or would preempt itself forever. Enqueue requires it.
  bool CanEverFit(const Request& r) const;

  bool Idle() const {
    return waiting_.empty() && incoming_.empty() && prefilling_.empty() && decode_.Empty() &&
           lingering_.empty() && lingering_in_step_.empty();
  }
  int64_t NumRunning() const { return decode_.Size() + static_cast<int64_t>(prefilling_.size()); }
  int64_t NumWaiting() const { return static_cast<int64_t>(waiting_.size() + incoming_.size()); }
  const BlockPool& Blocks() const { return blocks_; }
  const SchedulerConfig& config() const { return config_; }

 private:
  struct PlannedChunk {
    RequestId id;
    int64_t tokens;
  };
  // Queues a request for admission (after the host loop's lag when config_.overlap).
  void Arrive(RequestId id);
  // Overlap: moves the arrivals the host loop sees at this plan into the waiting queue; with
  // `all`, every arrival (the engine has nothing else to run, so its loop is waiting for them).
  void PromoteIncoming(bool all);
  // Overlap: finished requests computed once more in this step (their blocks held until then).
  void PlanLingering(BatchShape* batch);
  void ReleaseLingering();
  // Sequences holding a slot (max_num_seqs): running ones and lingering finished ones.
  int64_t SlotsInUse() const {
    return NumRunning() + static_cast<int64_t>(lingering_.size() + lingering_in_step_.size());
  }
  // Sets batch->launch and padding_tokens from config_.cuda_graphs.
  void SetLaunch(BatchShape* batch) const {
    if (config_.cuda_graphs.modelled) SetGraphLaunch(batch);
  }
  void SetGraphLaunch(BatchShape* batch) const;
  bool PlanGeneral(SimTime now, BatchShape* batch, StepObserver* observer);
  // SGLang (scheduler_sglang.cc): a prefill batch if one can be formed, else a decode batch.
  bool PlanSglang(SimTime now, BatchShape* batch, StepObserver* observer);
  struct SglangBudget;
  bool PlanSglangPrefill(SimTime now, BatchShape* batch);
  void ContinueSglangChunks(SglangBudget* left, BatchShape* batch);
  void AdmitSglangPrefills(SimTime now, SglangBudget* left, BatchShape* batch);
  void PlanSglangDecode(SimTime now, BatchShape* batch, StepObserver* observer);
  // Free KV tokens minus the future decode tokens reserved for running requests.
  double SglangFreeTokens() const;
  // Retracts running decode requests, fewest tokens emitted first, until the next decode step
  // fits; resets the new-token ratio from what is left.
  void RetractSglang(SimTime now, StepObserver* observer);
  void PlanDecodes(SimTime now, StepObserver* observer);
  // Speculative decoding: the drafts verified and accepted in the step just committed.
  void ReportDrafts(StepObserver* observer);
  void PlanRunningPrefills(SimTime now, int64_t* budget, BatchShape* batch, StepObserver* observer);
  void PlanWaiting(SimTime now, int64_t* budget, BatchShape* batch);
  // Admits prefilled requests (EnqueuePrefilled) at the head of the queue into the decode set.
  void AdmitPrefilled(SimTime now);
  void MarkAdmitted(Request& r, SimTime now);
  // Admits the waiting request at the front with its first chunk; false if it cannot start now.
  bool TryAdmit(SimTime now, int64_t* budget, BatchShape* batch);
  // trtllm, orca, static: KV for the whole sequence is reserved at admission.
  bool Reserves() const;
  bool BatchRunning() const { return !decode_.Empty() || !prefilling_.empty(); }
  // Static batching: the batch's last member finished; its members' blocks are freed.
  void EndBatch();
  // Prefix caching (scheduler_kv.cc): the content key of block `index` of request `id`.
  BlockKey KeyOf(RequestId id, int64_t index) const;
  // Leading blocks of the request's prompt found in the GPU cache (at most all but the last
  // token); `evictable` counts those that nobody holds now, `host` the blocks right after them
  // found in the host tier (loaded, not computed).
  int64_t MatchPrefix(RequestId id, int64_t* evictable, int64_t* host) const;
  // Turns the request's full blocks (of r.computed tokens) into cached blocks.
  void PublishFull(RequestId id);
  // Frees every block the request holds (cached ones stay in the cache, last block first).
  void ReleaseBlocks(RequestId id);
  void AddChunk(RequestId id, int64_t tokens, BatchShape* batch);
  // Preempts the most recently admitted running request; false if none is running.
  bool PreemptLast(SimTime now, StepObserver* observer);
  void Preempt(RequestId id, SimTime now, StepObserver* observer);
  void FinishPrefill(RequestId id, SimTime now, StepObserver* observer);
  void Finish(RequestId id, SimTime now, StepObserver* observer);
  // The cheap invariants of a commit at `now`: requests conserved, KV within capacity, time
  // monotone.
  void CheckInvariants(SimTime now) const;

  SchedulerConfig config_;
  RequestTable* table_;
  BlockPool blocks_;
  DecodeSet decode_;
  std::deque<RequestId> waiting_;
  std::deque<RequestId> prefilling_;  // admitted, prompt not yet fully computed; admission order
  std::vector<PlannedChunk> planned_;
  std::vector<RequestId> finished_scratch_;
  std::vector<RequestId> joined_;  // prefilled requests that joined the decode set this step
  int64_t planned_decodes_ = 0;
  // Static batching: members that finished but pad the batch until it ends.
  std::vector<RequestId> padding_;
  int64_t padding_context_ = 0;  // sum of the padding members' KV lengths
  int64_t planned_padding_ = 0;
  SimTime last_commit_ = 0;
  // Conservation (checked at every commit): every request enqueued here has finished (or been
  // handed off), waits, or runs.
  int64_t enqueued_ = 0;
  int64_t finished_ = 0;
  bool preempted_this_step_ = false;
  uint64_t next_admit_seq_ = 1;
  // Overlap (config_.overlap).
  struct Incoming {
    RequestId id;
    uint64_t first_plan;  // the first plan (plans_ value) that may admit it
  };
  std::deque<Incoming> incoming_;             // arrived, not yet seen by the host loop
  std::vector<RequestId> lingering_;          // finished; computed once more at the next step
  std::vector<RequestId> lingering_in_step_;  // ... in the step in flight; freed at its commit
  uint64_t plans_ = 0;                        // steps planned so far
  bool in_flight_ = false;                    // a planned step has not been committed yet
  // SGLang.
  double new_token_ratio_ = 0;
  // When the decode set last emitted (decode batches only; sglang's prefill batches do not).
  SimTime last_decode_commit_ = 0;
  // sglang: requests that joined the decode set in a prefill batch since the last decode batch;
  // each emitted its last token when it joined (r.last_token).
  std::vector<RequestId> fresh_;
  // The time decode members last emitted: the last commit, except under sglang, whose prefill
  // batches emit nothing for them.
  SimTime GapBase() const {
    return config_.policy == SchedulerPolicy::kSglang ? last_decode_commit_ : last_commit_;
  }
};

}  // namespace servesim
