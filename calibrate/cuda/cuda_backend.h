// The CUDA backend of servesim-calibrate (built with -DSERVESIM_WITH_CUDA=ON): cuBLASLt GEMMs,
// this project's attention and elementwise kernels (calibrate/cuda/*.cu), NCCL collectives when
// two or more GPUs are visible; CUDA events for timing. Plain C++ interface.
#pragma once

#include <cstdint>
#include <memory>

#include "calibrate/backend.h"

namespace servesim {

// Throws CalibrationError if the device cannot be used.
std::unique_ptr<Backend> MakeCudaBackend(const KernelDims& dims, const Timing& timing,
                                         uint64_t seed, int device);

// Visible CUDA devices; 0 when there is no driver or no device (GPU tests skip then).
int CudaDeviceCount();

}  // namespace servesim
