// PlanMemory: per-GPU weights, activation reserve and KV cache of one replica, in vLLM
// (gpu_memory_utilization) or TensorRT-LLM (kv_free_fraction) semantics. Formulas and their
// rationale: docs/cost_model.md ("Memory").
#include "models/memory_model.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "sim/core/check.h"

namespace servesim {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// CUDA context, cuBLAS/cuDNN workspaces, NCCL buffers, CUDA graph pools and allocator
// fragmentation: outside the weights, activations and KV cache, typically 0.5-1.5 GiB per GPU in
// vLLM; 1 GiB is a middle value.
constexpr double kRuntimeOverheadBytes = 1.0 * kGiB;

int64_t DivCeil(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t KvHeadsPerGpu(const ModelSpec& m, int64_t tp) { return DivCeil(m.num_kv_heads, tp); }

// Weights held by the busiest GPU (ceil(num_layers / pp) layers of the pipeline). Linear layers are
// split over tp (KV projections are replicated when tp > num_kv_heads) and stored in the weight
// precision; norms, the MoE router, the embedding and the LM head stay in the activation precision
// (vLLM does not quantise them). The embedding and LM head are vocab-parallel. Routed experts:
// num_experts / ep per GPU, each split over tp / ep GPUs (ep == 1: all experts split over tp);
// shared experts split over tp.
double WeightBytesPerGpu(const ModelSpec& m, const DeploymentShape& d) {
  const double wb = BytesPerElement(d.weight_precision);
  const double ab = BytesPerElement(d.activation_precision);
  const double h = static_cast<double>(m.hidden_size);
  const double q = static_cast<double>(DivCeil(m.num_attention_heads, d.tp) * m.head_dim);
  const double kv = static_cast<double>(KvHeadsPerGpu(m, d.tp) * m.head_dim);
  double linear = h * (q + 2 * kv) + q * h;
  double small = 2 * h;  // two RMSNorm weights
  if (!m.IsMoe()) {
    linear += static_cast<double>(m.FfnUpFactor() + 1) * h *
              static_cast<double>(DivCeil(m.intermediate_size, d.tp));
  } else {
    const double routed = static_cast<double>(m.moe_num_experts / d.ep);
    const double shared = static_cast<double>(m.moe_shared_experts);
    linear += routed * 3 * h * static_cast<double>(DivCeil(m.moe_intermediate_size, d.tp / d.ep)) +
              shared * 3 * h * static_cast<double>(DivCeil(m.moe_intermediate_size, d.tp));
    small += h * static_cast<double>(m.moe_num_experts);  // router, replicated
  }
  // With pipeline parallelism the first stage holds the embedding and the last the LM head; the
  // busiest GPU holds one of them (both when pp == 1 and they are not tied).
  const double tables = (m.tie_word_embeddings || d.pp > 1) ? 1 : 2;
  const double embedding = tables * static_cast<double>(DivCeil(m.vocab_size, d.tp)) * h + h;
  const double layers = static_cast<double>(DivCeil(m.num_layers, d.pp));
  return layers * (linear * wb + small * ab) + embedding * ab;
}

double KvBytesPerTokenPerGpu(const ModelSpec& m, const DeploymentShape& d) {
  return 2.0 * static_cast<double>(DivCeil(m.num_layers, d.pp)) *
         static_cast<double>(KvHeadsPerGpu(m, d.tp) * m.head_dim) * BytesPerElement(d.kv_precision);
}

// Bytes per (batch slot x vocabulary entry) of TensorRT-LLM's decoder, which every GPU of the
// replica runs over the full (gathered) vocabulary for max_batch_size slots: fp32 logits (4), the
// top-p sampling workspace of sorted probabilities (4) and token ids (4), and the temporary
// storage of cub's segmented radix sort over those pairs (about their size again, 8).
// TensorRT-LLM cpp/tensorrt_llm/kernels/samplingTopPKernels.cu, getTopPWorkspaceSizes(), sized
// for maxBatchSize x vocabSizePadded by the sampling layers' allocateBuffer().
constexpr double kTrtDecoderBytesPerSlotToken = 4 + 4 + 4 + 8;

// Logits and sampling buffers, per GPU. vLLM: fp32 logits for max_num_seqs rows of the local
// vocabulary slice. TensorRT-LLM (kv_free_fraction > 0): the decoder's buffers above, allocated
// up front for max_batch_size slots and not split by tensor parallelism.
double SamplingBuffersBytes(const ModelSpec& m, const MemoryRequest& r) {
  const double rows = static_cast<double>(r.max_num_seqs);
  using Sampling = MemoryRequest::Sampling;
  if (r.sampling == Sampling::kNone) return 0;
  if (r.sampling == Sampling::kTrtDecoder ||
      (r.sampling == Sampling::kAuto && r.kv_free_fraction > 0)) {
    return rows * static_cast<double>(m.vocab_size) * kTrtDecoderBytesPerSlotToken;
  }
  return rows * static_cast<double>(DivCeil(m.vocab_size, r.shape.tp)) * 4;
}

// Memory set aside besides weights and KV cache, per GPU:
//   peak activations of one forward pass over max_num_batched_tokens tokens
//     T x (4h + (q + 2kv) + uf) x ab   (dense: residual, normed input, attention output and
//                                       scratch (4h), the QKV output, the first FFN projection's
//                                       output: u = 2 gated (gate_up), 1 plain)
//     T x (4h + (q + 2kv) + top_k x (2fe + h) + 2fs) x ab   (MoE: per-expert copies of the
//                                       input and gate_up output; fs = shared experts' width)
//   + logits and sampling buffers (SamplingBuffersBytes)
//   + kRuntimeOverheadBytes.
double ActivationReserveBytes(const ModelSpec& m, const MemoryRequest& r) {
  const int64_t tp = r.shape.tp;
  const double ab = BytesPerElement(r.shape.activation_precision);
  const double h = static_cast<double>(m.hidden_size);
  const double q = static_cast<double>(DivCeil(m.num_attention_heads, tp) * m.head_dim);
  const double kv = static_cast<double>(KvHeadsPerGpu(m, tp) * m.head_dim);
  double width = 4 * h + q + 2 * kv;
  if (!m.IsMoe()) {
    width += static_cast<double>(m.FfnUpFactor()) *
             static_cast<double>(DivCeil(m.intermediate_size, tp));
  } else {
    const double fe = static_cast<double>(DivCeil(m.moe_intermediate_size, tp));
    width += static_cast<double>(m.moe_top_k) * (2 * fe + h) +
             2 * static_cast<double>(m.moe_shared_experts) * fe;
  }
  const double activations = static_cast<double>(r.max_num_batched_tokens) * width * ab;
  return activations + SamplingBuffersBytes(m, r) + kRuntimeOverheadBytes;
}

// "0.90 x 80.0 GiB" style description of the memory budget the engine may use.
std::string BudgetText(const HardwareSpec& hw, const MemoryRequest& r) {
  if (r.static_fraction > 0) {
    return fmt::format("mem_fraction_static {:.3f} x {:.1f} GiB", r.static_fraction,
                       hw.memory_bytes / kGiB);
  }
  if (r.kv_free_fraction > 0) return fmt::format("the GPU's {:.1f} GiB", hw.memory_bytes / kGiB);
  return fmt::format("gpu_memory_utilization {:.2f} x {:.1f} GiB", r.gpu_memory_utilization,
                     hw.memory_bytes / kGiB);
}

// Fills plan.reason when the plan does not fit; returns whether it fits.
bool CheckFit(const HardwareSpec& hw, const MemoryRequest& r, double budget, MemoryPlan& plan) {
  if (plan.weight_bytes > budget) {
    plan.reason = fmt::format(
        "weights need {:.1f} GiB per GPU but only {:.1f} GiB ({}) are available; use more GPUs "
        "(parallel.tp){} or a smaller precision",
        plan.weight_bytes / kGiB, budget / kGiB, BudgetText(hw, r),
        r.static_fraction > 0 ? ", a larger mem_fraction_static" : "");
    return false;
  }
  if (plan.kv_cache_bytes <= 0) {
    const bool trt = r.kv_free_fraction > 0;
    if (r.static_fraction > 0) {
      plan.reason = fmt::format(
          "no memory left for the KV cache: weights {:.1f} GiB + runtime {:.1f} GiB exceed the "
          "{:.1f} GiB available ({}); use more GPUs (parallel.tp), a smaller precision, or raise "
          "mem_fraction_static",
          plan.weight_bytes / kGiB, plan.activation_reserve_bytes / kGiB, budget / kGiB,
          BudgetText(hw, r));
      return false;
    }
    plan.reason = fmt::format(
        "no memory left for the KV cache: weights {:.1f} GiB + activation reserve {:.1f} GiB "
        "exceed the {:.1f} GiB available ({}); {}use more GPUs (parallel.tp), a smaller "
        "precision, or lower {}",
        plan.weight_bytes / kGiB, plan.activation_reserve_bytes / kGiB, budget / kGiB,
        BudgetText(hw, r), trt ? "" : "raise gpu_memory_utilization, ",
        trt ? "max_num_tokens / max_batch_size" : "max_num_batched_tokens / max_num_seqs");
    return false;
  }
  if (plan.num_kv_blocks < 1) {
    plan.reason = fmt::format(
        "the KV cache gets {:.3f} GiB per GPU, less than one block of {} tokens ({:.3f} GiB); "
        "use more GPUs (parallel.tp) or more memory",
        plan.kv_cache_bytes / kGiB, r.block_size_tokens,
        static_cast<double>(r.block_size_tokens) * plan.kv_bytes_per_token / kGiB);
    return false;
  }
  return true;
}

}  // namespace

MemoryPlan PlanMemory(const ModelSpec& model, const HardwareSpec& hw, const MemoryRequest& req) {
  SERVESIM_CHECK(req.shape.tp >= 1 && req.shape.pp >= 1 && req.block_size_tokens >= 1);
  SERVESIM_CHECK(req.shape.ep >= 1 && req.shape.tp % req.shape.ep == 0);
  SERVESIM_CHECK(req.shape.ep == 1 || (model.IsMoe() && model.moe_num_experts % req.shape.ep == 0));
  SERVESIM_CHECK(model.num_layers > 0 && model.num_kv_heads > 0 && hw.memory_bytes > 0);
  MemoryPlan plan;
  plan.weight_bytes = WeightBytesPerGpu(model, req.shape) + req.drafter_weight_bytes;
  // SGLang keeps activations outside its static fraction: only the runtime (CUDA context) is
  // inside, as it is part of what is in use when the fraction is applied.
  plan.activation_reserve_bytes =
      req.static_fraction > 0 ? kRuntimeOverheadBytes : ActivationReserveBytes(model, req);
  plan.kv_bytes_per_token =
      KvBytesPerTokenPerGpu(model, req.shape) + req.drafter_kv_bytes_per_token;
  const double others = plan.weight_bytes + plan.activation_reserve_bytes;
  // vLLM: the engine may use gpu_memory_utilization of the whole GPU. TensorRT-LLM: a fraction of
  // what is free after weights and activations goes to the KV cache.
  const bool trt = req.kv_free_fraction > 0 && req.static_fraction <= 0;
  const double fraction =
      req.static_fraction > 0 ? req.static_fraction : req.gpu_memory_utilization;
  const double budget = trt ? hw.memory_bytes : fraction * hw.memory_bytes;
  plan.kv_cache_bytes = trt ? req.kv_free_fraction * (hw.memory_bytes - others) : budget - others;
  const double block_bytes = static_cast<double>(req.block_size_tokens) * plan.kv_bytes_per_token;
  if (plan.kv_cache_bytes > 0) {
    plan.num_kv_blocks = static_cast<int64_t>(std::floor(plan.kv_cache_bytes / block_bytes));
  }
  plan.kv_capacity_tokens = plan.num_kv_blocks * req.block_size_tokens;
  plan.fits = CheckFit(hw, req, budget, plan);
  return plan;
}

DrafterFootprint DrafterMemory(const ModelSpec& drafter, const DeploymentShape& shape,
                               bool shares_embeddings) {
  DrafterFootprint f;
  f.weight_bytes = WeightBytesPerGpu(drafter, shape);
  if (shares_embeddings) {
    ModelSpec none = drafter;
    none.num_layers = 0;
    f.weight_bytes -= WeightBytesPerGpu(none, shape);
  }
  f.kv_bytes_per_token = KvBytesPerTokenPerGpu(drafter, shape);
  return f;
}

}  // namespace servesim
