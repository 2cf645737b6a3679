// Study step times: how the scaling and plan studies price engine steps. By default exactly as
// `servesim run` does (the scenario's roofline or calibrated step model). Two adjustments wrap
// that model without changing it:
//   - scale: every step time x `scale` (plan sensitivity: "what if the cost model is 10% off");
//   - residual noise: each step time x a relative error drawn from a calibration profile's
//     residuals (prediction intervals; sim/studies/residual_noise.h).
// Both apply to colocated deployments only (the studies refuse disaggregated scenarios).
#pragma once

#include <memory>
#include <optional>

#include "models/step_model.h"
#include "sim/config/scenario.h"
#include "sim/runner.h"
#include "sim/studies/residual_noise.h"

namespace servesim {

struct StepTimeAdjust {
  double scale = 1.0;                  // > 0
  std::optional<ResidualNoise> noise;  // none: step times unperturbed
  uint64_t noise_seed = 0;             // the replication's seed (its own named stream)

  bool Identity() const { return scale == 1.0 && !noise; }
};

// Wraps `inner`: every time of a StepCost (duration, breakdown, stage and p2p times) multiplied
// by `scale` x the noise factor of the step; FLOPs and bytes unchanged; coverage forwarded.
class AdjustedStepModel : public StepModel {
 public:
  AdjustedStepModel(std::unique_ptr<StepModel> inner, const StepTimeAdjust& adjust);
  StepCost Cost(const BatchShape& batch) const override;
  const CoverageLedger* Coverage() const override { return inner_->Coverage(); }

 private:
  std::unique_ptr<StepModel> inner_;
  double scale_;
  mutable std::optional<ResidualNoiseStream> noise_;  // caches a factor per step class
};

// `cost` with every time multiplied by `factor`. REQUIRES: factor > 0.
StepCost ScaleStepCost(const StepCost& cost, double factor);

// Runs `scenario` (colocated) with its step model adjusted as asked.
RunResult RunAdjusted(const Scenario& scenario, const StepTimeAdjust& adjust);

}  // namespace servesim
