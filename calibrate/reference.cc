#include "calibrate/reference.h"

#include <algorithm>
#include <cmath>

namespace servesim::ref {

void Gemm(const float* x, const float* w, float* y, int64_t row_begin, int64_t row_end, int64_t k,
          int64_t n) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t i = 0; i < k; ++i) acc += double{x[r * k + i]} * w[i * n + j];
      y[r * n + j] = static_cast<float>(acc);
    }
  }
}

namespace {

// Attention of one query vector over `keys` keys fetched by `key_at(j)` (returns a row offset
// into k and v), written to out.
template <typename KeyAt>
void AttendOne(const float* qv, const float* k, const float* v, int64_t keys, int64_t hd,
               KeyAt key_at, float* out) {
  std::vector<double> s(static_cast<size_t>(keys));
  double mx = -1e300;
  for (int64_t j = 0; j < keys; ++j) {
    double dot = 0;
    for (int64_t e = 0; e < hd; ++e) dot += double{qv[e]} * k[key_at(j) + e];
    s[j] = dot / std::sqrt(static_cast<double>(hd));
    mx = std::max(mx, s[j]);
  }
  double sum = 0;
  for (double& x : s) sum += (x = std::exp(x - mx));
  for (int64_t e = 0; e < hd; ++e) {
    double acc = 0;
    for (int64_t j = 0; j < keys; ++j) acc += s[j] * v[key_at(j) + e];
    out[e] = static_cast<float>(acc / sum);
  }
}

}  // namespace

void PrefillAttention(const float* q, const float* k, const float* v, float* o, int64_t row_begin,
                      int64_t row_end, int64_t context, const AttnDims& d) {
  const int64_t hd = d.head_dim;
  for (int64_t i = row_begin; i < row_end; ++i) {
    for (int64_t h = 0; h < d.heads; ++h) {
      const int64_t g = h / d.Group();
      const auto key_at = [&](int64_t j) { return (j * d.kv_heads + g) * hd; };
      const int64_t off = (i * d.heads + h) * hd;
      AttendOne(q + off, k, v, context + i + 1, hd, key_at, o + off);
    }
  }
}

void DecodeAttention(const float* q, const float* k_cache, const float* v_cache,
                     const int32_t* block_table, int64_t max_blocks, const int32_t* lengths,
                     int64_t seqs, float* o, const AttnDims& d) {
  const int64_t hd = d.head_dim, bs = d.block_size;
  for (int64_t b = 0; b < seqs; ++b) {
    for (int64_t h = 0; h < d.heads; ++h) {
      const int64_t g = h / d.Group();
      const auto key_at = [&](int64_t j) {
        const int64_t block = block_table[b * max_blocks + j / bs];
        return ((block * bs + j % bs) * d.kv_heads + g) * hd;
      };
      const int64_t off = (b * d.heads + h) * hd;
      AttendOne(q + off, k_cache, v_cache, lengths[b], hd, key_at, o + off);
    }
  }
}

void AddRmsNorm(const float* x, const float* residual, const float* w, float* residual_out,
                float* y, int64_t rows, int64_t h) {
  for (int64_t r = 0; r < rows; ++r) {
    double ss = 0;
    for (int64_t i = 0; i < h; ++i) {
      const double v = double{x[r * h + i]} + residual[r * h + i];
      residual_out[r * h + i] = static_cast<float>(v);
      ss += v * v;
    }
    const double inv = 1.0 / std::sqrt(ss / static_cast<double>(h) + kRmsNormEps);
    for (int64_t i = 0; i < h; ++i) {
      y[r * h + i] = static_cast<float>((double{x[r * h + i]} + residual[r * h + i]) * inv * w[i]);
    }
  }
}

void Rotary(const float* q, const float* k, const int64_t* positions, float* q_out, float* k_out,
            int64_t rows, const AttnDims& d) {
  const int64_t hd = d.head_dim, half = hd / 2;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t h = 0; h < d.heads + d.kv_heads; ++h) {
      const bool is_q = h < d.heads;
      const int64_t off = is_q ? (r * d.heads + h) * hd : (r * d.kv_heads + h - d.heads) * hd;
      const float* in = (is_q ? q : k) + off;
      float* out = (is_q ? q_out : k_out) + off;
      for (int64_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>(positions[r]) *
                             std::pow(kRopeTheta, -2.0 * static_cast<double>(i) / hd);
        const double c = std::cos(angle), s = std::sin(angle);
        out[i] = static_cast<float>(in[i] * c - in[i + half] * s);
        out[i + half] = static_cast<float>(in[i + half] * c + in[i] * s);
      }
    }
  }
}

void SiluMul(const float* gate_up, float* out, int64_t rows, int64_t f) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < f; ++i) {
      const double g = gate_up[r * 2 * f + i], u = gate_up[r * 2 * f + f + i];
      out[r * f + i] = static_cast<float>(g / (1 + std::exp(-g)) * u);
    }
  }
}

std::vector<float> CosSinCache(int64_t max_position, int64_t head_dim) {
  const int64_t half = head_dim / 2;
  std::vector<float> cache(static_cast<size_t>(max_position * head_dim));
  for (int64_t p = 0; p < max_position; ++p) {
    for (int64_t i = 0; i < half; ++i) {
      const double angle =
          static_cast<double>(p) * std::pow(kRopeTheta, -2.0 * static_cast<double>(i) / head_dim);
      cache[p * head_dim + i] = static_cast<float>(std::cos(angle));
      cache[p * head_dim + half + i] = static_cast<float>(std::sin(angle));
    }
  }
  return cache;
}

double NormalisedError(const float* out, const float* ref, int64_t n) {
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double diff = std::abs(double{out[i]} - ref[i]);
    max_diff = std::isnan(diff) ? 1e300 : std::max(max_diff, diff);
    max_ref = std::max(max_ref, std::abs(double{ref[i]}));
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

double ArgmaxError(const float* logits, const int32_t* ids, int64_t rows, int64_t vocab) {
  double worst = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = logits + r * vocab;
    const double mx = *std::max_element(row, row + vocab);
    const bool valid = ids[r] >= 0 && ids[r] < vocab;
    const double gap = valid ? (mx - row[ids[r]]) / std::abs(mx) : 1e300;
    worst = std::max(worst, gap);
  }
  return worst;
}

}  // namespace servesim::ref
