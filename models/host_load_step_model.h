// HostLoadStepModel: prices KV offload's loads. Prefix-cache blocks found in host memory
// (BatchShape::host_load_tokens) are copied to the GPU over the host link while the step runs,
// layer by layer, as vLLM's KV connector does (LMCache: a layer's attention waits for that layer's
// load, wait_for_layer_load, while later layers' loads proceed): the step takes
//   max(compute, load) + load / layers
// (the first layer's load is never hidden), so it adds max(0, load - compute) + load / layers to
// the inner model's step, reported as breakdown.kv_load_s. Wraps any StepModel (roofline,
// calibrated) under the speculative wrapper: the proposer's passes follow the target's forward.
// REQUIRES: pp == 1 (offload is refused with pipeline parallelism). docs/design.md, "KV offload
// to host".
#pragma once

#include <cstdint>
#include <memory>

#include "models/step_model.h"

namespace servesim {

class HostLoadStepModel : public StepModel {
 public:
  // `kv_bytes_per_token` is one GPU's share (each GPU loads its KV heads' shard over its own
  // link); `host_link_bytes_per_s` one direction of a GPU's host link. `params` are the engine's
  // (its host work, re-exposed over the longer GPU time as FinishStepCost exposes it).
  // REQUIRES: kv_bytes_per_token > 0, host_link_bytes_per_s > 0, layers >= 1.
  HostLoadStepModel(std::unique_ptr<StepModel> inner, double kv_bytes_per_token,
                    double host_link_bytes_per_s, int64_t layers, const StepModelParams& params);
  StepCost Cost(const BatchShape& batch) const override;
  const CoverageLedger* Coverage() const override { return inner_->Coverage(); }

 private:
  std::unique_ptr<StepModel> inner_;
  double kv_bytes_per_token_;
  double host_link_bytes_per_s_;
  double layers_;
  StepModelParams params_;
};

}  // namespace servesim
