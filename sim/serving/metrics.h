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

namespace servesim {

// Sample percentile with linear interpolation between closest ranks (numpy's default, which
// vLLM's benchmark uses). REQUIRES: `sorted` ascending and non-empty; 0 <= q <= 100.
double Percentile(const std::vector<double>& sorted, double q);

// Stats over weighted samples (value, count), as if each value appeared `count` times.
LatencyStats WeightedStatsMs(std::vector<std::pair<SimTime, int64_t>> samples);

class Metrics : public StepObserver {
 public:
  explicit Metrics(const RequestTable* table) : table_(table) {}

  // Called for every finished request after it is recorded (closed-loop workloads use this).
  void SetOnFinish(std::function<void(RequestId, SimTime)> fn) { on_finish_ = std::move(fn); }

  void OnStep(SimTime start, SimTime duration, const BatchShape& batch, const StepCost& cost,
              int64_t kv_used_blocks, int64_t kv_total_blocks);

  void OnFirstToken(RequestId id, SimTime now) override;
  void OnTokenGaps(SimTime gap, int64_t count) override;
  void OnFinish(RequestId id, SimTime now) override;
  void OnPreempt(RequestId id, SimTime now) override;

  struct SloTargets {
    std::optional<double> ttft_ms;
    std::optional<double> tpot_ms;
  };
  // Fills the measured fields of `s` (the caller fills what ran).
  void Summarize(const SloTargets& slo, double peak_flops, double bandwidth_bytes_per_s,
                 Summary* s) const;

  int64_t Completed() const { return completed_; }

 private:
  const RequestTable* table_;
  std::function<void(RequestId, SimTime)> on_finish_;
  std::vector<std::pair<SimTime, int64_t>> token_gaps_;
  int64_t completed_ = 0;
  int64_t preemptions_ = 0;
  SimTime last_finish_ = 0;
  int64_t num_steps_ = 0;
  double sum_batch_ = 0;
  int64_t max_batch_ = 0;
  double kv_time_integral_ = 0;  // sum of utilisation x step seconds
  double max_kv_ = 0;
  SimTime busy_ = 0;
  double flops_ = 0, bytes_ = 0;
  StepBreakdown time_;
};

}  // namespace servesim
