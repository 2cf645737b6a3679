// Chooses and builds the StepModel for a scenario: the roofline model, or, when the scenario
// names a calibration profile, the model priced from that profile's measurements.
#pragma once

#include <memory>
#include <vector>

#include "models/step_model.h"
#include "sim/config/scenario.h"

namespace servesim {

// Throws InputError if the profile cannot be read or does not match the scenario.
std::unique_ptr<StepModel> MakeStepModel(const Scenario& scenario);

// One step model per pool: the scenario's for a colocated deployment; for a disaggregated one
// the prefill pool's then the decode pool's (each on its own GPU type and parallelism).
std::vector<std::unique_ptr<StepModel>> MakeStepModels(const Scenario& scenario);

}  // namespace servesim
