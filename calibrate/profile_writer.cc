// ProfileToJson: the writing half of calibrate/profile_io.h.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "calibrate/profile_io.h"

namespace servesim {
namespace {

using Json = nlohmann::ordered_json;

Json ProvenanceJson(const Provenance& p) {
  return {{"device", p.device},
          {"device_kind", p.device_kind},
          {"compute_units", p.compute_units},
          {"threads", p.threads},
          {"clock_mhz", p.clock_mhz},
          {"memory_bytes", p.memory_bytes},
          {"cache_bytes", p.cache_bytes},
          {"driver_version", p.driver_version},
          {"cuda_version", p.cuda_version},
          {"cublas_version", p.cublas_version},
          {"nccl_version", p.nccl_version},
          {"compute_type", p.compute_type},
          {"date", p.date},
          {"servesim_version", p.servesim_version},
          {"command_line", p.command_line}};
}

Json PeaksJson(const Peaks& p) {
  return {{"gemm_flops_per_s", p.gemm_flops_per_s},
          {"bf16_flops_per_s", p.bf16_flops_per_s},
          {"bytes_per_s", p.bytes_per_s},
          {"link_bytes_per_s", p.link_bytes_per_s}};
}

Json PointJson(const CalOpInfo& info, const OpPoint& p) {
  Json j;
  for (int k = 0; k < info.num_axes; ++k) j[std::string(info.axes[k])] = p.at[k];
  j["time_s"] = p.time_s;
  j["flops"] = p.flops;
  j["bytes"] = p.bytes;
  j["check_error"] = p.check_error;
  if (!p.kv_lengths.empty()) j["kv_lengths"] = p.kv_lengths;
  return j;
}

Json FitJson(const CalOpInfo& info, const OpFit& fit) {
  const int nf = NumFeatures(info.form);
  const auto names = FeatureNames(info.form);
  Json features = Json::array(), pieces = Json::array();
  for (int i = 0; i < nf; ++i) features.push_back(std::string(names[i]));
  for (const FitPiece& p : fit.pieces) {
    Json coef = Json::array();
    for (int i = 0; i < nf; ++i) coef.push_back(p.coef[i]);
    pieces.push_back({{"lo", p.lo}, {"hi", p.hi}, {"coef", coef}});
  }
  static const char* kForms[] = {"roofline", "compute_memory", "decode", "memory", "link"};
  return {{"form", kForms[static_cast<int>(info.form)]},
          {"features", features},
          {"pieces", pieces},
          {"rms_rel_error", fit.rms_rel_error},
          {"max_rel_error", fit.max_rel_error}};
}

// Informational: achieved rates and efficiencies at the largest grid point.
Json EfficiencyJson(const OpProfile& op, const Peaks& peaks) {
  const OpPoint& p = op.points.back();
  const double flops_s = p.flops / p.time_s, bytes_s = p.bytes / p.time_s;
  const double peak = MathPeak(op.op, peaks);
  return {{"at_largest_point", true},
          {"achieved_flops_per_s", flops_s},
          {"achieved_bytes_per_s", bytes_s},
          {"compute_efficiency", peak > 0 ? flops_s / peak : 0.0},
          {"memory_efficiency", peaks.bytes_per_s > 0 ? bytes_s / peaks.bytes_per_s : 0.0}};
}

Json OpJson(const OpProfile& op, const Peaks& peaks) {
  const CalOpInfo& info = OpInfo(op.op);
  Json axes = Json::array(), grid, covered, points = Json::array(), extra = Json::array();
  for (int k = 0; k < info.num_axes; ++k) {
    const std::string axis(info.axes[k]);
    axes.push_back(axis);
    grid[axis] = op.grid[k];
    covered[axis] = {op.grid[k].front(), op.grid[k].back()};
  }
  for (const OpPoint& p : op.points) points.push_back(PointJson(info, p));
  for (const OpPoint& p : op.extra_points) extra.push_back(PointJson(info, p));
  return {{"class", std::string(info.op_class)},
          {"axes", axes},
          {"grid", grid},
          {"covered", covered},
          {"points", points},
          {"extra_points", extra},
          {"fit", FitJson(info, op.fit)},
          {"efficiency", EfficiencyJson(op, peaks)}};
}

Json StepsJson(const CalibrationProfile& profile) {
  Json points = Json::array();
  double sse = 0, max_rel = 0;
  for (const StepCheckPoint& s : profile.steps) {
    const double rel = (s.predicted_s - s.measured_s) / s.measured_s;
    sse += rel * rel;
    max_rel = std::max(max_rel, std::abs(rel));
    points.push_back({{"prefill_tokens", s.prefill_tokens},
                      {"decode_seqs", s.decode_seqs},
                      {"kv_len", s.kv_len},
                      {"measured_s", s.measured_s},
                      {"predicted_s", s.predicted_s},
                      {"rel_error", rel}});
  }
  const double n = static_cast<double>(std::max<size_t>(profile.steps.size(), 1));
  return {{"layers", profile.step_layers},
          {"points", points},
          {"rms_rel_error", std::sqrt(sse / n)},
          {"max_rel_error", max_rel}};
}

}  // namespace

std::string ProfileToJson(const CalibrationProfile& p) {
  Json j;
  j["format"] = kProfileFormat;
  j["version"] = p.version;
  j["model"] = p.model;
  j["tp"] = p.tp;
  j["precision"] = PrecisionName(p.precision);
  j["kv_cache_precision"] = PrecisionName(p.kv_precision);
  j["backend"] = p.backend;
  j["hardware"] = p.hardware;
  j["provenance"] = ProvenanceJson(p.provenance);
  j["peaks"] = PeaksJson(p.peaks);
  j["peaks"]["source"] = p.peaks_source;
  if (p.projected) {
    j["projected"] = {{"source_profile", p.projected->source_profile},
                      {"source_device", p.projected->source_device},
                      {"source_hardware", p.projected->source_hardware},
                      {"source_peaks", PeaksJson(p.projected->source_peaks)}};
  } else {
    j["projected"] = nullptr;
  }
  Json ops = Json::object();
  for (int i = 0; i < kNumCalOps; ++i) {  // in CalOp order, whatever the order of p.ops
    const OpProfile* op = p.Find(static_cast<CalOp>(i));
    if (op) ops[std::string(OpInfo(op->op).name)] = OpJson(*op, p.peaks);
  }
  j["ops"] = ops;
  j["step_check"] = StepsJson(p);
  return j.dump(2) + "\n";
}

}  // namespace servesim
