// Reading and writing calibration profiles (JSON, schema in docs/calibration.md) and checking a
// profile against the run that wants to use it. All file I/O of profiles lives here so that
// models/ stays pure. Errors are InputError naming the file and the offending key.
#pragma once

#include <string>

#include "models/calibration_ops.h"
#include "models/calibration_profile.h"
#include "models/model_spec.h"
#include "models/step_model.h"

namespace servesim {

inline constexpr const char* kProfileFormat = "servesim-calibration-profile";

// Stable, pretty JSON (keys in schema order, doubles round-trip exactly).
std::string ProfileToJson(const CalibrationProfile& profile);
// `name` stands in for the file in messages.
CalibrationProfile ProfileFromJson(const std::string& text, const std::string& name);

CalibrationProfile LoadProfile(const std::string& path);
void SaveProfile(const std::string& path, const CalibrationProfile& profile);  // atomic

// The profile must be for this model, tp, precision and KV precision, and, when it names a zoo
// GPU, for `gpu`. Returns "" or the first mismatch:
// "profile 'PATH' is for model 'a', but the scenario runs model 'b'".
std::string ProfileMismatch(const CalibrationProfile& profile, const std::string& path,
                            const ModelSpec& model, const DeploymentShape& shape,
                            const std::string& gpu);
// Every fit must predict a positive time at every grid point of its op.
void CheckProfileUsable(const CalibrationProfile& profile, const std::string& path,
                        const OpDims& dims);

}  // namespace servesim
