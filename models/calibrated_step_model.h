// CalibratedStepModel: prices every op of a step from a calibration profile (measured or
// interpolated inside the profile's grid, the fitted roofline outside it, the plain roofline for
// ops the profile lacks) and keeps a CoverageLedger of where the simulated time came from.
// Host overhead stays an engine parameter (StepModelParams) and is not part of the ledger.
// One instance per simulation: Cost() updates the ledger (not thread-safe).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/calibrated_op_table.h"
#include "models/calibration_profile.h"
#include "models/step_model.h"

namespace servesim {

class CalibratedStepModel : public StepModel {
 public:
  // REQUIRES: a dense model; the profile was checked against model, shape and dims
  // (calibrate/profile_io CheckProfileUsable).
  CalibratedStepModel(const ModelSpec& model, const HardwareSpec& hw, const DeploymentShape& shape,
                      const StepModelParams& params, const CalibrationProfile& profile);
  ~CalibratedStepModel() override;

  StepCost Cost(const BatchShape& batch) const override;
  const CoverageLedger* Coverage() const override;

  // One call of `op` at axis values (x0, x1), without touching the ledger.
  OpPrice Price(CalOp op, double x0, double x1) const;

 private:
  struct Acc;
  struct Worst {
    double factor = 0;
    std::string point;
    double time_s = 0;
  };
  struct Comm {
    double layer_s = 0;  // collectives of one layer
    double p2p_s = 0;    // one pipeline send
  };
  void Add(Acc* acc, CalOp op, double x0, double x1, double calls, double ledger_calls) const;
  OpPrice Roofline(CalOp op, const OpWork& work) const;
  Comm Communication(const BatchShape& batch, double tokens) const;

  double layers_;
  double stage_layers_;  // ceil(layers / pp)
  double pp_;
  OpDims dims_;
  HardwareSpec hw_;
  DeploymentShape shape_;
  StepModelParams params_;
  std::array<std::optional<CalibratedOpTable>, kNumCalOps> tables_;
  std::unique_ptr<RooflineStepModel> roofline_;  // collectives when tp > 1 or pp > 1
  mutable CoverageLedger ledger_;
  mutable std::array<Worst, kNumCalOps> worst_;
};

}  // namespace servesim
