// CheckProfileMatches and CheckProfileUsable (declared in calibrate/profile_io.h).
#include <fmt/format.h>

#include "calibrate/profile_io.h"
#include "models/calibration_profile.h"
#include "sim/config/input_error.h"

namespace servesim {
namespace {

std::string Mismatch(const std::string& path, std::string_view what,
                     const std::string& profile_value, const std::string& run_value) {
  return fmt::format("profile '{}' is for {} {}, but the scenario runs {} {}", path, what,
                     profile_value, what, run_value);
}

}  // namespace

std::string ProfileMismatch(const CalibrationProfile& p, const std::string& path,
                            const ModelSpec& model, const DeploymentShape& shape,
                            const std::string& gpu) {
  const auto quoted = [](const std::string& s) { return fmt::format("'{}'", s); };
  if (p.model != model.name) return Mismatch(path, "model", quoted(p.model), quoted(model.name));
  if (p.tp != shape.tp) {
    return Mismatch(path, "tp", std::to_string(p.tp), std::to_string(shape.tp));
  }
  if (p.precision != shape.weight_precision) {
    return Mismatch(path, "precision", PrecisionName(p.precision),
                    PrecisionName(shape.weight_precision));
  }
  if (p.kv_precision != shape.kv_precision) {
    return Mismatch(path, "kv_cache_precision", PrecisionName(p.kv_precision),
                    PrecisionName(shape.kv_precision));
  }
  if (!p.hardware.empty() && p.hardware != gpu) {
    return Mismatch(path, "GPU", quoted(p.hardware), quoted(gpu));
  }
  return "";
}

void CheckProfileUsable(const CalibrationProfile& p, const std::string& path, const OpDims& dims) {
  for (const OpProfile& op : p.ops) {
    for (const OpPoint& pt : op.points) {
      const Features f = FeaturesOf(op.op, WorkOf(op.op, dims, pt.at[0], pt.at[1]), p.peaks);
      if (!(EvalFit(op.fit, pt.at[0], f) > 0)) {
        throw InputError(fmt::format(
            "{}: ops.{}.fit: predicts a time <= 0 at {}={:g}; recalibrate or fix the coefficients",
            path, OpInfo(op.op).name, OpInfo(op.op).axes[0], pt.at[0]));
      }
    }
  }
}

}  // namespace servesim
