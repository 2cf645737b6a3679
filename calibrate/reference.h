// Reference kernels: the plain, obviously-correct loops (double accumulation) that every
// backend's kernels are checked against before they are timed, in the layouts of
// calibrate/kernel_layouts.h. Slow by design; the harness checks a few rows of large shapes.
#pragma once

#include <cstdint>
#include <vector>

#include "calibrate/kernel_layouts.h"

namespace servesim::ref {

// Rows [row_begin, row_end) of x * w.
void Gemm(const float* x, const float* w, float* y, int64_t row_begin, int64_t row_end, int64_t k,
          int64_t n);
// Query rows [row_begin, row_end) of the chunk (o holds the whole chunk's layout).
void PrefillAttention(const float* q, const float* k, const float* v, float* o, int64_t row_begin,
                      int64_t row_end, int64_t context, const AttnDims& dims);
void DecodeAttention(const float* q, const float* k_cache, const float* v_cache,
                     const int32_t* block_table, int64_t max_blocks, const int32_t* lengths,
                     int64_t seqs, float* o, const AttnDims& dims);
void AddRmsNorm(const float* x, const float* residual, const float* w, float* residual_out,
                float* y, int64_t rows, int64_t h);
// Contiguous q [rows, heads, d] and k [rows, kv_heads, d].
void Rotary(const float* q, const float* k, const int64_t* positions, float* q_out, float* k_out,
            int64_t rows, const AttnDims& dims);
void SiluMul(const float* gate_up, float* out, int64_t rows, int64_t f);
// The cos/sin cache the kernels read (computed in double, stored as float).
std::vector<float> CosSinCache(int64_t max_position, int64_t head_dim);

// max |out - ref| / max |ref| over n values (0 when both are all zero).
double NormalisedError(const float* out, const float* ref, int64_t n);
// For argmax: max over rows of (max logit - logit at the chosen id) / |max logit|.
double ArgmaxError(const float* logits, const int32_t* ids, int64_t rows, int64_t vocab);

}  // namespace servesim::ref
