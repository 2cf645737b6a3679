// The ops a calibration profile prices: their names, axes, the work (flops, bytes) of one call on
// one GPU of a tensor-parallel replica, and the features of each op's fitted model. Shared by the
// measurement harness (calibrate/), the fitter and CalibratedStepModel, so that all three count
// work the same way as the roofline model (docs/cost_model.md). Pure arithmetic.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "models/model_spec.h"
#include "models/step_model.h"

namespace servesim {

enum class CalOp : int {
  kGemmQkv,
  kGemmO,
  kGemmGateUp,
  kGemmDown,
  kGemmLmHead,
  kPrefillAttention,
  kDecodeAttention,
  kEmbedding,
  kRmsNorm,
  kRotary,
  kSiluMul,
  kKvWrite,
  kSampling,
  kCopy,
  kAllReduce,
  kAllGather,
};
inline constexpr int kNumCalOps = 16;

// The form of an op's fitted model: time = sum_i coef_i x feature_i, where every feature but the
// constant is an ideal time in seconds at the profile's peaks (so coef_i = 1 / efficiency).
enum class FitForm {
  kRoofline,       // [1, max(flops / peak, bytes / bandwidth)]
  kComputeMemory,  // [1, flops / peak, bytes / bandwidth]
  kDecode,         // [1, kv_bytes / bandwidth, seq_bytes / bandwidth]: a + b x sum(KV) + c x seqs
  kMemory,         // [1, bytes / bandwidth]
  kLink,           // [1, bytes / link bandwidth]
};
inline constexpr int kMaxFeatures = 3;
using Features = std::array<double, kMaxFeatures>;

struct CalOpInfo {
  CalOp op;
  std::string_view name;                 // e.g. "gemm.qkv"
  std::string_view op_class;             // gemm | attention | other | memory | communication
  int num_axes;                          // 1 or 2
  std::array<std::string_view, 2> axes;  // e.g. {"tokens", ""}, {"seqs", "kv_len"}
  FitForm form;
  bool bf16_math;  // math at the bf16 peak (attention, LM head) rather than the GEMM peak
};

const CalOpInfo& OpInfo(CalOp op);
std::optional<CalOp> CalOpFromName(std::string_view name);
int NumFeatures(FitForm form);
std::array<std::string_view, kMaxFeatures> FeatureNames(FitForm form);

// Per-GPU sizes of a model at a tensor-parallel degree (ceil: the busiest GPU sets the pace).
struct OpDims {
  double hidden = 0;
  double heads = 0;     // query heads per GPU
  double kv_heads = 0;  // KV heads per GPU (at least one: replicated when tp > kv heads)
  double head_dim = 0;
  double ffn = 0;                 // dense FFN width per GPU
  double vocab_local = 0;         // LM-head slice per GPU
  double vocab = 0;               // full vocabulary (sampling sees gathered logits)
  double wb = 2, ab = 2, kb = 2;  // bytes per weight, activation, KV element
  double QDim() const { return heads * head_dim; }
  double KvDim() const { return kv_heads * head_dim; }
  static OpDims From(const ModelSpec& model, const DeploymentShape& shape);
};

// Reference rates the features are expressed against.
struct Peaks {
  double gemm_flops_per_s = 0;  // dense peak in the weight precision
  double bf16_flops_per_s = 0;
  double bytes_per_s = 0;       // device memory bandwidth
  double link_bytes_per_s = 0;  // scale-up link (collectives); 0 if unknown
};

struct OpWork {
  double flops = 0;
  double bytes = 0;
  double kv_bytes = 0;  // decode attention: the part of `bytes` that reads the KV cache
};

// Work of one call at axis values (x0, x1). Axes: tokens or rows (1-D ops); (chunk_tokens,
// context_tokens) for prefill attention; (seqs, kv_len = mean KV length) for decode attention;
// size_bytes for copy (read + write: twice the size), message_bytes (per rank) for collectives.
OpWork WorkOf(CalOp op, const OpDims& dims, double x0, double x1);
Features FeaturesOf(CalOp op, const OpWork& work, const Peaks& peaks);
double MathPeak(CalOp op, const Peaks& peaks);

}  // namespace servesim
