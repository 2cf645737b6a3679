// A short human-readable table of a calibration profile (`servesim-calibrate summary PROFILE`):
// per op the achieved TFLOP/s and GB/s at its largest measured point against the profile's
// peaks, the fit's residuals, and the whole-step check.
#pragma once

#include <ostream>
#include <string>

#include "models/calibration_profile.h"

namespace servesim {

void PrintProfileSummary(const CalibrationProfile& profile, const std::string& path,
                         std::ostream& out);

}  // namespace servesim
