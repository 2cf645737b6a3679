// Device helpers shared by the .cu files: conversions between storage types and float, warp and
// block reductions, and the DType dispatch used by the host launchers.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "calibrate/cuda/kernels.h"

namespace servesim::cuda {

template <typename T>
__device__ __forceinline__ float ToF(T x) {
  return static_cast<float>(x);
}
template <>
__device__ __forceinline__ float ToF<__nv_bfloat16>(__nv_bfloat16 x) {
  return __bfloat162float(x);
}
template <>
__device__ __forceinline__ float ToF<__half>(__half x) {
  return __half2float(x);
}

template <typename T>
__device__ __forceinline__ T FromF(float x) {
  return static_cast<T>(x);
}
template <>
__device__ __forceinline__ __nv_bfloat16 FromF<__nv_bfloat16>(float x) {
  return __float2bfloat16(x);
}
template <>
__device__ __forceinline__ __half FromF<__half>(float x) {
  return __float2half(x);
}
template <>
__device__ __forceinline__ __nv_fp8_e4m3 FromF<__nv_fp8_e4m3>(float x) {
  return __nv_fp8_e4m3(x);
}

constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float WarpSum(float v) {
  for (int s = 16; s > 0; s >>= 1) v += __shfl_xor_sync(kFullMask, v, s);
  return v;
}

// Sum over the block (blockDim.x a multiple of 32, <= 1024); every thread gets the result.
__device__ __forceinline__ float BlockSum(float v) {
  __shared__ float partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = WarpSum(v);
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int warps = blockDim.x / 32;
  float total = 0;
  for (int w = 0; w < warps; ++w) total += partial[w];
  return total;
}

inline unsigned Blocks(int64_t n, int threads) {
  return static_cast<unsigned>((n + threads - 1) / threads);
}

}  // namespace servesim::cuda

// Calls F<T>(args...) with T the storage type of dtype `t` (activations: bf16 or fp16; fp32 and
// fp8 where the op allows them).
#define SERVESIM_DISPATCH_ACT(t, F, ...)               \
  do {                                                 \
    if ((t) == ::servesim::cuda::DType::kBf16) {       \
      F<__nv_bfloat16>(__VA_ARGS__);                   \
    } else if ((t) == ::servesim::cuda::DType::kF16) { \
      F<__half>(__VA_ARGS__);                          \
    } else {                                           \
      F<float>(__VA_ARGS__);                           \
    }                                                  \
  } while (0)
