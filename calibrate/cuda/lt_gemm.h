// LtGemm: y [rows, n] = x [rows, k] * w^T through cuBLASLt, with w stored [n, k] row-major (the
// layout of a PyTorch Linear weight, and the "TN" layout cuBLASLt's fp8 GEMMs require). bf16 and
// fp16 in and out; fp8 (e4m3) in with bf16 out on compute capability >= 8.9; optionally fp32
// out (the LM head's logits). Algorithms come from cuBLASLt's heuristic, cached per shape.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "calibrate/cuda/kernels.h"

namespace servesim::cuda {

class LtGemm {
 public:
  explicit LtGemm(cudaStream_t stream);
  ~LtGemm();
  LtGemm(const LtGemm&) = delete;
  LtGemm& operator=(const LtGemm&) = delete;

  void Run(DType in, DType out, const void* x, const void* w, void* y, int64_t rows, int64_t k,
           int64_t n);
  static std::string Version();

 private:
  struct Plan;
  const Plan& PlanFor(DType in, DType out, int64_t rows, int64_t k, int64_t n);

  cudaStream_t stream_;
  cublasLtHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;
  std::map<std::tuple<int, int, int64_t, int64_t, int64_t>, Plan*> plans_;
};

}  // namespace servesim::cuda
