#include "calibrate/cpu_kernels.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace servesim::cpu {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using CMap = Eigen::Map<const RowMat, 0, Eigen::OuterStride<>>;
using Map = Eigen::Map<RowMat, 0, Eigen::OuterStride<>>;
using Idx = Eigen::Index;

constexpr int64_t kQueryTile = 64;

// Row-wise softmax of s (entries of -inf are masked out).
void SoftmaxRows(RowMat* s) {
  for (Idx r = 0; r < s->rows(); ++r) {
    auto row = s->row(r).array();
    row = (row - row.maxCoeff()).exp();
    row /= row.sum();
  }
}

// One query tile [i0, i1) of one head: scores against keys 0 .. context + i1, causal mask.
void PrefillTile(const CMap& q, const CMap& k, const CMap& v, Map* o, int64_t i0, int64_t i1,
                 int64_t context, float scale) {
  const Idx keys = static_cast<Idx>(context + i1);
  RowMat s = (q.middleRows(i0, i1 - i0) * k.topRows(keys).transpose()) * scale;
  for (int64_t i = i0; i < i1; ++i) {
    const Idx first_masked = static_cast<Idx>(context + i + 1);
    if (first_masked < keys) {
      s.row(i - i0).tail(keys - first_masked).setConstant(-std::numeric_limits<float>::infinity());
    }
  }
  SoftmaxRows(&s);
  o->middleRows(i0, i1 - i0).noalias() = s * v.topRows(keys);
}

}  // namespace

void Gemm(const float* x, const float* w, float* y, int64_t rows, int64_t k, int64_t n) {
  Eigen::Map<const RowMat> xm(x, rows, k), wm(w, k, n);
  Eigen::Map<RowMat> ym(y, rows, n);
  ym.noalias() = xm * wm;
}

void PrefillAttention(const float* q, const float* k, const float* v, float* o, int64_t chunk,
                      int64_t context, const AttnDims& d) {
  const int64_t hd = d.head_dim, keys = context + chunk;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int64_t h = 0; h < d.heads; ++h) {
    const int64_t g = h / d.Group();
    const CMap qh(q + h * hd, chunk, hd, Eigen::OuterStride<>(d.heads * hd));
    const CMap kg(k + g * hd, keys, hd, Eigen::OuterStride<>(d.kv_heads * hd));
    const CMap vg(v + g * hd, keys, hd, Eigen::OuterStride<>(d.kv_heads * hd));
    Map oh(o + h * hd, chunk, hd, Eigen::OuterStride<>(d.heads * hd));
    for (int64_t i0 = 0; i0 < chunk; i0 += kQueryTile) {
      PrefillTile(qh, kg, vg, &oh, i0, std::min(chunk, i0 + kQueryTile), context, scale);
    }
  }
}

void DecodeAttention(const float* q, const float* k_cache, const float* v_cache,
                     const int32_t* block_table, int64_t max_blocks, const int32_t* lengths,
                     int64_t seqs, float* o, const AttnDims& d) {
  const int64_t hd = d.head_dim, group = d.Group(), bs = d.block_size;
  const int64_t token_stride = d.kv_heads * hd;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  RowMat s;
  for (int64_t b = 0; b < seqs; ++b) {
    const int64_t len = lengths[b];
    const int32_t* table = block_table + b * max_blocks;
    for (int64_t g = 0; g < d.kv_heads; ++g) {
      const CMap qg(q + (b * d.heads + g * group) * hd, group, hd, Eigen::OuterStride<>(hd));
      s.resize(group, len);
      for (int64_t j0 = 0; j0 < len; j0 += bs) {
        const int64_t n = std::min(bs, len - j0);
        const CMap kb(k_cache + (table[j0 / bs] * bs * d.kv_heads + g) * hd, n, hd,
                      Eigen::OuterStride<>(token_stride));
        s.middleCols(j0, n).noalias() = qg * kb.transpose();
      }
      s *= scale;
      SoftmaxRows(&s);
      Map og(o + (b * d.heads + g * group) * hd, group, hd, Eigen::OuterStride<>(hd));
      og.setZero();
      for (int64_t j0 = 0; j0 < len; j0 += bs) {
        const int64_t n = std::min(bs, len - j0);
        const CMap vb(v_cache + (table[j0 / bs] * bs * d.kv_heads + g) * hd, n, hd,
                      Eigen::OuterStride<>(token_stride));
        og.noalias() += s.middleCols(j0, n) * vb;
      }
    }
  }
}

void AddRmsNorm(const float* x, const float* residual, const float* w, float* residual_out,
                float* y, int64_t rows, int64_t h) {
  const Eigen::Map<const Eigen::ArrayXf> wa(w, h);
  for (int64_t r = 0; r < rows; ++r) {
    Eigen::Map<Eigen::ArrayXf> res(residual_out + r * h, h), out(y + r * h, h);
    res = Eigen::Map<const Eigen::ArrayXf>(x + r * h, h) +
          Eigen::Map<const Eigen::ArrayXf>(residual + r * h, h);
    const float inv = 1.0f / std::sqrt(res.square().mean() + kRmsNormEps);
    out = res * inv * wa;
  }
}

void Rotary(const float* q, int64_t q_stride, const float* k, int64_t k_stride,
            const int64_t* positions, const float* cos_sin, float* q_out, float* k_out,
            int64_t rows, const AttnDims& d) {
  const int64_t half = d.head_dim / 2;
  for (int64_t r = 0; r < rows; ++r) {
    const Eigen::Map<const Eigen::ArrayXf> c(cos_sin + positions[r] * d.head_dim, half);
    const Eigen::Map<const Eigen::ArrayXf> s(cos_sin + positions[r] * d.head_dim + half, half);
    for (int64_t h = 0; h < d.heads + d.kv_heads; ++h) {
      const bool is_q = h < d.heads;
      const int64_t head = is_q ? h : h - d.heads;
      const float* in =
          is_q ? q + r * q_stride + head * d.head_dim : k + r * k_stride + head * d.head_dim;
      float* out = is_q ? q_out + (r * d.heads + head) * d.head_dim
                        : k_out + (r * d.kv_heads + head) * d.head_dim;
      const Eigen::Map<const Eigen::ArrayXf> x1(in, half), x2(in + half, half);
      Eigen::Map<Eigen::ArrayXf>(out, half) = x1 * c - x2 * s;
      Eigen::Map<Eigen::ArrayXf>(out + half, half) = x2 * c + x1 * s;
    }
  }
}

void SiluMul(const float* gate_up, float* out, int64_t rows, int64_t f) {
  for (int64_t r = 0; r < rows; ++r) {
    const Eigen::Map<const Eigen::ArrayXf> g(gate_up + r * 2 * f, f), u(gate_up + r * 2 * f + f, f);
    Eigen::Map<Eigen::ArrayXf>(out + r * f, f) = g / (1.0f + (-g).exp()) * u;
  }
}

void KvWrite(const float* k, int64_t k_stride, const float* v, int64_t v_stride,
             const int64_t* slots, float* k_cache, float* v_cache, int64_t rows, int64_t kv_dim) {
  const size_t bytes = static_cast<size_t>(kv_dim) * sizeof(float);
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(k_cache + slots[r] * kv_dim, k + r * k_stride, bytes);
    std::memcpy(v_cache + slots[r] * kv_dim, v + r * v_stride, bytes);
  }
}

void Embedding(const int32_t* ids, const float* table, float* out, int64_t rows, int64_t h) {
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(out + r * h, table + static_cast<int64_t>(ids[r]) * h,
                static_cast<size_t>(h) * sizeof(float));
  }
}

void Argmax(const float* logits, int32_t* ids, int64_t rows, int64_t vocab) {
  for (int64_t r = 0; r < rows; ++r) {
    Idx best = 0;
    Eigen::Map<const Eigen::ArrayXf>(logits + r * vocab, vocab).maxCoeff(&best);
    ids[r] = static_cast<int32_t>(best);
  }
}

}  // namespace servesim::cpu
