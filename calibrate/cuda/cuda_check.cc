// Check() for calibrate/cuda/kernels.h: CUDA errors become CalibrationError.
#include <fmt/format.h>

#include "calibrate/cuda/kernels.h"
#include "calibrate/harness.h"

namespace servesim::cuda {

void Check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  throw CalibrationError(fmt::format("CUDA error in {}: {} ({})", what, cudaGetErrorString(status),
                                     static_cast<int>(status)));
}

}  // namespace servesim::cuda
