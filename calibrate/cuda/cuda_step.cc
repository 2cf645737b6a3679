// CudaBackend::Step: a whole engine step through a stack of layers built from the CUDA kernels,
// in the order a vLLM-style engine runs them (see calibrate/cpu_step.cc for the CPU twin).
#include <algorithm>

#include "calibrate/cuda/cuda_backend_impl.h"
#include "sim/core/check.h"

namespace servesim::cuda {
namespace {

struct LayerWeights {
  void *norm1, *qkv, *o, *norm2, *gate_up, *down;
};

// Activations of one step, allocated once (outside the timed region).
struct Activations {
  void *hidden, *residual, *normed, *qkv, *q, *k, *attn, *gate_up, *act, *lm_in, *logits;
};

}  // namespace

Measurement CudaBackend::Step(const StepShape& s) {
  const int64_t seqs = s.decode_seqs, prefill = s.prefill_tokens, t = seqs + prefill;
  SERVESIM_CHECK(t > 0 && s.layers >= 1 && (seqs == 0 || s.kv_len >= 1));
  const int64_t h = dims_.hidden, dq = attn_.heads * attn_.head_dim;
  const int64_t dkv = attn_.kv_heads * attn_.head_dim, nqkv = dq + 2 * dkv, f = dims_.ffn;
  const int64_t vl = dims_.vocab_local, rows_out = seqs + (prefill > 0 ? 1 : 0);
  const int64_t es = static_cast<int64_t>(SizeOf(act_));
  const Paged paged = MakePaged(std::vector<int64_t>(static_cast<size_t>(seqs), s.kv_len));
  const int64_t base = paged.blocks * attn_.block_size, cache_tokens = base + prefill;
  std::vector<int64_t> slots, positions;
  std::vector<int32_t> ids, out_rows;
  for (int64_t b = 0; b < seqs; ++b) {
    const int64_t last = s.kv_len - 1;
    slots.push_back(paged.table[b * paged.max_blocks + last / attn_.block_size] *
                        attn_.block_size + last % attn_.block_size);
    positions.push_back(std::min(last, dims_.max_position - 1));
    out_rows.push_back(static_cast<int32_t>(b));
  }
  for (int64_t i = 0; i < prefill; ++i) {
    slots.push_back(base + i);
    positions.push_back(std::min(i, dims_.max_position - 1));
  }
  if (prefill > 0) out_rows.push_back(static_cast<int32_t>(t - 1));
  for (int64_t i = 0; i < t; ++i) ids.push_back(static_cast<int32_t>(rng_.UniformInt(0, vl - 1)));
  const DeviceArray<int64_t> d_slots(slots), d_pos(positions);
  const DeviceArray<int32_t> d_ids(ids), d_rows(out_rows), d_table(paged.table),
      d_lengths(paged.lengths), d_sampled(std::vector<int32_t>(static_cast<size_t>(rows_out)));

  // KV caches per layer and activations: taken once from the pools, outside the timed region.
  act_in_->Reserve(2 * s.layers * cache_tokens * dkv);
  std::vector<std::pair<void*, void*>> caches;
  for (int64_t l = 0; l < s.layers; ++l) {
    caches.emplace_back(act_in_->Take(cache_tokens * dkv), act_in_->Take(cache_tokens * dkv));
  }
  const int64_t act_elems = 4 * t * h + t * nqkv + t * dq + t * dkv + t * dq + t * 3 * f +
                            rows_out * h;
  out_->Reserve((act_elems * es + rows_out * vl * 4) / 4 + 64);
  Activations a{TakeOut(t * h * es), TakeOut(t * h * es), TakeOut(t * h * es),
                TakeOut(t * nqkv * es), TakeOut(t * dq * es), TakeOut(t * dkv * es),
                TakeOut(t * dq * es), TakeOut(t * 2 * f * es), TakeOut(t * f * es),
                TakeOut(rows_out * h * es), TakeOut(rows_out * vl * 4)};
  const DType wt = wt_;
  DevicePool& w_pool = *w_in_;
  const int64_t layer_w = h * nqkv + dq * h + h * 2 * f + f * h;
  w_pool.Reserve(s.layers * layer_w);
  act_in_->Reserve(vl * h + (2 * s.layers + 1) * h + h * vl + rows_out * dims_.vocab);
  f32_in_->Reserve(rows_out * dims_.vocab);

  struct Weights {
    void* embedding;
    std::vector<LayerWeights> layers;
    void *final_norm, *lm_head, *gathered;
  };
  const auto make = [&] {
    Weights w{act_in_->Take(vl * h), {}, nullptr, nullptr, nullptr};
    for (int64_t l = 0; l < s.layers; ++l) {
      w.layers.push_back({act_in_->Take(h), w_pool.Take(h * nqkv), w_pool.Take(dq * h),
                          act_in_->Take(h), w_pool.Take(h * 2 * f), w_pool.Take(f * h)});
    }
    w.final_norm = act_in_->Take(h);
    w.lm_head = act_in_->Take(h * vl);
    w.gathered = vl < dims_.vocab ? f32_in_->Take(rows_out * dims_.vocab) : a.logits;
    return w;
  };
  // fp8 GEMMs read fp8 activations: the quantisation is fused into the producing kernel in real
  // engines, so here the activations come from the fp8 weight pool (random, not timed).
  void* fp8_x = wt == DType::kFp8 ? w_pool.Take(t * std::max(h, f)) : nullptr;
  const auto in_x = [&](void* x) { return fp8_x ? fp8_x : x; };
  const auto run = [&](const Weights& w) {
    cuda::Embedding(act_, d_ids.get(), w.embedding, a.hidden, t, h, stream_);
    Check(cudaMemsetAsync(a.residual, 0, t * h * es, stream_), "cudaMemsetAsync");
    for (int64_t l = 0; l < s.layers; ++l) {
      const LayerWeights& lw = w.layers[l];
      void *kc = caches[l].first, *vc = caches[l].second;
      cuda::AddRmsNorm(act_, a.hidden, a.residual, lw.norm1, a.residual, a.normed, t, h, stream_);
      gemm_->Run(wt, act_, in_x(a.normed), lw.qkv, a.qkv, t, h, nqkv);
      cuda::Rotary(act_, a.qkv, nqkv, At(act_, a.qkv, dq), nqkv, d_pos.get(), cos_sin_.get(), a.q,
                   a.k, t, attn_, stream_);
      cuda::KvWrite(act_, a.k, dkv, At(act_, a.qkv, dq + dkv), nqkv, d_slots.get(), kc, vc, t, dkv,
                    stream_);
      if (seqs > 0) {
        cuda::DecodeAttention(act_, a.q, kc, vc, d_table.get(), paged.max_blocks, d_lengths.get(),
                              seqs, a.attn, attn_, stream_);
      }
      if (prefill > 0) {
        cuda::PrefillAttention(act_, At(act_, a.q, seqs * dq), At(act_, kc, base * dkv),
                               At(act_, vc, base * dkv), At(act_, a.attn, seqs * dq), prefill, 0,
                               attn_, stream_);
      }
      gemm_->Run(wt, act_, in_x(a.attn), lw.o, a.hidden, t, dq, h);
      cuda::AddRmsNorm(act_, a.hidden, a.residual, lw.norm2, a.residual, a.normed, t, h, stream_);
      gemm_->Run(wt, act_, in_x(a.normed), lw.gate_up, a.gate_up, t, h, 2 * f);
      cuda::SiluMul(act_, a.gate_up, a.act, t, f, stream_);
      gemm_->Run(wt, act_, in_x(a.act), lw.down, a.hidden, t, f, h);
    }
    cuda::AddRmsNorm(act_, a.hidden, a.residual, w.final_norm, a.residual, a.normed, t, h, stream_);
    cuda::GatherRows(act_, a.normed, d_rows.get(), a.lm_in, rows_out, h, stream_);
    gemm_->Run(act_, DType::kF32, a.lm_in, w.lm_head, a.logits, rows_out, h, vl);
    cuda::Argmax(static_cast<const float*>(w.gathered), d_sampled.get(), rows_out, dims_.vocab,
                 stream_);
  };
  return {TimeMedian(make, run), 0};
}

}  // namespace servesim::cuda
