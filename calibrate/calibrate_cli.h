// The servesim-calibrate command line: measure a profile on a backend, or project one onto an
// unmeasured GPU. A library function so tests drive it in-process; calibrate/main.cc is a thin
// wrapper that adds the CUDA backend when it was built. Input and usage errors are InputError
// (exit code 2); failed kernel checks are CalibrationError (exit code 1).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "calibrate/backend.h"

namespace servesim {

struct BackendOptions {
  KernelDims dims;
  Timing timing;
  uint64_t seed = 1;
  int device = 0;  // CUDA device ordinal
};

using BackendFactory = std::function<std::unique_ptr<Backend>(const BackendOptions&)>;

// `extra_backends`: backends beyond "cpu" that this binary was built with (e.g. "cuda").
int RunCalibrateCli(const std::vector<std::string>& args, std::ostream& out,
                    const std::map<std::string, BackendFactory>& extra_backends = {});

std::string CalibrateUsage();

}  // namespace servesim
