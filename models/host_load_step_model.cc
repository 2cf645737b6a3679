#include "models/host_load_step_model.h"

#include <algorithm>
#include <utility>

#include "sim/core/check.h"

namespace servesim {

HostLoadStepModel::HostLoadStepModel(std::unique_ptr<StepModel> inner, double kv_bytes_per_token,
                                     double host_link_bytes_per_s, int64_t layers,
                                     const StepModelParams& params)
    : inner_(std::move(inner)),
      kv_bytes_per_token_(kv_bytes_per_token),
      host_link_bytes_per_s_(host_link_bytes_per_s),
      layers_(static_cast<double>(layers)),
      params_(params) {
  SERVESIM_CHECK(inner_ != nullptr && kv_bytes_per_token_ > 0 && host_link_bytes_per_s_ > 0);
  SERVESIM_CHECK(layers >= 1);
}

StepCost HostLoadStepModel::Cost(const BatchShape& batch) const {
  StepCost cost = inner_->Cost(batch);
  if (batch.host_load_tokens == 0) return cost;
  SERVESIM_CHECK(batch.host_load_tokens > 0 && cost.stage_s == 0);  // pp == 1
  const double load_s =
      static_cast<double>(batch.host_load_tokens) * kv_bytes_per_token_ / host_link_bytes_per_s_;
  const double host_s = cost.breakdown.host_s;
  const double gpu_s = cost.breakdown.Total() - host_s;
  const double extra_s = std::max(0.0, load_s - gpu_s) + load_s / layers_;
  cost.kv_load_transfer_s = load_s;
  cost.breakdown.kv_load_s += extra_s;
  cost.last_stage_s += extra_s;
  cost.breakdown.host_s = ReexposedHostTime(params_, batch, host_s, extra_s);
  cost.duration_s = cost.breakdown.Total();
  return cost;
}

}  // namespace servesim
