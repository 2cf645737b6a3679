// A fake StepModel with a fixed step time, whatever the batch: latencies become exact multiples
// of it (STYLE.md: fakes instead of mocks).
#pragma once

#include "models/step_model.h"

namespace servesim::test_util {

class FixedStep : public StepModel {
 public:
  explicit FixedStep(double seconds) : seconds_(seconds) {}
  StepCost Cost(const BatchShape&) const override {
    StepCost c;
    c.duration_s = c.breakdown.host_s = seconds_;
    return c;
  }

 private:
  double seconds_;
};

}  // namespace servesim::test_util
