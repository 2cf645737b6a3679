// The CPU backend's kernels: Eigen (fp32) implementations of the ops a transformer step runs,
// in the layouts of calibrate/kernel_layouts.h. Single-threaded unless Eigen was built with
// OpenMP. Written for speed on the CPU (blocked GEMMs, tiled attention), not for clarity: the
// references in calibrate/reference.h are the plain versions they are checked against.
#pragma once

#include <cstdint>

#include "calibrate/kernel_layouts.h"

namespace servesim::cpu {

void Gemm(const float* x, const float* w, float* y, int64_t rows, int64_t k, int64_t n);
void PrefillAttention(const float* q, const float* k, const float* v, float* o, int64_t chunk,
                      int64_t context, const AttnDims& dims);
void DecodeAttention(const float* q, const float* k_cache, const float* v_cache,
                     const int32_t* block_table, int64_t max_blocks, const int32_t* lengths,
                     int64_t seqs, float* o, const AttnDims& dims);
void AddRmsNorm(const float* x, const float* residual, const float* w, float* residual_out,
                float* y, int64_t rows, int64_t h);
// q and k rows start q_stride and k_stride floats apart (views into a fused QKV output);
// q_out and k_out are contiguous.
void Rotary(const float* q, int64_t q_stride, const float* k, int64_t k_stride,
            const int64_t* positions, const float* cos_sin, float* q_out, float* k_out,
            int64_t rows, const AttnDims& dims);
void SiluMul(const float* gate_up, float* out, int64_t rows, int64_t f);
void KvWrite(const float* k, int64_t k_stride, const float* v, int64_t v_stride,
             const int64_t* slots, float* k_cache, float* v_cache, int64_t rows, int64_t kv_dim);
void Embedding(const int32_t* ids, const float* table, float* out, int64_t rows, int64_t h);
void Argmax(const float* logits, int32_t* ids, int64_t rows, int64_t vocab);

}  // namespace servesim::cpu
