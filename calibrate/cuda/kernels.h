// Host-side declarations of the CUDA backend's kernels (defined in calibrate/cuda/*.cu), in the
// layouts of calibrate/kernel_layouts.h. Plain C++: pointers are void* with a DType, so host code
// compiles without nvcc. Every launcher checks the launch and throws CalibrationError on failure.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "calibrate/kernel_layouts.h"

namespace servesim::cuda {

enum class DType { kF32, kBf16, kF16, kFp8 };
size_t SizeOf(DType t);
const char* DTypeName(DType t);

// Throws CalibrationError naming `what` unless status is cudaSuccess (defined in cuda_check.cc).
void Check(cudaError_t status, const char* what);

// n elements, |x| in [0.1, 1) with random signs, from (seed, offset of the first element).
void FillRandom(DType t, void* p, int64_t n, uint64_t seed, cudaStream_t s);
// n elements converted to float (for host-side checks).
void ToFloat(DType t, const void* p, float* out, int64_t n, cudaStream_t s);

// Causal GQA prefill, FlashAttention-style: query tiles in shared memory, keys and values
// streamed in tiles with an online softmax. head_dim 32, 64 or 128.
void PrefillAttention(DType t, const void* q, const void* k, const void* v, void* o, int64_t chunk,
                      int64_t context, const AttnDims& d, cudaStream_t s);
// Paged decode attention: one block per (sequence, head), warps split the KV tokens.
void DecodeAttention(DType t, const void* q, const void* k_cache, const void* v_cache,
                     const int32_t* block_table, int64_t max_blocks, const int32_t* lengths,
                     int64_t seqs, void* o, const AttnDims& d, cudaStream_t s);
// residual_out may alias residual.
void AddRmsNorm(DType t, const void* x, const void* residual, const void* w, void* residual_out,
                void* y, int64_t rows, int64_t h, cudaStream_t s);
void Rotary(DType t, const void* q, int64_t q_stride, const void* k, int64_t k_stride,
            const int64_t* positions, const float* cos_sin, void* q_out, void* k_out, int64_t rows,
            const AttnDims& d, cudaStream_t s);
void SiluMul(DType t, const void* gate_up, void* out, int64_t rows, int64_t f, cudaStream_t s);
void KvWrite(DType t, const void* k, int64_t k_stride, const void* v, int64_t v_stride,
             const int64_t* slots, void* k_cache, void* v_cache, int64_t rows, int64_t kv_dim,
             cudaStream_t s);
void Embedding(DType t, const int32_t* ids, const void* table, void* out, int64_t rows, int64_t h,
               cudaStream_t s);
// dst row r = src row index[r].
void GatherRows(DType t, const void* src, const int32_t* index, void* dst, int64_t rows, int64_t h,
                cudaStream_t s);
void Argmax(const float* logits, int32_t* ids, int64_t rows, int64_t vocab, cudaStream_t s);
// The k largest logits of each row, in descending order (k <= 64): ids [rows, k].
void TopK(const float* logits, int32_t* ids, int64_t rows, int64_t vocab, int k, cudaStream_t s);

}  // namespace servesim::cuda
