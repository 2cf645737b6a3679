// The calibration harness: measures every op of a dense transformer on a backend over a grid,
// fits each op (calibrate/fit.h), checks that the per-op sum predicts whole steps, and returns
// the profile with its provenance. Backend-independent; servesim-calibrate drives it.
#pragma once

#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>

#include "calibrate/backend.h"
#include "calibrate/grid.h"
#include "models/calibration_profile.h"
#include "models/hardware_spec.h"
#include "models/model_spec.h"
#include "models/step_model.h"

namespace servesim {

// A kernel failed its correctness check, or a device call failed: the measurement is unusable
// (exit code 1, not an input error).
class CalibrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CalibrationRequest {
  ModelSpec model;
  DeploymentShape shape;
  CalibrationGrid grid;
  std::optional<HardwareSpec> gpu;  // zoo GPU: its datasheet peaks become the profile's peaks
  std::string command_line;
  int64_t block_size = 16;
};

KernelDims KernelDimsOf(const ModelSpec& model, const DeploymentShape& shape, int64_t block_size);

// Throws CalibrationError when a kernel's check error exceeds the backend's tolerance.
// `log` (may be null) gets one line per op.
CalibrationProfile RunCalibration(const CalibrationRequest& request, Backend& backend,
                                  std::ostream* log);

// Predicted time of a whole step from a profile (the per-op sum, no host overhead), for a model
// of `layers` layers.
double PredictStep(const CalibrationProfile& profile, const ModelSpec& model,
                   const DeploymentShape& shape, const StepShape& step);

// Current UTC time as ISO 8601 ("2026-05-01T12:00:00Z").
std::string UtcNow();

}  // namespace servesim
