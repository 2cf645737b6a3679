#include "sim/step_model_factory.h"

#include <fmt/format.h>

#include <utility>

#include "calibrate/profile_io.h"
#include "models/calibrated_step_model.h"
#include "models/host_load_step_model.h"
#include "models/speculative_step_model.h"
#include "sim/config/input_error.h"

namespace servesim {
namespace {

// The step model priced from the scenario's calibration profile, after checking that the profile
// was measured (or projected) for this model, tp, precisions and GPU.
std::unique_ptr<StepModel> MakeCalibratedStepModel(const Scenario& scenario) {
  const std::string& path = scenario.calibration_path;
  if (scenario.model.IsMoe()) {
    throw InputError(
        fmt::format("{}: calibration: profiles cannot price MoE models yet (model '{}')",
                    scenario.file, scenario.model.name));
  }
  const CalibrationProfile profile = LoadProfile(path);
  const std::string mismatch =
      ProfileMismatch(profile, path, scenario.model, scenario.engine.shape, scenario.hardware.name);
  if (!mismatch.empty()) {
    throw InputError(fmt::format("{}: calibration: {}", scenario.file, mismatch));
  }
  CheckProfileUsable(profile, path, OpDims::From(scenario.model, scenario.engine.shape));
  return std::make_unique<CalibratedStepModel>(
      scenario.model, scenario.hardware, scenario.engine.shape, scenario.engine.cost, profile);
}

}  // namespace

// With KV offload the target's steps also load KV from host memory, over each GPU's host link
// (one direction: half the bidirectional figure of the hardware file).
static std::unique_ptr<StepModel> WithHostLoads(const Scenario& scenario,
                                                std::unique_ptr<StepModel> target) {
  if (scenario.engine.batching.host_offload_blocks == 0) return target;
  return std::make_unique<HostLoadStepModel>(std::move(target), scenario.memory.kv_bytes_per_token,
                                             scenario.hardware.host_link_bandwidth_bytes_per_s / 2,
                                             scenario.model.num_layers, scenario.engine.cost);
}

// With speculative decoding the target's model is wrapped: its steps verify drafts, and the
// proposer's passes (the draft model or the EAGLE head, priced by the roofline on the same GPUs
// and split) follow each step.
static std::unique_ptr<StepModel> WithSpeculation(const Scenario& scenario,
                                                  std::unique_ptr<StepModel> target) {
  const SpeculativeConfig& spec = scenario.engine.speculative;
  if (!spec.enabled) return target;
  std::unique_ptr<StepModel> drafter;
  if (spec.drafter) {
    drafter = std::make_unique<RooflineStepModel>(*spec.drafter, scenario.hardware,
                                                  scenario.engine.shape, scenario.engine.cost);
  }
  return std::make_unique<SpeculativeStepModel>(std::move(target), std::move(drafter),
                                                spec.draft_method, spec.num_tokens,
                                                scenario.engine.cost);
}

std::unique_ptr<StepModel> MakeStepModel(const Scenario& scenario) {
  if (!scenario.calibration_path.empty()) {
    return WithSpeculation(scenario, WithHostLoads(scenario, MakeCalibratedStepModel(scenario)));
  }
  return WithSpeculation(scenario,
                         WithHostLoads(scenario, std::make_unique<RooflineStepModel>(
                                                     scenario.model, scenario.hardware,
                                                     scenario.engine.shape, scenario.engine.cost)));
}

std::vector<std::unique_ptr<StepModel>> MakeStepModels(const Scenario& scenario) {
  std::vector<std::unique_ptr<StepModel>> models;
  if (!scenario.disaggregation) {
    models.push_back(MakeStepModel(scenario));
    return models;
  }
  if (!scenario.calibration_path.empty()) {
    throw InputError(fmt::format(
        "{}: calibration: a profile describes one GPU and parallelism; it cannot price both pools "
        "of a disaggregated scenario",
        scenario.file));
  }
  for (const PoolSpec* pool :
       {&scenario.disaggregation->prefill, &scenario.disaggregation->decode}) {
    DeploymentShape shape = scenario.engine.shape;
    shape.tp = pool->tp;
    shape.pp = pool->pp;
    shape.ep = 1;
    models.push_back(std::make_unique<RooflineStepModel>(scenario.model, pool->hardware, shape,
                                                         scenario.engine.cost));
  }
  return models;
}

}  // namespace servesim
