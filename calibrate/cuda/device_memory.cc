#include "calibrate/cuda/device_memory.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "sim/core/check.h"

namespace servesim::cuda {
namespace {

constexpr int64_t kAlignBytes = 256;

float Bf16ToFloat(uint16_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

float HalfToFloat(uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(mant), -24);
  } else if (exp == 31) {
    v = mant ? NAN : INFINITY;
  } else {
    v = std::ldexp(static_cast<float>(mant + 1024), exp - 25);
  }
  return sign ? -v : v;
}

// OCP fp8 E4M3: bias 7, no infinities, 0x7f / 0xff are NaN.
float Fp8E4m3ToFloat(uint8_t b) {
  const int sign = b >> 7, exp = (b >> 3) & 0xf, mant = b & 0x7;
  if (exp == 0xf && mant == 0x7) return NAN;
  const float v = exp == 0 ? std::ldexp(static_cast<float>(mant), -9)
                           : std::ldexp(static_cast<float>(mant + 8), exp - 10);
  return sign ? -v : v;
}

}  // namespace

DevicePool::DevicePool(DType type, int64_t rotate_bytes, uint64_t seed, cudaStream_t stream,
                       bool fill)
    : type_(type),
      rotate_(std::max<int64_t>(rotate_bytes, 1 << 20) / static_cast<int64_t>(SizeOf(type))),
      seed_(seed),
      stream_(stream),
      fill_(fill) {
  Allocate(rotate_);
}

DevicePool::~DevicePool() { cudaFree(data_); }

void DevicePool::Allocate(int64_t elements) {
  cudaFree(data_);
  data_ = nullptr;
  const size_t bytes = static_cast<size_t>(elements) * SizeOf(type_);
  Check(cudaMalloc(&data_, bytes), "cudaMalloc (pool)");
  if (fill_) {
    FillRandom(type_, data_, elements, seed_, stream_);
  } else {
    Check(cudaMemsetAsync(data_, 0, bytes, stream_), "cudaMemset (pool)");
  }
  Check(cudaStreamSynchronize(stream_), "pool initialisation");
  size_ = elements;
  cursor_ = 0;
}

void DevicePool::Reserve(int64_t n) {
  const int64_t pad = 64 * kAlignBytes / static_cast<int64_t>(SizeOf(type_));
  if (n + rotate_ + pad > size_) Allocate(n + rotate_ + pad);
}

void* DevicePool::Take(int64_t n) {
  const int64_t align = kAlignBytes / static_cast<int64_t>(SizeOf(type_));
  const int64_t need = (n + align - 1) / align * align;
  SERVESIM_CHECK(need <= size_);
  if (cursor_ + need > size_) cursor_ = 0;
  void* block = At(type_, data_, cursor_);
  cursor_ += need;
  return block;
}

std::vector<float> Fetch(DType t, const void* base, int64_t rows, int64_t cols,
                         int64_t row_stride) {
  const size_t es = SizeOf(t), width = static_cast<size_t>(cols) * es;
  std::vector<uint8_t> raw(static_cast<size_t>(rows) * width);
  Check(cudaMemcpy2D(raw.data(), width, base, static_cast<size_t>(row_stride) * es, width,
                     static_cast<size_t>(rows), cudaMemcpyDeviceToHost),
        "cudaMemcpy2D (check)");
  std::vector<float> out(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < out.size(); ++i) {
    const uint8_t* p = raw.data() + i * es;
    uint16_t u16;
    switch (t) {
      case DType::kF32:
        std::memcpy(&out[i], p, 4);
        break;
      case DType::kBf16:
        std::memcpy(&u16, p, 2);
        out[i] = Bf16ToFloat(u16);
        break;
      case DType::kF16:
        std::memcpy(&u16, p, 2);
        out[i] = HalfToFloat(u16);
        break;
      case DType::kFp8:
        out[i] = Fp8E4m3ToFloat(*p);
        break;
    }
  }
  return out;
}

}  // namespace servesim::cuda
