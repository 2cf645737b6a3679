// StepModel: prices one engine step (BatchShape) as a duration plus a breakdown by op class.
// RooflineStepModel is the physics-first model: every op costs
//   max(flops / (peak x compute_eff), bytes / (bandwidth x memory_eff)) + kernel launch overhead
// and each step adds a host (CPU scheduling) overhead. Pure: no clock, no RNG, no I/O.
#pragma once

#include <cstdint>
#include <memory>

#include "models/batch.h"
#include "models/coverage.h"
#include "models/hardware_spec.h"
#include "models/model_spec.h"
#include "models/precision.h"

namespace servesim {

// Efficiencies and overheads of an engine on a GPU. Defaults and their rationale: docs/config.md
// (engine.* keys) and the comments in step_model.cc.
struct StepModelParams {
  double gemm_compute_efficiency = 0.70;
  double gemm_memory_efficiency = 0.85;
  double attention_compute_efficiency = 0.55;
  double attention_memory_efficiency = 0.75;
  double elementwise_memory_efficiency = 0.80;
  double kernel_launch_overhead_s = 2.0e-6;
  double host_overhead_per_step_s = 300e-6;
  double host_overhead_per_seq_s = 2.0e-6;
};

// How one replica runs the model.
struct DeploymentShape {
  Precision weight_precision = Precision::kBf16;      // GEMM weights and math
  Precision activation_precision = Precision::kBf16;  // activations between kernels
  Precision kv_precision = Precision::kBf16;
  int64_t tp = 1;
};

struct StepBreakdown {
  double gemm_s = 0;
  double attention_s = 0;
  double communication_s = 0;
  double other_s = 0;  // norms, rotary, activation, embedding, sampling
  double host_s = 0;
  double Total() const { return gemm_s + attention_s + communication_s + other_s + host_s; }
};

struct StepCost {
  double duration_s = 0;  // == breakdown.Total()
  StepBreakdown breakdown;
  double flops = 0;  // per GPU, all ops (for MFU)
  double bytes = 0;  // per GPU, device-memory traffic (for bandwidth utilisation)
};

class StepModel {
 public:
  virtual ~StepModel() = default;
  // REQUIRES: !batch.Empty().
  virtual StepCost Cost(const BatchShape& batch) const = 0;
  // For models priced from a calibration profile: where the time priced so far came from.
  virtual const CoverageLedger* Coverage() const { return nullptr; }
};

class RooflineStepModel : public StepModel {
 public:
  RooflineStepModel(const ModelSpec& model, const HardwareSpec& hw, const DeploymentShape& shape,
                    const StepModelParams& params);
  StepCost Cost(const BatchShape& batch) const override;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace servesim
