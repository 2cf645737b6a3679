// CoverageLedger: where simulated step time came from when a calibration profile prices the
// steps: measured points, interpolation between them, extrapolation beyond them (the roofline
// scaled by the fitted efficiency), or the plain roofline for ops the profile lacks.
#pragma once

#include <string>
#include <vector>

namespace servesim {

struct CoverageLedger {
  double measured_s = 0;
  double interpolated_s = 0;
  double extrapolated_s = 0;
  double roofline_s = 0;  // ops without calibration data

  struct Extrapolation {
    std::string op;     // e.g. "gemm.qkv"
    std::string point;  // e.g. "tokens=32768 (measured up to 16384)"
    double factor = 0;  // how far outside the measured range (x the largest measured size)
    double time_s = 0;  // simulated time it contributed
  };
  std::vector<Extrapolation> worst;  // the largest extrapolations, worst first

  double Total() const { return measured_s + interpolated_s + extrapolated_s + roofline_s; }
};

}  // namespace servesim
