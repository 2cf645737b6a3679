// Work formulas follow docs/cost_model.md op by op; see docs/calibration.md for the fit forms.
#include "models/calibration_ops.h"

#include <algorithm>
#include <array>

#include "sim/core/check.h"

namespace servesim {
namespace {

constexpr std::array<CalOpInfo, kNumCalOps> kOps = {{
    {CalOp::kGemmQkv, "gemm.qkv", "gemm", 1, {"tokens", ""}, FitForm::kRoofline, false},
    {CalOp::kGemmO, "gemm.o", "gemm", 1, {"tokens", ""}, FitForm::kRoofline, false},
    {CalOp::kGemmGateUp, "gemm.gate_up", "gemm", 1, {"tokens", ""}, FitForm::kRoofline, false},
    {CalOp::kGemmDown, "gemm.down", "gemm", 1, {"tokens", ""}, FitForm::kRoofline, false},
    {CalOp::kGemmLmHead, "gemm.lm_head", "gemm", 1, {"rows", ""}, FitForm::kRoofline, true},
    {CalOp::kPrefillAttention,
     "attention.prefill",
     "attention",
     2,
     {"chunk_tokens", "context_tokens"},
     FitForm::kComputeMemory,
     true},
    {CalOp::kDecodeAttention,
     "attention.decode",
     "attention",
     2,
     {"seqs", "kv_len"},
     FitForm::kDecode,
     true},
    {CalOp::kEmbedding, "other.embedding", "other", 1, {"tokens", ""}, FitForm::kMemory, true},
    {CalOp::kRmsNorm, "other.rmsnorm", "other", 1, {"tokens", ""}, FitForm::kMemory, true},
    {CalOp::kRotary, "other.rotary", "other", 1, {"tokens", ""}, FitForm::kMemory, true},
    {CalOp::kSiluMul, "other.silu_mul", "other", 1, {"tokens", ""}, FitForm::kMemory, true},
    {CalOp::kKvWrite, "other.kv_write", "other", 1, {"tokens", ""}, FitForm::kMemory, true},
    {CalOp::kSampling, "other.sampling", "other", 1, {"rows", ""}, FitForm::kMemory, true},
    {CalOp::kCopy, "memory.copy", "memory", 1, {"size_bytes", ""}, FitForm::kMemory, true},
    {CalOp::kAllReduce,
     "comm.all_reduce",
     "communication",
     1,
     {"message_bytes", ""},
     FitForm::kLink,
     true},
    {CalOp::kAllGather,
     "comm.all_gather",
     "communication",
     1,
     {"message_bytes", ""},
     FitForm::kLink,
     true},
}};

double DivCeil(int64_t a, int64_t b) { return static_cast<double>((a + b - 1) / b); }

// A GEMM [rows x k] * [k x n]: weights read once, activations in and out.
OpWork Gemm(double rows, double k, double n, double weight_bytes, double ab) {
  return {2 * rows * k * n, k * n * weight_bytes + rows * (k + n) * ab, 0};
}

OpWork AttentionWork(CalOp op, const OpDims& d, double x0, double x1) {
  const double dq = d.QDim(), dkv = d.KvDim();
  if (op == CalOp::kPrefillAttention) {
    const double c = x0, p = x1;
    const double pairs = c * p + c * (c + 1) / 2;
    const double kv_bytes = (p + c) * 2 * dkv * d.kb;
    return {4 * dq * pairs, kv_bytes + c * 2 * dq * d.ab, kv_bytes};
  }
  const double seqs = x0, kv_tokens = x0 * x1;
  const double kv_bytes = kv_tokens * 2 * dkv * d.kb;
  return {4 * dq * kv_tokens, kv_bytes + seqs * 2 * dq * d.ab, kv_bytes};
}

}  // namespace

const CalOpInfo& OpInfo(CalOp op) {
  const CalOpInfo& info = kOps[static_cast<size_t>(op)];
  SERVESIM_CHECK(info.op == op);
  return info;
}

std::optional<CalOp> CalOpFromName(std::string_view name) {
  for (const CalOpInfo& info : kOps) {
    if (info.name == name) return info.op;
  }
  return std::nullopt;
}

int NumFeatures(FitForm form) {
  return form == FitForm::kComputeMemory || form == FitForm::kDecode ? 3 : 2;
}

std::array<std::string_view, kMaxFeatures> FeatureNames(FitForm form) {
  switch (form) {
    case FitForm::kRoofline:
      return {"const_s", "roofline_s", ""};
    case FitForm::kComputeMemory:
      return {"const_s", "compute_s", "memory_s"};
    case FitForm::kDecode:
      return {"const_s", "kv_memory_s", "seq_memory_s"};
    case FitForm::kMemory:
      return {"const_s", "memory_s", ""};
    case FitForm::kLink:
      return {"const_s", "link_s", ""};
  }
  return {"", "", ""};
}

OpDims OpDims::From(const ModelSpec& m, const DeploymentShape& s) {
  SERVESIM_CHECK(s.tp >= 1 && !m.IsMoe() && m.gated_mlp);
  OpDims d;
  d.hidden = static_cast<double>(m.hidden_size);
  d.heads = DivCeil(m.num_attention_heads, s.tp);
  d.kv_heads = DivCeil(m.num_kv_heads, s.tp);
  d.head_dim = static_cast<double>(m.head_dim);
  d.ffn = DivCeil(m.intermediate_size, s.tp);
  d.vocab_local = DivCeil(m.vocab_size, s.tp);
  d.vocab = static_cast<double>(m.vocab_size);
  d.wb = BytesPerElement(s.weight_precision);
  d.ab = BytesPerElement(s.activation_precision);
  d.kb = BytesPerElement(s.kv_precision);
  return d;
}

OpWork WorkOf(CalOp op, const OpDims& d, double x0, double x1) {
  const double h = d.hidden, dq = d.QDim(), dkv = d.KvDim(), t = x0;
  switch (op) {
    case CalOp::kGemmQkv:
      return Gemm(t, h, dq + 2 * dkv, d.wb, d.ab);
    case CalOp::kGemmO:
      return Gemm(t, dq, h, d.wb, d.ab);
    case CalOp::kGemmGateUp:
      return Gemm(t, h, 2 * d.ffn, d.wb, d.ab);
    case CalOp::kGemmDown:
      return Gemm(t, d.ffn, h, d.wb, d.ab);
    case CalOp::kGemmLmHead:
      return Gemm(t, h, d.vocab_local, d.ab, d.ab);
    case CalOp::kPrefillAttention:
    case CalOp::kDecodeAttention:
      return AttentionWork(op, d, x0, x1);
    case CalOp::kEmbedding:
      return {0, 2 * t * h * d.ab, 0};
    case CalOp::kRmsNorm:
      return {0, 3 * t * h * d.ab, 0};
    case CalOp::kRotary:
      return {0, 2 * t * (dq + dkv) * d.ab, 0};
    case CalOp::kSiluMul:
      return {0, 3 * t * d.ffn * d.ab, 0};
    case CalOp::kKvWrite:
      return {0, t * 2 * dkv * d.kb, 0};
    case CalOp::kSampling:
      return {0, t * d.vocab * 4 * 2, 0};
    case CalOp::kCopy:
      return {0, 2 * x0, 0};
    case CalOp::kAllReduce:
    case CalOp::kAllGather:
      return {0, x0, 0};
  }
  return {};
}

double MathPeak(CalOp op, const Peaks& p) {
  return OpInfo(op).bf16_math ? p.bf16_flops_per_s : p.gemm_flops_per_s;
}

Features FeaturesOf(CalOp op, const OpWork& w, const Peaks& p) {
  const double bw = p.bytes_per_s;
  switch (OpInfo(op).form) {
    case FitForm::kRoofline:
      return {1, std::max(w.flops / MathPeak(op, p), w.bytes / bw), 0};
    case FitForm::kComputeMemory:
      return {1, w.flops / MathPeak(op, p), w.bytes / bw};
    case FitForm::kDecode:
      return {1, w.kv_bytes / bw, (w.bytes - w.kv_bytes) / bw};
    case FitForm::kMemory:
      return {1, w.bytes / bw, 0};
    case FitForm::kLink:
      return {1, p.link_bytes_per_s > 0 ? w.bytes / p.link_bytes_per_s : 0, 0};
  }
  return {0, 0, 0};
}

}  // namespace servesim
