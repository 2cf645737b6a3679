// Projection: a profile for a GPU that was not measured, made by carrying each op's fitted
// efficiencies (the coefficients of its fit, which are 1 / efficiency against the source's
// peaks) onto the target GPU's datasheet peaks. Every point keeps its measured deviation from
// the fit: t_target = t_source x fit_target(x) / fit_source(x). Whole-step checks are dropped
// (nothing was measured on the target). See docs/calibration.md for how far to trust it.
#pragma once

#include <string>

#include "models/calibration_profile.h"
#include "models/hardware_spec.h"
#include "models/model_spec.h"

namespace servesim {

// The target's peaks for the profile's precision. Throws InputError if the target lacks the
// precision's tensor cores.
Peaks TargetPeaks(const HardwareSpec& target, Precision precision);

// REQUIRES: `model` is the profile's model (its dims size the features).
CalibrationProfile ProjectProfile(const CalibrationProfile& source, const std::string& source_path,
                                  const ModelSpec& model, const HardwareSpec& target);

}  // namespace servesim
