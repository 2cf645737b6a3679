// CudaBackend: the class behind MakeCudaBackend (calibrate/cuda/cuda_backend.h). Its methods are
// split over cuda_backend.cc (setup, GEMM, attention, copy), cuda_elementwise.cc,
// cuda_step.cc and cuda_collectives.cc.
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "calibrate/backend.h"
#include "calibrate/cuda/device_memory.h"
#include "calibrate/cuda/kernels.h"
#include "calibrate/cuda/lt_gemm.h"
#include "sim/core/rng.h"

namespace servesim::cuda {

class Collectives;  // NCCL over all visible devices (cuda_collectives.cc)
struct CollectivesDeleter {
  void operator()(Collectives* c) const;
};
int CudaDeviceCountForNccl();
std::string NcclVersionString();  // "" without NCCL

class CudaBackend : public Backend {
 public:
  CudaBackend(const KernelDims& dims, const Timing& timing, uint64_t seed, int device);
  ~CudaBackend() override;

  std::string Name() const override { return "cuda"; }
  Provenance Describe() const override;
  double Tolerance(CalOp op) const override;

  Measurement Gemm(CalOp op, int64_t rows) override;
  Measurement PrefillAttention(int64_t chunk, int64_t context) override;
  Measurement DecodeAttention(const std::vector<int64_t>& kv_lengths) override;
  Measurement Elementwise(CalOp op, int64_t rows) override;
  Measurement Copy(int64_t bytes) override;
  Measurement Step(const StepShape& shape) override;
  bool HasCollectives() const override;
  Measurement Collective(CalOp op, int64_t bytes) override;

  // Median of CUDA-event times of run(make()) over the repeats (warm-up runs first).
  template <typename Make, typename Run>
  double TimeMedian(Make make, Run run);

 private:
  std::vector<int64_t> Positions(int64_t rows);
  void* TakeOut(int64_t bytes);  // output scratch
  Measurement RmsNorm(int64_t rows);
  Measurement Rotary(int64_t rows);
  Measurement SiluMul(int64_t rows);
  Measurement KvWrite(int64_t rows);
  Measurement Embedding(int64_t rows);
  Measurement Sampling(int64_t rows);

  KernelDims dims_;
  AttnDims attn_;
  Timing timing_;
  int device_;
  DType act_, wt_, kv_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
  int64_t l2_bytes_ = 0;
  std::unique_ptr<LtGemm> gemm_;
  std::unique_ptr<DevicePool> act_in_, w_in_, f32_in_, out_;
  DeviceArray<float> cos_sin_;
  Rng rng_;
  std::unique_ptr<Collectives, CollectivesDeleter> collectives_;
};

template <typename Make, typename Run>
double CudaBackend::TimeMedian(Make make, Run run) {
  std::vector<double> times;
  for (int i = 0; i < timing_.warmup + timing_.repeats; ++i) {
    auto args = make();
    Check(cudaEventRecord(start_, stream_), "cudaEventRecord");
    run(args);
    Check(cudaEventRecord(stop_, stream_), "cudaEventRecord");
    Check(cudaEventSynchronize(stop_), "cudaEventSynchronize");
    float ms = 0;
    Check(cudaEventElapsedTime(&ms, start_, stop_), "cudaEventElapsedTime");
    if (i >= timing_.warmup) times.push_back(1e-3 * ms);
  }
  std::sort(times.begin(), times.end());
  const size_t n = times.size();
  return n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
}

// Reference checks on a few rows and heads (cuda_checks.cc): normalised errors as in
// calibrate/backend.h.
double CheckGemm(DType in, DType out, const void* x, const void* w, const void* y, int64_t rows,
                 int64_t k, int64_t n, Rng* rng);
double CheckPrefill(DType t, const void* q, const void* k, const void* v, const void* o,
                    int64_t chunk, int64_t context, const AttnDims& d);
double CheckDecode(DType t, const void* q, const void* kc, const void* vc,
                   const std::vector<int32_t>& table, int64_t max_blocks,
                   const std::vector<int32_t>& lengths, const void* o, const AttnDims& d);

}  // namespace servesim::cuda
