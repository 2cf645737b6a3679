// ResidualNoise: prediction intervals from a calibration profile's residuals. The profile's
// whole-step check (calibrate/: a stack of layers measured as one step, `step_check` in the
// profile) says how far the per-op sum that prices simulated steps was from measured steps:
// relative errors e = measured / predicted - 1. A replication draws, for every class of step
// (decode-only, prefill-only or mixed, by power-of-two size in tokens), one of those errors at
// random and multiplies the time of every step of that class by (1 + e) for the whole run. Errors
// of a fitted cost model are systematic for a given shape, so a class keeps its error for the
// run instead of averaging it away step by step; different classes and different replications
// draw independently (stream "calibration_residuals/<class>" of the replication's seed).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/batch.h"
#include "models/calibration_profile.h"
#include "sim/config/scenario.h"

namespace servesim {

struct ResidualNoise {
  std::string source;                   // "PATH: N whole-step checks"
  std::vector<double> relative_errors;  // measured / predicted - 1, in profile order
};

// The residuals of `profile` (read from `path`). Throws InputError when it has fewer than two
// whole-step checks with positive times (a projected profile has none).
ResidualNoise ResidualsOf(const CalibrationProfile& profile, const std::string& path);

// The residuals of the scenario's calibration profile, or nullopt without one.
std::optional<ResidualNoise> ScenarioResiduals(const Scenario& scenario);

// The noise of one run: a factor per step class, drawn once per class from `noise` with `seed`.
// Not thread-safe (one per simulation).
class ResidualNoiseStream {
 public:
  ResidualNoiseStream(ResidualNoise noise, uint64_t seed);
  // 1 + e for the class of `batch`. REQUIRES: !batch.Empty().
  double Factor(const BatchShape& batch);
  // "decode/2^5": the class of a step (its kind and floor(log2(tokens))).
  static std::string ClassOf(const BatchShape& batch);

 private:
  ResidualNoise noise_;
  uint64_t seed_;
  std::map<std::string, double> factors_;
};

}  // namespace servesim
