// StepModel: prices one engine step (BatchShape) as a duration plus a breakdown by op class.
// RooflineStepModel is the physics-first model: every op costs
//   max(flops / (peak x compute_eff), bytes / (bandwidth x memory_eff)) + kernel launch overhead
// and each step adds a host (CPU scheduling) overhead. Pure: no clock, no RNG, no I/O.
#pragma once

#include <algorithm>
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
  // Host time to launch one kernel of a step that runs outside a CUDA graph
  // (BatchShape::launch == kEager): framework dispatch plus the driver call. A step cannot end
  // before its last kernel is launched. No effect on steps with launch kDefault or kGraph.
  double eager_kernel_launch_s = 10e-6;
  double host_overhead_per_step_s = 300e-6;
  double host_overhead_per_seq_s = 2.0e-6;
  // The engine prepares step k+1 while the GPU runs step k (TensorRT-LLM's overlap scheduler,
  // SGLang's overlap schedule, vLLM's async scheduling): host work is exposed only where it
  // exceeds the GPU time, instead of adding to it.
  bool overlap_host = false;
  // Fixed cost of one tensor-parallel collective inside a node. Engines run small all-reduces
  // with their own one-shot/two-shot kernels captured in CUDA graphs (vLLM custom all-reduce,
  // TensorRT-LLM's all-reduce plugin): a few microseconds, not NCCL's ~30 us kernel time.
  // Across nodes the NCCL model of models/collectives applies unchanged.
  double tp_collective_latency_s = 8.0e-6;
  // MoE with expert parallelism (ep > 1): rows on the busiest GPU's experts over the mean
  // (1 = perfectly balanced routing). No effect when ep == 1. docs/cost_model.md, "Expert
  // parallelism".
  double moe_imbalance_factor = 1.0;
  // How much faster attention reads an 8-bit (fp8) KV cache than a 16-bit one: 2 (the default)
  // when kernels stream half the bytes at the same efficiency; 1 when dequantisation and the
  // extra kernels around it eat the saving (docs/cost_model.md, "Attention"). Bounded to [1, 2].
  double fp8_kv_read_speedup = 2.0;
};

// How one replica runs the model.
struct DeploymentShape {
  Precision weight_precision = Precision::kBf16;      // GEMM weights and math
  Precision activation_precision = Precision::kBf16;  // activations between kernels
  Precision kv_precision = Precision::kBf16;
  int64_t tp = 1;  // tensor-parallel degree: heads, FFN and vocab split over tp GPUs
  int64_t pp = 1;  // pipeline stages: ceil(num_layers / pp) layers per stage
  // Expert-parallel degree (MoE only): each stage's tp GPUs form tp / ep groups of ep GPUs; a
  // group spreads the routed experts, num_experts / ep per GPU, each expert split over tp / ep
  // GPUs. ep == 1: every expert split over tp (tensor-parallel experts). REQUIRES: ep divides tp
  // and num_experts.
  int64_t ep = 1;
};

struct StepBreakdown {
  double gemm_s = 0;
  double attention_s = 0;
  double communication_s = 0;
  double other_s = 0;  // norms, rotary, activation, embedding, sampling
  double host_s = 0;
  // KV offload: loading KV from host memory where it is not hidden behind the step's compute
  // (HostLoadStepModel); 0 without loads.
  double kv_load_s = 0;
  double Total() const {
    return gemm_s + attention_s + communication_s + other_s + host_s + kv_load_s;
  }
};

// The cost of one step (one micro-batch with pipeline parallelism).
struct StepCost {
  // Latency of the step through the whole replica with nothing else in flight:
  // host + (pp - 1) x (stage_s + p2p_s) + last_stage_s == breakdown.Total().
  double duration_s = 0;
  // Time summed over the pipeline's stages, by op class (communication includes the tensor-
  // parallel all-reduces of every layer and the activations sent between stages).
  StepBreakdown breakdown;
  double stage_s = 0;       // GPU time of one stage that is not the last (0 if pp == 1)
  double last_stage_s = 0;  // GPU time of the last stage (the only one if pp == 1)
  double p2p_s = 0;         // sending the activations from one stage to the next
  double flops = 0;         // all GPUs of the replica together, all ops (for MFU)
  double bytes = 0;         // all GPUs of the replica together, device-memory traffic
  // KV offload: time the step's host-to-GPU KV loads take on the host link (hidden or not).
  double kv_load_transfer_s = 0;
};

// The host work of `batch` (per step + per sequence), the part of FinishStepCost's host time that
// is not launching.
inline double HostWork(const StepModelParams& p, const BatchShape& batch) {
  return p.host_overhead_per_step_s +
         p.host_overhead_per_seq_s * static_cast<double>(batch.NumSeqs());
}

// Sets cost->breakdown.host_s and cost->duration_s, given the GPU time already in the breakdown
// (every class but host) and the number of kernels one GPU launches for the step. Host work is
// host_overhead_per_step_s + host_overhead_per_seq_s x sequences, plus, for an eager step,
// kernels x eager_kernel_launch_s of launching, which overlaps the GPU work it launches:
//   sequential host:  duration = host work + max(gpu, launching)
//   overlap_host:     duration = max(gpu, host work + launching)
// With launch kDefault or kGraph and no overlap this is host work + gpu, as it always was.
// `kernels` is read only for an eager step. Inline: it runs once per simulated step.
inline void FinishStepCost(const StepModelParams& p, const BatchShape& batch, double kernels,
                           StepCost* cost) {
  const double work_s = HostWork(p, batch);
  const bool eager = batch.launch == StepLaunch::kEager;
  if (!p.overlap_host && !eager) {
    cost->breakdown.host_s = work_s;
  } else {
    const double launch_s = eager ? kernels * p.eager_kernel_launch_s : 0.0;
    cost->breakdown.host_s = 0;
    const double gpu_s = cost->breakdown.Total();
    cost->breakdown.host_s = p.overlap_host ? std::max(0.0, work_s + launch_s - gpu_s)
                                            : work_s + std::max(0.0, launch_s - gpu_s);
  }
  cost->duration_s = cost->breakdown.Total();
}

// A wrapper (speculative proposer, host KV loads) added `extra_gpu_s` of GPU time to a step
// FinishStepCost priced with host time `host_s`: the host time it exposes over the longer GPU
// time, as FinishStepCost would have: unchanged when it runs before the GPU work (sequential,
// not eager); hidden further when it overlaps the GPU (overlap_host), or, for an eager step, the
// launching that outlasted the GPU shrinks.
inline double ReexposedHostTime(const StepModelParams& p, const BatchShape& batch, double host_s,
                                double extra_gpu_s) {
  if (p.overlap_host) return std::max(0.0, host_s - extra_gpu_s);
  if (batch.launch != StepLaunch::kEager) return host_s;
  const double work_s = HostWork(p, batch);
  return work_s + std::max(0.0, host_s - work_s - extra_gpu_s);
}

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
