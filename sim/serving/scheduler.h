// Scheduler: iteration-level (continuous) batching for one replica, as vLLM and TensorRT-LLM do
// it. Each step: every running decode sequence gets one token, then running partial prefills and
// then waiting requests (FCFS) fill the remaining token budget with prefill chunks.
//   vllm:   KV blocks allocated as tokens are computed; when none are free, the most recently
//           admitted request is preempted by recompute (vLLM V1 semantics).
//   trtllm: KV blocks for the whole sequence (input + output) reserved at admission; never
//           preempts (TensorRT-LLM GUARANTEED_NO_EVICT).
// See docs/design.md for the exact rules. The scheduler owns the replica's KV block pool.
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

enum class SchedulerPolicy { kVllm, kTrtllm };

struct SchedulerConfig {
  SchedulerPolicy policy = SchedulerPolicy::kVllm;
  int64_t max_num_seqs = 256;
  int64_t max_num_batched_tokens = 8192;  // REQUIRES: >= max_num_seqs
  bool enable_chunked_prefill = true;
  int64_t block_size = 16;
  int64_t num_blocks = 0;
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
};

class Scheduler {
 public:
  Scheduler(const SchedulerConfig& config, RequestTable* table);

  // A request arrives (FCFS at the back of the waiting queue).
  void Enqueue(RequestId id);

  // Forms the next step at `now`. Returns false (and an empty batch) when there is nothing to
  // run. Preemptions decided here are reported to `observer`.
  bool Plan(SimTime now, BatchShape* batch, StepObserver* observer);

  // Applies the planned step, which ended at `now`. Decode sequences emitted their previous token
  // at the previous commit, so their inter-token gap is the time since then.
  void Commit(SimTime now, StepObserver* observer);

  bool Idle() const { return waiting_.empty() && prefilling_.empty() && decode_.Empty(); }
  int64_t NumRunning() const { return decode_.Size() + static_cast<int64_t>(prefilling_.size()); }
  int64_t NumWaiting() const { return static_cast<int64_t>(waiting_.size()); }
  const BlockPool& Blocks() const { return blocks_; }
  const SchedulerConfig& config() const { return config_; }

 private:
  struct PlannedChunk {
    RequestId id;
    int64_t tokens;
  };
  void PlanDecodes(SimTime now, StepObserver* observer);
  void PlanRunningPrefills(SimTime now, int64_t* budget, BatchShape* batch, StepObserver* observer);
  void PlanWaiting(SimTime now, int64_t* budget, BatchShape* batch);
  int64_t AdmissionBlocks(const Request& r, int64_t chunk) const;
  void AddChunk(RequestId id, int64_t tokens, BatchShape* batch);
  // Preempts the most recently admitted running request; false if none is running.
  bool PreemptLast(SimTime now, StepObserver* observer);
  void Preempt(RequestId id, SimTime now, StepObserver* observer);
  void FinishPrefill(RequestId id, SimTime now, StepObserver* observer);
  void Finish(RequestId id, SimTime now, StepObserver* observer);

  SchedulerConfig config_;
  RequestTable* table_;
  BlockPool blocks_;
  DecodeSet decode_;
  std::deque<RequestId> waiting_;
  std::deque<RequestId> prefilling_;  // admitted, prompt not yet fully computed; admission order
  std::vector<PlannedChunk> planned_;
  std::vector<RequestId> finished_scratch_;
  int64_t planned_decodes_ = 0;
  SimTime last_commit_ = 0;
  bool preempted_this_step_ = false;
  uint64_t next_admit_seq_ = 1;
};

}  // namespace servesim
