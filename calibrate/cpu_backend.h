// CpuBackend: the calibration harness's CPU device. Runs the Eigen kernels of
// calibrate/cpu_kernels.h in fp32 (whatever precision the profile is labelled with), checks each
// against calibrate/reference.h and times it with std::chrono::steady_clock (the calibration tool
// runs outside any simulation, so the wall clock is the right clock here).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "calibrate/backend.h"
#include "calibrate/host_pool.h"
#include "calibrate/kernel_layouts.h"
#include "sim/core/rng.h"

namespace servesim {

class CpuBackend : public Backend {
 public:
  // `cache_bytes` 0: detect the last-level cache; inputs rotate through twice that.
  CpuBackend(const KernelDims& dims, const Timing& timing, uint64_t seed, int64_t cache_bytes = 0);

  std::string Name() const override { return "cpu"; }
  Provenance Describe() const override;
  double Tolerance(CalOp op) const override;

  Measurement Gemm(CalOp op, int64_t rows) override;
  Measurement PrefillAttention(int64_t chunk, int64_t context) override;
  Measurement DecodeAttention(const std::vector<int64_t>& kv_lengths) override;
  Measurement Elementwise(CalOp op, int64_t rows) override;
  Measurement Copy(int64_t bytes) override;
  Measurement Step(const StepShape& shape) override;

 private:
  Measurement RmsNorm(int64_t rows);
  Measurement Rotary(int64_t rows);
  Measurement SiluMul(int64_t rows);
  Measurement KvWrite(int64_t rows);
  Measurement Embedding(int64_t rows);
  Measurement Sampling(int64_t rows);
  std::vector<int64_t> Positions(int64_t rows);

  KernelDims dims_;
  AttnDims attn_;
  Timing timing_;
  int64_t cache_bytes_;
  HostPool in_;   // random inputs and weights
  HostPool out_;  // outputs
  std::vector<float> cos_sin_;
  Rng rng_;  // block tables, positions, token ids, slots
};

// Runs `run(make())` timing.warmup + timing.repeats times, timing only `run`; returns the median
// of the timed repeats in seconds.
template <typename Make, typename Run>
double MedianSeconds(const Timing& timing, Make make, Run run);

}  // namespace servesim

#include "calibrate/cpu_timing_inl.h"
