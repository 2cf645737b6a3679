// Memory model: what one GPU of a replica holds (weights, activation reserve, KV cache) and how
// many KV blocks fit. Pure arithmetic on specs; the caller turns a non-fit into an InputError.
#pragma once

#include <cstdint>
#include <string>

#include "models/hardware_spec.h"
#include "models/model_spec.h"
#include "models/step_model.h"

namespace servesim {

struct MemoryRequest {
  DeploymentShape shape;
  // vLLM semantics: the fraction of total GPU memory the engine may use (weights + activations +
  // KV). Used when kv_free_fraction is 0.
  double gpu_memory_utilization = 0.9;
  // TensorRT-LLM semantics: the fraction of memory left after weights and activations that goes
  // to the KV cache. 0 = not used.
  double kv_free_fraction = 0;
  // SGLang semantics (mem_fraction_static): this fraction of the GPU's memory holds the weights
  // and the KV cache; activations, CUDA graphs and sampling live in the rest. 0 = not used.
  double static_fraction = 0;
  // Logits and sampling buffers kept in the activation reserve. kAuto: TensorRT-LLM's C++
  // decoder buffers when kv_free_fraction > 0, else vLLM's fp32 logits for max_num_seqs rows.
  enum class Sampling { kAuto, kLogits, kTrtDecoder, kNone };
  Sampling sampling = Sampling::kAuto;
  int64_t block_size_tokens = 16;
  int64_t max_num_batched_tokens = 8192;
  int64_t max_num_seqs = 256;
  // Speculative decoding's drafter on each GPU (DrafterFootprint): its weights join the model's,
  // and every cached token also holds the drafter's KV (the drafter attends to the same tokens).
  double drafter_weight_bytes = 0;
  double drafter_kv_bytes_per_token = 0;
};

struct MemoryPlan {
  bool fits = false;
  std::string reason;                   // when !fits: which term does not fit, with the numbers
  double weight_bytes = 0;              // per GPU
  double activation_reserve_bytes = 0;  // per GPU: peak activations + runtime (CUDA ctx, graphs)
  double kv_bytes_per_token = 0;        // per GPU
  double kv_cache_bytes = 0;            // per GPU
  int64_t num_kv_blocks = 0;
  int64_t kv_capacity_tokens = 0;  // num_kv_blocks x block_size
};

MemoryPlan PlanMemory(const ModelSpec& model, const HardwareSpec& hw, const MemoryRequest& req);

// What a speculative drafter adds per GPU when split like the target (`shape`): its weights (a
// draft model's all; an EAGLE head shares the target's embedding and LM head, so only its layers)
// and its KV bytes per token.
struct DrafterFootprint {
  double weight_bytes = 0;
  double kv_bytes_per_token = 0;
};
DrafterFootprint DrafterMemory(const ModelSpec& drafter, const DeploymentShape& shape,
                               bool shares_embeddings);

}  // namespace servesim
