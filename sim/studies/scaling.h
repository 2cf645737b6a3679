// The scaling study (`servesim scaling`): for each GPU count N, every deployment of the scenario
// on N GPUs that the strategies allow (sim/studies/deployment_space.h) gets its capacity at the
// SLO (the capacity search of sim/studies/capacity.h); the best is the point at N. Against
// linear scaling (N x the per-GPU capacity at the smallest count) each point gets its efficiency
// and its lost throughput by cause (sim/studies/scaling_loss.h); a Universal Scalability Law fit
// (sim/studies/usl_fit.h) over the points extrapolates to larger counts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/report/summary.h"
#include "sim/studies/capacity.h"
#include "sim/studies/deployment_space.h"
#include "sim/studies/slo.h"
#include "sim/studies/study_step_times.h"
#include "sim/studies/usl_fit.h"

namespace servesim {

// Below this R^2 (of the capacities) the USL fit is reported but not extrapolated.
inline constexpr double kMinUslRSquared = 0.9;

struct ScalingOptions {
  std::vector<int64_t> gpu_counts;  // ascending, distinct, >= 1
  Strategies strategies;
  CapacitySlo slo;
  double tolerance = 0.01;  // of each capacity search
  // The scenario's workload.num_requests is for the smallest count; a deployment of N GPUs
  // serves num_requests x N / smallest, so every run loads its GPUs equally long.
  bool scale_requests = true;
  std::vector<double> extrapolate = {2, 4};  // x the largest count
  int jobs = 1;
  StepTimeAdjust step_times;
};

struct CandidateResult {
  Deployment deployment;
  std::string skipped;  // why it was not simulated (or why its search failed)
  double capacity = 0;  // req/s at the SLO
  Summary at_capacity;
  std::optional<SteadyState> steady;  // of the run at capacity
  int64_t simulations = 0;
};

struct ScalingPoint {
  int64_t num_gpus = 0;
  std::vector<CandidateResult> candidates;  // enumeration order
  int best = -1;                            // index in candidates; -1: none feasible
  double capacity = 0, linear = 0, efficiency = 0;
  std::map<std::string, double> loss;  // req/s by cause; sums to linear - capacity

  const CandidateResult* Best() const { return best < 0 ? nullptr : &candidates[best]; }
};

struct ExtrapolatedPoint {
  int64_t num_gpus = 0;
  double capacity = 0, linear = 0, efficiency = 0;
};

struct ScalingResult {
  std::vector<ScalingPoint> points;  // every requested count, ascending
  int64_t baseline_gpus = 0;         // the smallest count with a feasible deployment
  double capacity_per_gpu = 0;       // its capacity / its count
  std::optional<UslFit> usl;         // over the feasible points (at least three)
  // Why the fit is not extrapolated ("" when it is): it fits badly (R^2 < kMinUslRSquared) or the
  // points scale superlinearly, which the USL cannot describe.
  std::string extrapolation_withheld;
  std::vector<ExtrapolatedPoint> extrapolated;
};

// Throws InputError when no requested count has a feasible deployment (with every reason).
// With `progress`, a line per finished capacity search.
ScalingResult RunScaling(const StudyBase& base, const ScalingOptions& options,
                         std::ostream* progress = nullptr);

// Parses "--gpus 1,2,4,8": positive integers, strictly ascending. Throws InputError.
std::vector<int64_t> ParseGpuCounts(const std::string& text);

}  // namespace servesim
