// CpuBackend::Step: a whole engine step through a stack of layers built from the CPU kernels,
// in the order a vLLM-style engine runs them; the harness compares its time with the sum of the
// per-op times it predicts from the profile.
#include <algorithm>
#include <cstring>

#include "calibrate/cpu_backend.h"
#include "calibrate/cpu_kernels.h"
#include "calibrate/step_layout.h"

namespace servesim {
namespace {

struct LayerWeights {
  const float *norm1, *qkv, *o, *norm2, *gate_up, *down;
};

struct StepWeights {
  const float* embedding;
  std::vector<LayerWeights> layers;
  const float *final_norm, *lm_head, *gathered_logits;
};

// One step's state: shapes, indices, KV caches and activations (allocated once, outside the
// timed region); Run() is what is timed.
struct CpuStep {
  CpuStep(const StepShape& s, const StepLayout& l, const KernelDims& d, const AttnDims& a,
          const float* cos_sin)
      : shape(s), lay(l), dims(d), attn(a), cos_sin(cos_sin) {
    t = l.Tokens();
    dq = a.heads * a.head_dim;
    dkv = a.kv_heads * a.head_dim;
    nqkv = dq + 2 * dkv;
    rows_out = static_cast<int64_t>(l.out_rows.size());
    const auto n = [](int64_t x) { return static_cast<size_t>(x); };
    hidden.resize(n(t * d.hidden));
    residual.resize(n(t * d.hidden));
    normed.resize(n(t * d.hidden));
    qkv.resize(n(t * nqkv));
    q.resize(n(t * dq));
    k.resize(n(t * dkv));
    attn_out.resize(n(t * dq));
    gate_up.resize(n(t * 2 * d.ffn));
    act.resize(n(t * d.ffn));
    lm_in.resize(n(rows_out * d.hidden));
    logits.resize(n(rows_out * d.vocab_local));
    sampled.resize(n(rows_out));
  }

  void Layer(const LayerWeights& w, float* kc, float* vc) {
    const int64_t h = dims.hidden, f = dims.ffn, seqs = shape.decode_seqs;
    cpu::AddRmsNorm(hidden.data(), residual.data(), w.norm1, residual.data(), normed.data(), t, h);
    cpu::Gemm(normed.data(), w.qkv, qkv.data(), t, h, nqkv);
    cpu::Rotary(qkv.data(), nqkv, qkv.data() + dq, nqkv, lay.positions.data(), cos_sin, q.data(),
                k.data(), t, attn);
    cpu::KvWrite(k.data(), dkv, qkv.data() + dq + dkv, nqkv, lay.slots.data(), kc, vc, t, dkv);
    if (seqs > 0) {
      cpu::DecodeAttention(q.data(), kc, vc, lay.paged.table.data(), lay.paged.max_blocks,
                           lay.paged.lengths.data(), seqs, attn_out.data(), attn);
    }
    if (shape.prefill_tokens > 0) {
      const int64_t base = lay.prefill_base * dkv;
      cpu::PrefillAttention(q.data() + seqs * dq, kc + base, vc + base, attn_out.data() + seqs * dq,
                            shape.prefill_tokens, 0, attn);
    }
    cpu::Gemm(attn_out.data(), w.o, hidden.data(), t, dq, h);
    cpu::AddRmsNorm(hidden.data(), residual.data(), w.norm2, residual.data(), normed.data(), t, h);
    cpu::Gemm(normed.data(), w.gate_up, gate_up.data(), t, h, 2 * f);
    cpu::SiluMul(gate_up.data(), act.data(), t, f);
    cpu::Gemm(act.data(), w.down, hidden.data(), t, f, h);
  }

  void Run(const StepWeights& w, std::vector<std::vector<float>>* caches) {
    const int64_t h = dims.hidden;
    cpu::Embedding(lay.ids.data(), w.embedding, hidden.data(), t, h);
    std::fill(residual.begin(), residual.end(), 0.0f);
    for (size_t l = 0; l < w.layers.size(); ++l) {
      Layer(w.layers[l], (*caches)[2 * l].data(), (*caches)[2 * l + 1].data());
    }
    cpu::AddRmsNorm(hidden.data(), residual.data(), w.final_norm, residual.data(), normed.data(), t,
                    h);
    for (int64_t r = 0; r < rows_out; ++r) {
      std::memcpy(lm_in.data() + r * h, normed.data() + int64_t{lay.out_rows[r]} * h,
                  static_cast<size_t>(h) * sizeof(float));
    }
    cpu::Gemm(lm_in.data(), w.lm_head, logits.data(), rows_out, h, dims.vocab_local);
    const float* full = w.gathered_logits ? w.gathered_logits : logits.data();
    cpu::Argmax(full, sampled.data(), rows_out, dims.vocab);
  }

  const StepShape& shape;
  const StepLayout& lay;
  const KernelDims& dims;
  const AttnDims& attn;
  const float* cos_sin;
  int64_t t, dq, dkv, nqkv, rows_out;
  std::vector<float> hidden, residual, normed, qkv, q, k, attn_out, gate_up, act, lm_in, logits;
  std::vector<int32_t> sampled;
};

}  // namespace

Measurement CpuBackend::Step(const StepShape& s) {
  const StepLayout lay = MakeStepLayout(s, dims_, &rng_);
  CpuStep step(s, lay, dims_, attn_, cos_sin_.data());
  const int64_t h = dims_.hidden, vl = dims_.vocab_local, f = dims_.ffn;
  const int64_t cache = lay.cache_tokens * step.dkv;
  std::vector<std::vector<float>> caches;  // K and V per layer, random contents
  for (int64_t l = 0; l < 2 * s.layers; ++l) {
    in_.Reserve(cache);
    const float* src = in_.Take(cache);
    caches.emplace_back(src, src + cache);
  }
  const int64_t layer_floats = 2 * h + h * step.nqkv + step.dq * h + 3 * h * f;
  in_.Reserve(vl * h + s.layers * layer_floats + h + h * vl + step.rows_out * dims_.vocab);
  const auto make = [&] {
    StepWeights w{in_.Take(vl * h), {}, nullptr, nullptr, nullptr};
    for (int64_t l = 0; l < s.layers; ++l) {
      w.layers.push_back({in_.Take(h), in_.Take(h * step.nqkv), in_.Take(step.dq * h), in_.Take(h),
                          in_.Take(h * 2 * f), in_.Take(f * h)});
    }
    w.final_norm = in_.Take(h);
    w.lm_head = in_.Take(h * vl);
    w.gathered_logits = vl < dims_.vocab ? in_.Take(step.rows_out * dims_.vocab) : nullptr;
    return w;
  };
  return {MedianSeconds(timing_, make, [&](const StepWeights& w) { step.Run(w, &caches); }), 0};
}

}  // namespace servesim
