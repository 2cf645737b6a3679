#include "sim/studies/study_step_times.h"

#include "sim/core/check.h"
#include "sim/step_model_factory.h"

namespace servesim {

StepCost ScaleStepCost(const StepCost& cost, double factor) {
  SERVESIM_CHECK(factor > 0);
  StepCost c = cost;
  c.duration_s *= factor;
  c.breakdown.gemm_s *= factor;
  c.breakdown.attention_s *= factor;
  c.breakdown.communication_s *= factor;
  c.breakdown.other_s *= factor;
  c.breakdown.host_s *= factor;
  c.breakdown.kv_load_s *= factor;
  c.stage_s *= factor;
  c.last_stage_s *= factor;
  c.p2p_s *= factor;
  return c;
}

AdjustedStepModel::AdjustedStepModel(std::unique_ptr<StepModel> inner, const StepTimeAdjust& adjust)
    : inner_(std::move(inner)), scale_(adjust.scale) {
  SERVESIM_CHECK(inner_ != nullptr && scale_ > 0);
  if (adjust.noise) noise_.emplace(*adjust.noise, adjust.noise_seed);
}

StepCost AdjustedStepModel::Cost(const BatchShape& batch) const {
  double factor = scale_;
  if (noise_) factor *= noise_->Factor(batch);
  return ScaleStepCost(inner_->Cost(batch), factor);
}

RunResult RunAdjusted(const Scenario& scenario, const StepTimeAdjust& adjust) {
  if (adjust.Identity()) return RunScenario(scenario);
  SERVESIM_CHECK(!scenario.disaggregation);
  const AdjustedStepModel model(MakeStepModel(scenario), adjust);
  return RunScenario(scenario, model);
}

}  // namespace servesim
