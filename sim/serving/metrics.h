// Metrics: collects what a run needs for its Summary while the simulation runs: step shapes and
// costs, inter-token gaps (as weighted samples: one entry per step, not per token), KV usage over
// time, preemptions and completions. Per-request timestamps live in the RequestTable.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "models/batch.h"
#include "models/step_model.h"
#include "sim/report/summary.h"
#include "sim/serving/request.h"
#include "sim/serving/scheduler.h"
#include "sim/serving/token_gaps.h"

namespace servesim {

// Sample percentile with linear interpolation between closest ranks (numpy's default, which
// vLLM's benchmark uses). REQUIRES: `sorted` ascending and non-empty; 0 <= q <= 100.
double Percentile(const std::vector<double>& sorted, double q);

// Stats over weighted samples (value, count), as if each value appeared `count` times (the
// reference TokenGapLog is tested against).
LatencyStats WeightedStatsMs(std::vector<std::pair<SimTime, int64_t>> samples);

class Metrics : public StepObserver {
 public:
  Metrics(const RequestTable* table, int num_replicas);

  // Called for every finished request after it is recorded (closed-loop workloads use this).
  void SetOnFinish(std::function<void(RequestId, SimTime)> fn) { on_finish_ = std::move(fn); }
  // Disaggregation: called instead when a prefill-only replica hands request `id` over after its
  // first token (a hand-off is not a completion).
  void SetOnHandoff(std::function<void(RequestId)> fn) { on_handoff_ = std::move(fn); }

  // A step (micro-batch) launched at `start` that completes `latency` later.
  void OnStep(int replica, SimTime start, SimTime latency, const BatchShape& batch,
              const StepCost& cost);
  // A replica's KV use changed (held until the next report).
  void OnKvUsage(int replica, SimTime now, int64_t used_blocks, int64_t total_blocks);
  // A replica had at least one step in flight for `duration`, contiguously.
  void OnBusy(int replica, SimTime duration);
  // Pipeline-parallel replicas: stage time (summed over stages) one micro-batch occupied.
  void OnStageWork(int replica, double stage_seconds);
  // The measured run starts at `t`, after a closed loop's warm-up requests all completed: the
  // inter-token gaps recorded so far (all warm-up tokens) are dropped, warm-up requests are left
  // out of the request statistics, and the run's duration counts from `t`.
  void OnMeasureStart(SimTime t);

  void OnFirstToken(RequestId id, SimTime now) override;
  void OnTokenGaps(SimTime gap, int64_t count) override;
  void OnFinish(RequestId id, SimTime now) override;
  void OnPreempt(RequestId id, SimTime now) override;
  void OnDrafts(int64_t sequences, int64_t proposed, int64_t accepted) override;

  struct SloTargets {
    std::optional<double> ttft_ms;
    std::optional<double> tpot_ms;
  };
  struct Capacity {
    double peak_flops_per_gpu = 0;
    double bandwidth_bytes_per_s_per_gpu = 0;
    int64_t num_gpus = 1;
    int64_t pp = 1;
  };
  // Fills the measured fields of `s` (the caller fills what ran). Once, at the end of the run
  // (it sorts the token gaps in place).
  void Summarize(const SloTargets& slo, const Capacity& capacity, Summary* s);

  int64_t Completed() const { return completed_; }
  // When the last request completed (0 before any): the end of the run.
  SimTime LastFinish() const { return last_finish_; }
  // Output tokens emitted so far: first tokens, the tokens that followed a gap, and accepted
  // speculative drafts (streamed with the token after them).
  int64_t TokensEmitted() const { return first_tokens_ + later_tokens_; }

 private:
  struct PerReplica {
    int64_t steps = 0;
    double sum_batch = 0;
    SimTime busy = 0;
    double stage_work_s = 0;
    double kv_integral = 0;  // utilisation x seconds
    double kv_held = 0;
    SimTime kv_since = 0;
  };
  void SummarizeRequests(const SloTargets& slo, Summary* s);
  void SummarizeEngine(const Capacity& capacity, Summary* s) const;

  const RequestTable* table_;
  std::function<void(RequestId, SimTime)> on_finish_;
  std::function<void(RequestId)> on_handoff_;
  std::vector<PerReplica> replicas_;
  TokenGapLog token_gaps_;
  int64_t completed_ = 0;
  int64_t warmups_completed_ = 0;
  SimTime measure_start_ = 0;
  int64_t first_tokens_ = 0;
  int64_t later_tokens_ = 0;
  int64_t preemptions_ = 0;
  // Speculative decoding: decode sequence-steps that verified drafts, drafts verified, accepted.
  int64_t draft_sequence_steps_ = 0;
  int64_t drafts_proposed_ = 0;
  int64_t drafts_accepted_ = 0;
  // KV offload: steps that loaded KV from host memory, and the host-link time of their loads.
  int64_t load_steps_ = 0;
  double load_s_ = 0;
  SimTime last_finish_ = 0;
  int64_t num_steps_ = 0;
  double sum_batch_ = 0;
  int64_t max_batch_ = 0;
  double max_kv_ = 0;
  double flops_ = 0, bytes_ = 0;
  StepBreakdown time_;
};

}  // namespace servesim
