#include "sim/step_model_factory.h"

#include <fmt/format.h>

#include "sim/config/input_error.h"

namespace servesim {

std::unique_ptr<StepModel> MakeStepModel(const Scenario& scenario) {
  if (!scenario.calibration_path.empty()) {
    throw InputError(fmt::format("{}: calibration: profiles are not supported yet ('{}')",
                                 scenario.file, scenario.calibration_path));
  }
  return std::make_unique<RooflineStepModel>(scenario.model, scenario.hardware,
                                             scenario.engine.shape, scenario.engine.cost);
}

}  // namespace servesim
