#include "calibrate/projection.h"

#include <fmt/format.h>

#include "models/calibration_ops.h"
#include "sim/config/input_error.h"
#include "sim/core/check.h"

namespace servesim {

Peaks TargetPeaks(const HardwareSpec& target, Precision precision) {
  const double gemm = target.PeakFlops(precision);
  if (gemm <= 0) {
    throw InputError(
        fmt::format("--to: GPU '{}' has no {} tensor cores; cannot project a {} profile "
                    "onto it",
                    target.name, PrecisionName(precision), PrecisionName(precision)));
  }
  return {gemm, target.peak_flops_bf16, target.memory_bandwidth_bytes_per_s,
          target.scaleup_bandwidth_bytes_per_s / 2};
}

CalibrationProfile ProjectProfile(const CalibrationProfile& source, const std::string& source_path,
                                  const ModelSpec& model, const HardwareSpec& target) {
  SERVESIM_CHECK(model.name == source.model);
  DeploymentShape shape;
  shape.tp = source.tp;
  shape.weight_precision = source.precision;
  shape.kv_precision = source.kv_precision;
  shape.activation_precision =
      source.precision == Precision::kFp16 ? Precision::kFp16 : Precision::kBf16;
  const OpDims dims = OpDims::From(model, shape);
  CalibrationProfile p = source;
  p.peaks = TargetPeaks(target, source.precision);
  p.hardware = target.name;
  p.peaks_source = fmt::format("hardware zoo: {} (datasheet); projected", target.name);
  p.projected = Projection{source_path, source.provenance.device, source.hardware, source.peaks};
  p.steps.clear();
  p.step_layers = 0;
  for (OpProfile& op : p.ops) {
    // Collectives with an unknown source link rate have no link term to carry: kept as measured.
    const auto scale = [&](OpPoint& pt) {
      const OpWork w = WorkOf(op.op, dims, pt.at[0], pt.at[1]);
      const double from = EvalFit(op.fit, pt.at[0], FeaturesOf(op.op, w, source.peaks));
      const double to = EvalFit(op.fit, pt.at[0], FeaturesOf(op.op, w, p.peaks));
      if (from > 0 && to > 0) pt.time_s *= to / from;
    };
    for (OpPoint& pt : op.points) scale(pt);
    for (OpPoint& pt : op.extra_points) scale(pt);
  }
  return p;
}

}  // namespace servesim
