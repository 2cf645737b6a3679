// CudaBackend::Step: a whole engine step through a stack of layers built from the CUDA kernels,
// in the order a vLLM-style engine runs them (calibrate/cpu_step.cc is the CPU twin).
#include <algorithm>

#include "calibrate/cuda/cuda_backend_impl.h"
#include "calibrate/step_layout.h"

namespace servesim::cuda {
namespace {

struct LayerWeights {
  void *norm1, *qkv, *o, *norm2, *gate_up, *down;
};

struct StepWeights {
  void* embedding;
  std::vector<LayerWeights> layers;
  void *final_norm, *lm_head, *gathered;
};

// Device copies of a StepLayout's indices.
struct DeviceLayout {
  explicit DeviceLayout(const StepLayout& l)
      : slots(l.slots),
        positions(l.positions),
        ids(l.ids),
        out_rows(l.out_rows),
        table(l.paged.table),
        lengths(l.paged.lengths),
        sampled(std::vector<int32_t>(l.out_rows.size())) {}
  DeviceArray<int64_t> slots, positions;
  DeviceArray<int32_t> ids, out_rows, table, lengths, sampled;
};

// Activations of one step (taken once from the output pool, outside the timed region).
struct Activations {
  void *hidden, *residual, *normed, *qkv, *q, *k, *attn, *gate_up, *act, *lm_in, *logits;
};

}  // namespace

// The step's kernels in order; `x8` (fp8 GEMMs only) stands in for the quantised activations.
struct CudaStepRun {
  const StepShape& s;
  const StepLayout& lay;
  const DeviceLayout& dev;
  const KernelDims& dims;
  const AttnDims& attn;
  DType act, wt;
  LtGemm& gemm;
  const float* cos_sin;
  cudaStream_t stream;
  const Activations& a;
  void* x8;
  int64_t t, dq, dkv, nqkv, es;

  void* In(void* x) const { return x8 ? x8 : x; }

  void Layer(const LayerWeights& w, void* kc, void* vc) const {
    const int64_t h = dims.hidden, f = dims.ffn, seqs = s.decode_seqs;
    cuda::AddRmsNorm(act, a.hidden, a.residual, w.norm1, a.residual, a.normed, t, h, stream);
    gemm.Run(wt, act, In(a.normed), w.qkv, a.qkv, t, h, nqkv);
    cuda::Rotary(act, a.qkv, nqkv, At(act, a.qkv, dq), nqkv, dev.positions.get(), cos_sin, a.q, a.k,
                 t, attn, stream);
    cuda::KvWrite(act, a.k, dkv, At(act, a.qkv, dq + dkv), nqkv, dev.slots.get(), kc, vc, t, dkv,
                  stream);
    if (seqs > 0) {
      cuda::DecodeAttention(act, a.q, kc, vc, dev.table.get(), lay.paged.max_blocks,
                            dev.lengths.get(), seqs, a.attn, attn, stream);
    }
    if (s.prefill_tokens > 0) {
      const int64_t base = lay.prefill_base * dkv;
      cuda::PrefillAttention(act, At(act, a.q, seqs * dq), At(act, kc, base), At(act, vc, base),
                             At(act, a.attn, seqs * dq), s.prefill_tokens, 0, attn, stream);
    }
    gemm.Run(wt, act, In(a.attn), w.o, a.hidden, t, dq, h);
    cuda::AddRmsNorm(act, a.hidden, a.residual, w.norm2, a.residual, a.normed, t, h, stream);
    gemm.Run(wt, act, In(a.normed), w.gate_up, a.gate_up, t, h, 2 * f);
    cuda::SiluMul(act, a.gate_up, a.act, t, f, stream);
    gemm.Run(wt, act, In(a.act), w.down, a.hidden, t, f, h);
  }

  void Run(const StepWeights& w, const std::vector<void*>& caches) const {
    const int64_t h = dims.hidden, rows = static_cast<int64_t>(lay.out_rows.size());
    cuda::Embedding(act, dev.ids.get(), w.embedding, a.hidden, t, h, stream);
    Check(cudaMemsetAsync(a.residual, 0, static_cast<size_t>(t * h * es), stream), "memset");
    for (size_t l = 0; l < w.layers.size(); ++l)
      Layer(w.layers[l], caches[2 * l], caches[2 * l + 1]);
    cuda::AddRmsNorm(act, a.hidden, a.residual, w.final_norm, a.residual, a.normed, t, h, stream);
    cuda::GatherRows(act, a.normed, dev.out_rows.get(), a.lm_in, rows, h, stream);
    gemm.Run(act, DType::kF32, a.lm_in, w.lm_head, a.logits, rows, h, dims.vocab_local);
    cuda::Argmax(static_cast<const float*>(w.gathered), dev.sampled.get(), rows, dims.vocab,
                 stream);
  }
};

Measurement CudaBackend::Step(const StepShape& s) {
  const StepLayout lay = MakeStepLayout(s, dims_, &rng_);
  const DeviceLayout dev(lay);
  const int64_t t = lay.Tokens(), h = dims_.hidden, f = dims_.ffn, vl = dims_.vocab_local;
  const int64_t dq = attn_.heads * attn_.head_dim, dkv = attn_.kv_heads * attn_.head_dim;
  const int64_t nqkv = dq + 2 * dkv, es = static_cast<int64_t>(SizeOf(act_));
  const int64_t rows = static_cast<int64_t>(lay.out_rows.size()), cache = lay.cache_tokens * dkv;
  // One Reserve per pool covers everything taken from it below (Reserve invalidates blocks).
  act_in_->Reserve(2 * s.layers * cache + vl * h + (2 * s.layers + 1) * h + h * vl);
  w_in_->Reserve(s.layers * (h * nqkv + dq * h + 3 * h * f) + t * std::max(h, f));
  f32_in_->Reserve(rows * dims_.vocab);
  out_->Reserve(
      (es * (4 * t * h + t * nqkv + 2 * t * dq + t * dkv + 3 * t * f + rows * h) + 4 * rows * vl) /
          4 +
      64);
  std::vector<void*> caches;  // K and V per layer, random contents
  for (int64_t l = 0; l < 2 * s.layers; ++l) caches.push_back(act_in_->Take(cache));
  const Activations a{TakeOut(t * h * es),    TakeOut(t * h * es),     TakeOut(t * h * es),
                      TakeOut(t * nqkv * es), TakeOut(t * dq * es),    TakeOut(t * dkv * es),
                      TakeOut(t * dq * es),   TakeOut(t * 2 * f * es), TakeOut(t * f * es),
                      TakeOut(rows * h * es), TakeOut(rows * vl * 4)};
  void* x8 = wt_ == DType::kFp8 ? w_in_->Take(t * std::max(h, f)) : nullptr;
  const CudaStepRun step{s,       lay, dev, dims_, attn_, act_, wt_,  *gemm_, cos_sin_.get(),
                         stream_, a,   x8,  t,     dq,    dkv,  nqkv, es};
  const auto make = [&] {
    StepWeights w{act_in_->Take(vl * h), {}, nullptr, nullptr, nullptr};
    for (int64_t l = 0; l < s.layers; ++l) {
      w.layers.push_back({act_in_->Take(h), w_in_->Take(h * nqkv), w_in_->Take(dq * h),
                          act_in_->Take(h), w_in_->Take(h * 2 * f), w_in_->Take(f * h)});
    }
    w.final_norm = act_in_->Take(h);
    w.lm_head = act_in_->Take(h * vl);
    w.gathered = vl < dims_.vocab ? f32_in_->Take(rows * dims_.vocab) : a.logits;
    return w;
  };
  return {TimeMedian(make, [&](const StepWeights& w) { step.Run(w, caches); }), 0};
}

}  // namespace servesim::cuda
