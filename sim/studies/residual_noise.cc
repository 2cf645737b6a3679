#include "sim/studies/residual_noise.h"

#include <fmt/format.h>

#include <bit>

#include "calibrate/profile_io.h"
#include "sim/config/input_error.h"
#include "sim/core/check.h"
#include "sim/core/rng.h"

namespace servesim {

ResidualNoise ResidualsOf(const CalibrationProfile& profile, const std::string& path) {
  ResidualNoise noise;
  for (const StepCheckPoint& p : profile.steps) {
    if (p.measured_s > 0 && p.predicted_s > 0) {
      noise.relative_errors.push_back(p.measured_s / p.predicted_s - 1.0);
    }
  }
  if (noise.relative_errors.size() < 2) {
    throw InputError(fmt::format(
        "{}: calibration: the profile has {} whole-step checks (step_check); prediction intervals "
        "need at least 2 (a projected profile has none: calibrate on the target GPU)",
        path, noise.relative_errors.size()));
  }
  noise.source = fmt::format("{}: {} whole-step checks", path, noise.relative_errors.size());
  return noise;
}

std::optional<ResidualNoise> ScenarioResiduals(const Scenario& scenario) {
  if (scenario.calibration_path.empty()) return std::nullopt;
  return ResidualsOf(LoadProfile(scenario.calibration_path), scenario.calibration_path);
}

ResidualNoiseStream::ResidualNoiseStream(ResidualNoise noise, uint64_t seed)
    : noise_(std::move(noise)), seed_(seed) {
  SERVESIM_CHECK(!noise_.relative_errors.empty());
}

std::string ResidualNoiseStream::ClassOf(const BatchShape& batch) {
  SERVESIM_CHECK(!batch.Empty());
  const char* kind = batch.prefills.empty()   ? "decode"
                     : batch.decode_seqs == 0 ? "prefill"
                                              : "mixed";
  const auto tokens = static_cast<uint64_t>(batch.TotalTokens());
  return fmt::format("{}/2^{}", kind, std::bit_width(tokens) - 1);
}

double ResidualNoiseStream::Factor(const BatchShape& batch) {
  const std::string cls = ClassOf(batch);
  auto it = factors_.find(cls);
  if (it == factors_.end()) {
    Rng rng(seed_, "calibration_residuals/" + cls);
    const auto n = static_cast<int64_t>(noise_.relative_errors.size());
    const double e = noise_.relative_errors[static_cast<size_t>(rng.UniformInt(0, n - 1))];
    it = factors_.emplace(cls, 1.0 + e).first;
  }
  return it->second;
}

}  // namespace servesim
