// CpuBackend::Step: a whole engine step through a stack of layers built from the CPU kernels,
// in the order a vLLM-style engine runs them; the harness compares its time with the sum of the
// per-op times it predicts from the profile.
#include <algorithm>
#include <cstring>

#include "calibrate/cpu_backend.h"
#include "calibrate/cpu_kernels.h"
#include "sim/core/check.h"

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

}  // namespace

Measurement CpuBackend::Step(const StepShape& s) {
  const int64_t seqs = s.decode_seqs, prefill = s.prefill_tokens, t = seqs + prefill;
  SERVESIM_CHECK(t > 0 && s.layers >= 1 && (seqs == 0 || s.kv_len >= 1));
  const int64_t h = dims_.hidden, dq = attn_.heads * attn_.head_dim;
  const int64_t dkv = attn_.kv_heads * attn_.head_dim, nqkv = dq + 2 * dkv, f = dims_.ffn;
  const int64_t vl = dims_.vocab_local, rows_out = seqs + (prefill > 0 ? 1 : 0);
  // The decode sequences' blocks, then the prefill chunk's tokens at consecutive slots.
  const Paged paged = MakePaged(std::vector<int64_t>(static_cast<size_t>(seqs), s.kv_len));
  const int64_t base = paged.blocks * attn_.block_size, cache_tokens = base + prefill;
  std::vector<int64_t> slots, positions;
  for (int64_t b = 0; b < seqs; ++b) {
    const int64_t last = s.kv_len - 1;
    slots.push_back(paged.table[b * paged.max_blocks + last / attn_.block_size] *
                        attn_.block_size + last % attn_.block_size);
    positions.push_back(std::min(last, dims_.max_position - 1));
  }
  for (int64_t i = 0; i < prefill; ++i) {
    slots.push_back(base + i);
    positions.push_back(std::min(i, dims_.max_position - 1));
  }
  std::vector<int32_t> ids(static_cast<size_t>(t)), sampled(static_cast<size_t>(rows_out));
  for (int32_t& id : ids) id = static_cast<int32_t>(rng_.UniformInt(0, vl - 1));
  // Per-layer KV caches (random contents) and activations, allocated once.
  std::vector<std::vector<float>> k_cache, v_cache;
  for (int64_t l = 0; l < s.layers; ++l) {
    in_.Reserve(cache_tokens * dkv);
    const float* src = in_.Take(cache_tokens * dkv);
    k_cache.emplace_back(src, src + cache_tokens * dkv);
    v_cache.emplace_back(src, src + cache_tokens * dkv);
  }
  std::vector<float> hidden(t * h), residual(t * h, 0.0f), normed(t * h), qkv(t * nqkv),
      q(t * dq), k(t * dkv), attn(t * dq), gate_up(t * 2 * f), act(t * f), lm_in(rows_out * h),
      logits(rows_out * vl);

  const int64_t layer_floats = 2 * h + h * nqkv + dq * h + h * 2 * f + f * h;
  in_.Reserve(vl * h + s.layers * layer_floats + h + h * vl + rows_out * dims_.vocab);
  const auto make = [&] {
    StepWeights w;
    w.embedding = in_.Take(vl * h);
    for (int64_t l = 0; l < s.layers; ++l) {
      w.layers.push_back({in_.Take(h), in_.Take(h * nqkv), in_.Take(dq * h), in_.Take(h),
                          in_.Take(h * 2 * f), in_.Take(f * h)});
    }
    w.final_norm = in_.Take(h);
    w.lm_head = in_.Take(h * vl);
    w.gathered_logits = vl < dims_.vocab ? in_.Take(rows_out * dims_.vocab) : nullptr;
    return w;
  };
  const auto run = [&](const StepWeights& w) {
    cpu::Embedding(ids.data(), w.embedding, hidden.data(), t, h);
    std::fill(residual.begin(), residual.end(), 0.0f);
    for (int64_t l = 0; l < s.layers; ++l) {
      const LayerWeights& lw = w.layers[l];
      float *kc = k_cache[l].data(), *vc = v_cache[l].data();
      cpu::AddRmsNorm(hidden.data(), residual.data(), lw.norm1, residual.data(), normed.data(), t, h);
      cpu::Gemm(normed.data(), lw.qkv, qkv.data(), t, h, nqkv);
      cpu::Rotary(qkv.data(), nqkv, qkv.data() + dq, nqkv, positions.data(), cos_sin_.data(),
                  q.data(), k.data(), t, attn_);
      cpu::KvWrite(k.data(), dkv, qkv.data() + dq + dkv, nqkv, slots.data(), kc, vc, t, dkv);
      if (seqs > 0) {
        cpu::DecodeAttention(q.data(), kc, vc, paged.table.data(), paged.max_blocks,
                             paged.lengths.data(), seqs, attn.data(), attn_);
      }
      if (prefill > 0) {
        cpu::PrefillAttention(q.data() + seqs * dq, kc + base * dkv, vc + base * dkv,
                              attn.data() + seqs * dq, prefill, 0, attn_);
      }
      cpu::Gemm(attn.data(), lw.o, hidden.data(), t, dq, h);
      cpu::AddRmsNorm(hidden.data(), residual.data(), lw.norm2, residual.data(), normed.data(), t, h);
      cpu::Gemm(normed.data(), lw.gate_up, gate_up.data(), t, h, 2 * f);
      cpu::SiluMul(gate_up.data(), act.data(), t, f);
      cpu::Gemm(act.data(), lw.down, hidden.data(), t, f, h);
    }
    cpu::AddRmsNorm(hidden.data(), residual.data(), w.final_norm, residual.data(), normed.data(), t, h);
    // Logits rows: every decode sequence and the prefill chunk's last token.
    std::memcpy(lm_in.data(), normed.data(), static_cast<size_t>(seqs * h) * sizeof(float));
    if (prefill > 0) {
      std::memcpy(lm_in.data() + seqs * h, normed.data() + (t - 1) * h, h * sizeof(float));
    }
    cpu::Gemm(lm_in.data(), w.lm_head, logits.data(), rows_out, h, vl);
    const float* full = w.gathered_logits ? w.gathered_logits : logits.data();
    cpu::Argmax(full, sampled.data(), rows_out, dims_.vocab);
  };
  return {MedianSeconds(timing_, make, run), 0};
}

}  // namespace servesim
