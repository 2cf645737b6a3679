// Attention kernels written for servesim's calibration: a FlashAttention-style causal GQA
// prefill kernel and a paged decode kernel. fp32 math (no tensor cores): they stand for the
// engine's kernels in shape and memory traffic; the profile measures what they achieve.
#include <cmath>
#include <stdexcept>

#include "calibrate/cuda/device_math.cuh"

namespace servesim::cuda {
namespace {

// Prefill: a block owns kBq query rows of one head; kLanes threads share a row, each holding a
// D / kLanes slice of q and of the output accumulator. Keys and values stream through shared
// memory kBk at a time; the softmax is computed online (running max and sum).
constexpr int kBq = 32, kBk = 32, kLanes = 4, kPrefillThreads = kBq * kLanes;

template <typename T, int D>
__global__ void __launch_bounds__(kPrefillThreads)
    PrefillKernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                  T* __restrict__ o, int chunk, int context, int heads, int kv_heads, float scale) {
  constexpr int kSlice = D / kLanes;
  __shared__ float ks[kBk][D];
  __shared__ float vs[kBk][D];
  const int h = blockIdx.y, g = h / (heads / kv_heads);
  const int lane = threadIdx.x % kLanes;
  const int i = blockIdx.x * kBq + threadIdx.x / kLanes;
  const bool valid = i < chunk;
  float qv[kSlice], acc[kSlice];
  for (int e = 0; e < kSlice; ++e) {
    const int64_t off = (static_cast<int64_t>(i) * heads + h) * D + lane * kSlice + e;
    qv[e] = valid ? ToF<T>(q[off]) * scale : 0.0f;
    acc[e] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  const int last_row = min(chunk - 1, static_cast<int>(blockIdx.x) * kBq + kBq - 1);
  const int keys_end = context + last_row + 1;  // keys [0, keys_end) matter to this block
  const int my_last_key = context + i;
  for (int j0 = 0; j0 < keys_end; j0 += kBk) {
    for (int idx = threadIdx.x; idx < kBk * D; idx += kPrefillThreads) {
      const int jj = idx / D, e = idx % D, j = j0 + jj;
      const int64_t off = (static_cast<int64_t>(j) * kv_heads + g) * D + e;
      ks[jj][e] = j < keys_end ? ToF<T>(k[off]) : 0.0f;
      vs[jj][e] = j < keys_end ? ToF<T>(v[off]) : 0.0f;
    }
    __syncthreads();
    float s[kBk];
    float tile_max = -INFINITY;
#pragma unroll
    for (int jj = 0; jj < kBk; ++jj) {
      float part = 0.0f;
#pragma unroll
      for (int e = 0; e < kSlice; ++e) part += qv[e] * ks[jj][lane * kSlice + e];
      part += __shfl_xor_sync(kFullMask, part, 1);
      part += __shfl_xor_sync(kFullMask, part, 2);
      s[jj] = valid && j0 + jj <= my_last_key ? part : -INFINITY;
      tile_max = fmaxf(tile_max, s[jj]);
    }
    if (tile_max > -INFINITY) {
      const float m_new = fmaxf(m, tile_max);
      const float correction = __expf(m - m_new);
      l *= correction;
#pragma unroll
      for (int e = 0; e < kSlice; ++e) acc[e] *= correction;
#pragma unroll
      for (int jj = 0; jj < kBk; ++jj) {
        const float p = __expf(s[jj] - m_new);
        l += p;
#pragma unroll
        for (int e = 0; e < kSlice; ++e) acc[e] += p * vs[jj][lane * kSlice + e];
      }
      m = m_new;
    }
    __syncthreads();
  }
  if (!valid) return;
  for (int e = 0; e < kSlice; ++e) {
    o[(static_cast<int64_t>(i) * heads + h) * D + lane * kSlice + e] = FromF<T>(acc[e] / l);
  }
}

// Decode: a block per (sequence, head); kDecodeWarps warps take every kDecodeWarps-th token,
// lanes split head_dim, then the warps' softmax states are merged.
constexpr int kDecodeWarps = 4;

template <typename T, int D>
__global__ void __launch_bounds__(kDecodeWarps * 32)
    DecodeKernel(const T* __restrict__ q, const T* __restrict__ kc, const T* __restrict__ vc,
                 const int32_t* __restrict__ table, int max_blocks,
                 const int32_t* __restrict__ lengths, T* __restrict__ o, int heads, int kv_heads,
                 int block_size, float scale) {
  constexpr int kPer = D / 32;
  __shared__ float sm[kDecodeWarps], sl[kDecodeWarps], sacc[kDecodeWarps][D];
  const int b = blockIdx.x, h = blockIdx.y, g = h / (heads / kv_heads);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int len = lengths[b];
  float qv[kPer], acc[kPer];
  for (int e = 0; e < kPer; ++e) {
    qv[e] = ToF<T>(q[(static_cast<int64_t>(b) * heads + h) * D + lane * kPer + e]) * scale;
    acc[e] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  for (int j = warp; j < len; j += kDecodeWarps) {
    const int64_t block = table[static_cast<int64_t>(b) * max_blocks + j / block_size];
    const int64_t off = ((block * block_size + j % block_size) * kv_heads + g) * D + lane * kPer;
    float part = 0.0f;
#pragma unroll
    for (int e = 0; e < kPer; ++e) part += qv[e] * ToF<T>(kc[off + e]);
    part = WarpSum(part);
    const float m_new = fmaxf(m, part);
    const float correction = __expf(m - m_new), p = __expf(part - m_new);
    l = l * correction + p;
#pragma unroll
    for (int e = 0; e < kPer; ++e) acc[e] = acc[e] * correction + p * ToF<T>(vc[off + e]);
    m = m_new;
  }
  if (lane == 0) {
    sm[warp] = m;
    sl[warp] = l;
  }
  for (int e = 0; e < kPer; ++e) sacc[warp][lane * kPer + e] = acc[e];
  __syncthreads();
  if (warp != 0) return;
  float mx = -INFINITY;
  for (int w = 0; w < kDecodeWarps; ++w) mx = fmaxf(mx, sm[w]);
  float total = 0.0f, out[kPer] = {};
  for (int w = 0; w < kDecodeWarps; ++w) {
    if (sm[w] == -INFINITY) continue;
    const float c = __expf(sm[w] - mx);
    total += sl[w] * c;
    for (int e = 0; e < kPer; ++e) out[e] += sacc[w][lane * kPer + e] * c;
  }
  for (int e = 0; e < kPer; ++e) {
    o[(static_cast<int64_t>(b) * heads + h) * D + lane * kPer + e] = FromF<T>(out[e] / total);
  }
}

template <typename T>
void LaunchPrefill(const void* q, const void* k, const void* v, void* o, int64_t chunk,
                   int64_t context, const AttnDims& d, cudaStream_t s) {
  const dim3 grid(Blocks(chunk, kBq), static_cast<unsigned>(d.heads));
  const float scale = 1.0f / std::sqrt(static_cast<float>(d.head_dim));
  const auto args = [&](auto kernel) {
    kernel<<<grid, kPrefillThreads, 0, s>>>(
        static_cast<const T*>(q), static_cast<const T*>(k), static_cast<const T*>(v),
        static_cast<T*>(o), static_cast<int>(chunk), static_cast<int>(context),
        static_cast<int>(d.heads), static_cast<int>(d.kv_heads), scale);
  };
  switch (d.head_dim) {
    case 32:
      args(PrefillKernel<T, 32>);
      break;
    case 64:
      args(PrefillKernel<T, 64>);
      break;
    case 128:
      args(PrefillKernel<T, 128>);
      break;
    default:
      Check(cudaErrorInvalidValue, "prefill attention: head_dim must be 32, 64 or 128");
  }
  Check(cudaGetLastError(), "prefill attention launch");
}

template <typename T>
void LaunchDecode(const void* q, const void* kc, const void* vc, const int32_t* table,
                  int64_t max_blocks, const int32_t* lengths, int64_t seqs, void* o,
                  const AttnDims& d, cudaStream_t s) {
  const dim3 grid(static_cast<unsigned>(seqs), static_cast<unsigned>(d.heads));
  const float scale = 1.0f / std::sqrt(static_cast<float>(d.head_dim));
  const auto args = [&](auto kernel) {
    kernel<<<grid, kDecodeWarps * 32, 0, s>>>(
        static_cast<const T*>(q), static_cast<const T*>(kc), static_cast<const T*>(vc), table,
        static_cast<int>(max_blocks), lengths, static_cast<T*>(o), static_cast<int>(d.heads),
        static_cast<int>(d.kv_heads), static_cast<int>(d.block_size), scale);
  };
  switch (d.head_dim) {
    case 32:
      args(DecodeKernel<T, 32>);
      break;
    case 64:
      args(DecodeKernel<T, 64>);
      break;
    case 128:
      args(DecodeKernel<T, 128>);
      break;
    default:
      Check(cudaErrorInvalidValue, "decode attention: head_dim must be 32, 64 or 128");
  }
  Check(cudaGetLastError(), "decode attention launch");
}

}  // namespace

void PrefillAttention(DType t, const void* q, const void* k, const void* v, void* o, int64_t chunk,
                      int64_t context, const AttnDims& d, cudaStream_t s) {
  SERVESIM_DISPATCH_ACT(t, LaunchPrefill, q, k, v, o, chunk, context, d, s);
}

void DecodeAttention(DType t, const void* q, const void* k_cache, const void* v_cache,
                     const int32_t* block_table, int64_t max_blocks, const int32_t* lengths,
                     int64_t seqs, void* o, const AttnDims& d, cudaStream_t s) {
  SERVESIM_DISPATCH_ACT(t, LaunchDecode, q, k_cache, v_cache, block_table, max_blocks, lengths,
                        seqs, o, d, s);
}

}  // namespace servesim::cuda
