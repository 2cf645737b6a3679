// Device memory for the CUDA backend: DevicePool (random inputs handed out in blocks that walk
// through more memory than the L2 cache holds, like HostPool on the CPU), DeviceArray (small
// typed arrays copied from the host: block tables, positions, ids) and Fetch (device to host
// as float, for the correctness checks).
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "calibrate/cuda/kernels.h"

namespace servesim::cuda {

class DevicePool {
 public:
  // `fill`: random contents (inputs); otherwise zeroed (outputs).
  DevicePool(DType type, int64_t rotate_bytes, uint64_t seed, cudaStream_t stream, bool fill);
  ~DevicePool();
  DevicePool(const DevicePool&) = delete;
  DevicePool& operator=(const DevicePool&) = delete;

  // Room for blocks of n elements in all (one kernel call) beyond the rotation. Invalidates
  // earlier blocks.
  void Reserve(int64_t n);
  void* Take(int64_t n);  // n elements, 256-byte aligned
  DType type() const { return type_; }

 private:
  void Allocate(int64_t elements);

  DType type_;
  void* data_ = nullptr;
  int64_t size_ = 0;  // elements
  int64_t cursor_ = 0;
  int64_t rotate_;  // elements
  uint64_t seed_;
  cudaStream_t stream_;
  bool fill_;
};

template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(const std::vector<T>& host) { Assign(host); }
  ~DeviceArray() { cudaFree(data_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  void Assign(const std::vector<T>& host) {
    cudaFree(data_);
    data_ = nullptr;
    const size_t bytes = std::max<size_t>(host.size(), 1) * sizeof(T);
    Check(cudaMalloc(&data_, bytes), "cudaMalloc (array)");
    if (!host.empty()) {
      Check(cudaMemcpy(data_, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice),
            "cudaMemcpy (array)");
    }
  }
  T* get() const { return static_cast<T*>(data_); }

 private:
  void* data_ = nullptr;
};

// rows x cols elements of type t starting at base, rows `row_stride` elements apart, as floats.
std::vector<float> Fetch(DType t, const void* base, int64_t rows, int64_t cols, int64_t row_stride);
inline std::vector<float> Fetch(DType t, const void* base, int64_t n) {
  return Fetch(t, base, 1, n, n);
}
// The element at `index` of a typed device pointer (pointer arithmetic in bytes).
inline const void* At(DType t, const void* base, int64_t index) {
  return static_cast<const char*>(base) + index * static_cast<int64_t>(SizeOf(t));
}
inline void* At(DType t, void* base, int64_t index) {
  return static_cast<char*>(base) + index * static_cast<int64_t>(SizeOf(t));
}

}  // namespace servesim::cuda
