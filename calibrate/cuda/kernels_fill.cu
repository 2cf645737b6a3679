// Random initialisation of device buffers and conversion to float for the host-side checks.
#include "calibrate/cuda/device_math.cuh"

namespace servesim::cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

template <typename T>
__global__ void FillKernel(T* p, int64_t n, uint64_t seed) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const uint64_t bits = SplitMix(seed ^ SplitMix(static_cast<uint64_t>(i)));
    const float magnitude = 0.1f + 0.9f * static_cast<float>(bits >> 40) / 16777216.0f;
    p[i] = FromF<T>((bits & 1) ? magnitude : -magnitude);
  }
}

template <typename T>
__global__ void ToFloatKernel(const T* p, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = ToF<T>(p[i]);
  }
}

unsigned GridFor(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);
}

}  // namespace

size_t SizeOf(DType t) {
  switch (t) {
    case DType::kF32:
      return 4;
    case DType::kBf16:
    case DType::kF16:
      return 2;
    case DType::kFp8:
      return 1;
  }
  return 0;
}

const char* DTypeName(DType t) {
  switch (t) {
    case DType::kF32:
      return "fp32";
    case DType::kBf16:
      return "bf16";
    case DType::kF16:
      return "fp16";
    case DType::kFp8:
      return "fp8";
  }
  return "?";
}

void FillRandom(DType t, void* p, int64_t n, uint64_t seed, cudaStream_t s) {
  if (n <= 0) return;
  switch (t) {
    case DType::kF32:
      FillKernel<<<GridFor(n), kThreads, 0, s>>>(static_cast<float*>(p), n, seed);
      break;
    case DType::kBf16:
      FillKernel<<<GridFor(n), kThreads, 0, s>>>(static_cast<__nv_bfloat16*>(p), n, seed);
      break;
    case DType::kF16:
      FillKernel<<<GridFor(n), kThreads, 0, s>>>(static_cast<__half*>(p), n, seed);
      break;
    case DType::kFp8:
      FillKernel<<<GridFor(n), kThreads, 0, s>>>(static_cast<__nv_fp8_e4m3*>(p), n, seed);
      break;
  }
  Check(cudaGetLastError(), "fill_random launch");
}

void ToFloat(DType t, const void* p, float* out, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  switch (t) {
    case DType::kF32:
      ToFloatKernel<<<GridFor(n), kThreads, 0, s>>>(static_cast<const float*>(p), out, n);
      break;
    case DType::kBf16:
      ToFloatKernel<<<GridFor(n), kThreads, 0, s>>>(static_cast<const __nv_bfloat16*>(p), out, n);
      break;
    case DType::kF16:
      ToFloatKernel<<<GridFor(n), kThreads, 0, s>>>(static_cast<const __half*>(p), out, n);
      break;
    case DType::kFp8:
      ToFloatKernel<<<GridFor(n), kThreads, 0, s>>>(static_cast<const __nv_fp8_e4m3*>(p), out, n);
      break;
  }
  Check(cudaGetLastError(), "to_float launch");
}

}  // namespace servesim::cuda
