#include "calibrate/profile_summary.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>

namespace servesim {
namespace {

// Integral axis values print as integers (1073741824, not 1.07374e+09).
std::string AxisValue(double x) {
  if (x == std::floor(x) && std::abs(x) < 1e15) return std::to_string(static_cast<int64_t>(x));
  return fmt::format("{:g}", x);
}

std::string PointText(const OpProfile& op) {
  const CalOpInfo& info = OpInfo(op.op);
  const OpPoint& p = op.points.back();
  std::string s = fmt::format("{}={}", info.axes[0], AxisValue(p.at[0]));
  if (info.num_axes == 2) s += fmt::format(" {}={}", info.axes[1], AxisValue(p.at[1]));
  return s;
}

void PrintSteps(const CalibrationProfile& p, std::ostream& out) {
  if (p.steps.empty()) {
    fmt::print(out, "whole-step check: none{}\n", p.projected ? " (projected profile)" : "");
    return;
  }
  double sse = 0, worst = 0;
  for (const StepCheckPoint& s : p.steps) {
    const double rel = (s.predicted_s - s.measured_s) / s.measured_s;
    sse += rel * rel;
    worst = std::max(worst, std::abs(rel));
  }
  fmt::print(out,
             "whole-step check ({} layers, {} steps): per-op sum vs measured step, rms {:.1f}%, "
             "max {:.1f}%\n",
             p.step_layers, p.steps.size(),
             100 * std::sqrt(sse / static_cast<double>(p.steps.size())), 100 * worst);
}

}  // namespace

void PrintProfileSummary(const CalibrationProfile& p, const std::string& path, std::ostream& out) {
  const Provenance& v = p.provenance;
  fmt::print(out, "profile {}: model {}, tp {}, {} (KV {}), backend {}{}\n", path, p.model, p.tp,
             PrecisionName(p.precision), PrecisionName(p.kv_precision), p.backend,
             p.projected ? fmt::format(", PROJECTED from {}", p.projected->source_profile) : "");
  fmt::print(out, "device: {} ({} {}), {} {}\n", v.device, v.compute_units,
             v.device_kind == "gpu" ? "SMs" : "cores", p.projected ? "projected" : "measured",
             v.date);
  if (!v.cuda_version.empty()) {
    fmt::print(out, "driver {}, CUDA {}, cuBLASLt {}{}\n", v.driver_version, v.cuda_version,
               v.cublas_version, v.nccl_version.empty() ? "" : ", NCCL " + v.nccl_version);
  }
  fmt::print(out, "peaks: {:.1f} TFLOP/s GEMM, {:.1f} TFLOP/s bf16, {:.0f} GB/s ({})\n",
             p.peaks.gemm_flops_per_s / 1e12, p.peaks.bf16_flops_per_s / 1e12,
             p.peaks.bytes_per_s / 1e9, p.peaks_source);
  fmt::print(out, "{:<18} {:<34} {:>11} {:>9} {:>6} {:>9} {:>6} {:>8}\n", "op", "largest point",
             "time", "TFLOP/s", "%peak", "GB/s", "%peak", "fit rms");
  for (const OpProfile& op : p.ops) {
    const OpPoint& pt = op.points.back();
    const double tflops = pt.flops / pt.time_s / 1e12, gbs = pt.bytes / pt.time_s / 1e9;
    const double peak = MathPeak(op.op, p.peaks) / 1e12, bw = p.peaks.bytes_per_s / 1e9;
    const auto pct = [](double x, double of) {
      return of > 0 && x > 0 ? fmt::format("{:.0f}%", 100 * x / of) : std::string("-");
    };
    fmt::print(out, "{:<18} {:<34} {:>8.3f} ms {:>9.3g} {:>6} {:>9.4g} {:>6} {:>7.1f}%\n",
               OpInfo(op.op).name, PointText(op), 1e3 * pt.time_s, tflops, pct(tflops, peak), gbs,
               pct(gbs, bw), 100 * op.fit.rms_rel_error);
  }
  PrintSteps(p, out);
}

}  // namespace servesim
