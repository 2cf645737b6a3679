// Elementwise and reduction kernels of a transformer step: fused residual-add + RMSNorm, NeoX
// rotary embedding, SiLU-and-multiply, the paged KV-cache write, embedding gather, row gather,
// argmax and top-k sampling.
#include <cfloat>

#include "calibrate/cuda/device_math.cuh"

namespace servesim::cuda {
namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void AddRmsNormKernel(const T* x, const T* r, const T* w, T* r_out, T* y, int h) {
  const int64_t base = static_cast<int64_t>(blockIdx.x) * h;
  float ss = 0.0f;
  for (int i = threadIdx.x; i < h; i += blockDim.x) {
    const T sum = FromF<T>(ToF<T>(x[base + i]) + ToF<T>(r[base + i]));
    r_out[base + i] = sum;
    const float v = ToF<T>(sum);
    ss += v * v;
  }
  const float inv = rsqrtf(BlockSum(ss) / static_cast<float>(h) + kRmsNormEps);
  for (int i = threadIdx.x; i < h; i += blockDim.x) {
    y[base + i] = FromF<T>(ToF<T>(r_out[base + i]) * inv * ToF<T>(w[i]));
  }
}

template <typename T>
__global__ void RotaryKernel(const T* q, int64_t q_stride, const T* k, int64_t k_stride,
                             const int64_t* pos, const float* cos_sin, T* q_out, T* k_out,
                             int64_t rows, int heads, int kv_heads, int d) {
  const int half = d / 2, all = heads + kv_heads;
  const int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (idx >= rows * all * half) return;
  const int i = static_cast<int>(idx % half), head = static_cast<int>((idx / half) % all);
  const int64_t r = idx / (static_cast<int64_t>(half) * all);
  const float c = cos_sin[pos[r] * d + i], s = cos_sin[pos[r] * d + half + i];
  const bool is_q = head < heads;
  const int hh = is_q ? head : head - heads;
  const T* in = is_q ? q + r * q_stride + hh * d : k + r * k_stride + hh * d;
  T* out = is_q ? q_out + (r * heads + hh) * d : k_out + (r * kv_heads + hh) * d;
  const float x1 = ToF<T>(in[i]), x2 = ToF<T>(in[i + half]);
  out[i] = FromF<T>(x1 * c - x2 * s);
  out[i + half] = FromF<T>(x2 * c + x1 * s);
}

template <typename T>
__global__ void SiluMulKernel(const T* gu, T* out, int64_t rows, int64_t f) {
  const int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (idx >= rows * f) return;
  const int64_t r = idx / f, i = idx % f;
  const float g = ToF<T>(gu[r * 2 * f + i]), u = ToF<T>(gu[r * 2 * f + f + i]);
  out[idx] = FromF<T>(g / (1.0f + __expf(-g)) * u);
}

template <typename T>
__global__ void KvWriteKernel(const T* k, int64_t ks, const T* v, int64_t vs, const int64_t* slots,
                              T* kc, T* vc, int64_t rows, int64_t kv_dim) {
  const int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (idx >= rows * kv_dim) return;
  const int64_t r = idx / kv_dim, e = idx % kv_dim;
  kc[slots[r] * kv_dim + e] = k[r * ks + e];
  vc[slots[r] * kv_dim + e] = v[r * vs + e];
}

template <typename T>
__global__ void GatherKernel(const int32_t* index, const T* src, T* dst, int64_t rows, int64_t h) {
  const int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (idx >= rows * h) return;
  const int64_t r = idx / h, e = idx % h;
  dst[idx] = src[static_cast<int64_t>(index[r]) * h + e];
}

// Block-wide (value, index) max; ties go to the smaller index.
__device__ void Better(float v, int i, float* bv, int* bi) {
  if (v > *bv || (v == *bv && i < *bi)) {
    *bv = v;
    *bi = i;
  }
}

__device__ void BlockArgmax(float* bv, int* bi) {
  __shared__ float vals[32];
  __shared__ int ids[32];
  for (int s = 16; s > 0; s >>= 1) {
    Better(__shfl_xor_sync(kFullMask, *bv, s), __shfl_xor_sync(kFullMask, *bi, s), bv, bi);
  }
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();
  if (lane == 0) {
    vals[warp] = *bv;
    ids[warp] = *bi;
  }
  __syncthreads();
  *bv = -FLT_MAX;
  *bi = 0x7fffffff;
  for (int w = 0; w < static_cast<int>(blockDim.x / 32); ++w) Better(vals[w], ids[w], bv, bi);
}

__global__ void ArgmaxKernel(const float* logits, int32_t* ids, int64_t vocab) {
  const float* row = logits + static_cast<int64_t>(blockIdx.x) * vocab;
  float bv = -FLT_MAX;
  int bi = 0x7fffffff;
  for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x)
    Better(row[i], static_cast<int>(i), &bv, &bi);
  BlockArgmax(&bv, &bi);
  if (threadIdx.x == 0) ids[blockIdx.x] = bi;
}

// Top-k by k rounds of block argmax, each excluding what earlier rounds chose (values above the
// previous pick, or equal with a smaller index). Simple; fine for the small k of sampling.
__global__ void TopKKernel(const float* logits, int32_t* ids, int64_t vocab, int k) {
  const float* row = logits + static_cast<int64_t>(blockIdx.x) * vocab;
  float prev_v = FLT_MAX;
  int prev_i = -1;
  for (int round = 0; round < k; ++round) {
    float bv = -FLT_MAX;
    int bi = 0x7fffffff;
    for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) {
      const float v = row[i];
      const bool taken = v > prev_v || (v == prev_v && static_cast<int>(i) <= prev_i);
      if (!taken) Better(v, static_cast<int>(i), &bv, &bi);
    }
    BlockArgmax(&bv, &bi);
    if (threadIdx.x == 0) ids[static_cast<int64_t>(blockIdx.x) * k + round] = bi;
    prev_v = bv;
    prev_i = bi;
  }
}

template <typename T>
void LaunchRmsNorm(const void* x, const void* r, const void* w, void* r_out, void* y, int64_t rows,
                   int64_t h, cudaStream_t s) {
  AddRmsNormKernel<T><<<static_cast<unsigned>(rows), kThreads, 0, s>>>(
      static_cast<const T*>(x), static_cast<const T*>(r), static_cast<const T*>(w),
      static_cast<T*>(r_out), static_cast<T*>(y), static_cast<int>(h));
}

template <typename T>
void LaunchRotary(const void* q, int64_t qs, const void* k, int64_t ks, const int64_t* pos,
                  const float* cs, void* qo, void* ko, int64_t rows, const AttnDims& d,
                  cudaStream_t s) {
  const int64_t n = rows * (d.heads + d.kv_heads) * (d.head_dim / 2);
  RotaryKernel<T><<<Blocks(n, kThreads), kThreads, 0, s>>>(
      static_cast<const T*>(q), qs, static_cast<const T*>(k), ks, pos, cs, static_cast<T*>(qo),
      static_cast<T*>(ko), rows, static_cast<int>(d.heads), static_cast<int>(d.kv_heads),
      static_cast<int>(d.head_dim));
}

template <typename T>
void LaunchSiluMul(const void* gu, void* out, int64_t rows, int64_t f, cudaStream_t s) {
  SiluMulKernel<T><<<Blocks(rows * f, kThreads), kThreads, 0, s>>>(static_cast<const T*>(gu),
                                                                   static_cast<T*>(out), rows, f);
}

template <typename T>
void LaunchKvWrite(const void* k, int64_t ks, const void* v, int64_t vs, const int64_t* slots,
                   void* kc, void* vc, int64_t rows, int64_t kv_dim, cudaStream_t s) {
  KvWriteKernel<T><<<Blocks(rows * kv_dim, kThreads), kThreads, 0, s>>>(
      static_cast<const T*>(k), ks, static_cast<const T*>(v), vs, slots, static_cast<T*>(kc),
      static_cast<T*>(vc), rows, kv_dim);
}

template <typename T>
void LaunchGather(const int32_t* index, const void* src, void* dst, int64_t rows, int64_t h,
                  cudaStream_t s) {
  GatherKernel<T><<<Blocks(rows * h, kThreads), kThreads, 0, s>>>(index, static_cast<const T*>(src),
                                                                  static_cast<T*>(dst), rows, h);
}

}  // namespace

void AddRmsNorm(DType t, const void* x, const void* residual, const void* w, void* residual_out,
                void* y, int64_t rows, int64_t h, cudaStream_t s) {
  SERVESIM_DISPATCH_ACT(t, LaunchRmsNorm, x, residual, w, residual_out, y, rows, h, s);
  Check(cudaGetLastError(), "rmsnorm launch");
}

void Rotary(DType t, const void* q, int64_t q_stride, const void* k, int64_t k_stride,
            const int64_t* positions, const float* cos_sin, void* q_out, void* k_out, int64_t rows,
            const AttnDims& d, cudaStream_t s) {
  SERVESIM_DISPATCH_ACT(t, LaunchRotary, q, q_stride, k, k_stride, positions, cos_sin, q_out, k_out,
                        rows, d, s);
  Check(cudaGetLastError(), "rotary launch");
}

void SiluMul(DType t, const void* gate_up, void* out, int64_t rows, int64_t f, cudaStream_t s) {
  SERVESIM_DISPATCH_ACT(t, LaunchSiluMul, gate_up, out, rows, f, s);
  Check(cudaGetLastError(), "silu_mul launch");
}

void KvWrite(DType t, const void* k, int64_t k_stride, const void* v, int64_t v_stride,
             const int64_t* slots, void* k_cache, void* v_cache, int64_t rows, int64_t kv_dim,
             cudaStream_t s) {
  SERVESIM_DISPATCH_ACT(t, LaunchKvWrite, k, k_stride, v, v_stride, slots, k_cache, v_cache, rows,
                        kv_dim, s);
  Check(cudaGetLastError(), "kv_write launch");
}

void Embedding(DType t, const int32_t* ids, const void* table, void* out, int64_t rows, int64_t h,
               cudaStream_t s) {
  SERVESIM_DISPATCH_ACT(t, LaunchGather, ids, table, out, rows, h, s);
  Check(cudaGetLastError(), "embedding launch");
}

void GatherRows(DType t, const void* src, const int32_t* index, void* dst, int64_t rows, int64_t h,
                cudaStream_t s) {
  SERVESIM_DISPATCH_ACT(t, LaunchGather, index, src, dst, rows, h, s);
  Check(cudaGetLastError(), "gather launch");
}

void Argmax(const float* logits, int32_t* ids, int64_t rows, int64_t vocab, cudaStream_t s) {
  ArgmaxKernel<<<static_cast<unsigned>(rows), kThreads, 0, s>>>(logits, ids, vocab);
  Check(cudaGetLastError(), "argmax launch");
}

void TopK(const float* logits, int32_t* ids, int64_t rows, int64_t vocab, int k, cudaStream_t s) {
  if (k < 1 || k > 64) Check(cudaErrorInvalidValue, "top-k: k must be in [1, 64]");
  TopKKernel<<<static_cast<unsigned>(rows), kThreads, 0, s>>>(logits, ids, vocab, k);
  Check(cudaGetLastError(), "top-k launch");
}

}  // namespace servesim::cuda
