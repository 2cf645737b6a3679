// Reading and checking profiles; the writer is in profile_writer.cc.
#include "calibrate/profile_io.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "calibrate/json_reader.h"
#include "sim/config/input_error.h"
#include "sim/report/atomic_file.h"

namespace servesim {
namespace {

Provenance ReadProvenance(const JsonAt& j) {
  j.CheckKeys({"device", "device_kind", "compute_units", "threads", "clock_mhz", "memory_bytes",
               "cache_bytes", "driver_version", "cuda_version", "cublas_version", "nccl_version",
               "compute_type", "date", "servesim_version", "command_line"});
  Provenance p;
  p.device = j.Child("device").String();
  p.device_kind = j.Child("device_kind").Enum({"cpu", "gpu"});
  p.compute_units = j.Child("compute_units").Int(0);
  p.threads = j.Child("threads").Int(0);
  p.clock_mhz = j.Child("clock_mhz").NumberAtLeast(0);
  p.memory_bytes = j.Child("memory_bytes").NumberAtLeast(0);
  p.cache_bytes = j.Child("cache_bytes").NumberAtLeast(0);
  p.driver_version = j.Child("driver_version").String();
  p.cuda_version = j.Child("cuda_version").String();
  p.cublas_version = j.Child("cublas_version").String();
  p.nccl_version = j.Child("nccl_version").String();
  p.compute_type = j.Child("compute_type").String();
  p.date = j.Child("date").String();
  p.servesim_version = j.Child("servesim_version").String();
  p.command_line = j.Child("command_line").String();
  return p;
}

Peaks ReadPeaks(const JsonAt& j) {
  j.CheckKeys(
      {"gemm_flops_per_s", "bf16_flops_per_s", "bytes_per_s", "link_bytes_per_s", "source"});
  Peaks p;
  p.gemm_flops_per_s = j.Child("gemm_flops_per_s").Positive();
  p.bf16_flops_per_s = j.Child("bf16_flops_per_s").Positive();
  p.bytes_per_s = j.Child("bytes_per_s").Positive();
  p.link_bytes_per_s = j.Child("link_bytes_per_s").NumberAtLeast(0);
  return p;
}

std::vector<double> ReadAxis(const JsonAt& j, bool allow_zero) {
  std::vector<double> v;
  for (const JsonAt& e : j.Elements()) {
    const double x = allow_zero ? e.NumberAtLeast(0) : e.Positive();
    if (!v.empty() && x <= v.back()) e.Fail("grid values must increase strictly");
    v.push_back(x);
  }
  if (v.empty()) j.Fail("must not be empty");
  return v;
}

OpPoint ReadPoint(const JsonAt& j, const CalOpInfo& info) {
  std::vector<std::string> keys = {"time_s", "flops", "bytes", "check_error", "kv_lengths"};
  OpPoint p;
  for (int k = 0; k < info.num_axes; ++k) {
    keys.emplace_back(info.axes[k]);
    p.at[k] = j.Child(info.axes[k]).NumberAtLeast(0);
  }
  j.CheckKeys(keys);
  p.time_s = j.Child("time_s").Positive();
  p.flops = j.Child("flops").NumberAtLeast(0);
  p.bytes = j.Child("bytes").NumberAtLeast(0);
  p.check_error = j.Child("check_error").NumberAtLeast(0);
  if (j.Has("kv_lengths")) {
    for (const JsonAt& e : j.Child("kv_lengths").Elements()) p.kv_lengths.push_back(e.Int(1));
  }
  return p;
}

OpFit ReadFit(const JsonAt& j, const CalOpInfo& info) {
  j.CheckKeys({"form", "features", "pieces", "rms_rel_error", "max_rel_error"});
  static const std::vector<std::string> kForms = {"roofline", "compute_memory", "decode", "memory",
                                                  "link"};
  const JsonAt form = j.Child("form");
  if (form.Enum(kForms) != kForms[static_cast<size_t>(info.form)]) {
    form.Fail(
        fmt::format("must be '{}' for {}", kForms[static_cast<size_t>(info.form)], info.name));
  }
  OpFit fit;
  const int nf = NumFeatures(info.form);
  for (const JsonAt& pj : j.Child("pieces").Elements()) {
    FitPiece piece{pj.Child("lo").NumberAtLeast(0), pj.Child("hi").NumberAtLeast(0), {0, 0, 0}};
    const std::vector<JsonAt> coef = pj.Child("coef").Elements();
    if (static_cast<int>(coef.size()) != nf) {
      pj.Child("coef").Fail(fmt::format("must have {} coefficients, got {}", nf, coef.size()));
    }
    for (int i = 0; i < nf; ++i) piece.coef[i] = coef[i].NumberAtLeast(0);
    if (!fit.pieces.empty() && piece.lo < fit.pieces.back().lo) {
      pj.Fail("pieces must be sorted by lo");
    }
    fit.pieces.push_back(piece);
  }
  if (fit.pieces.empty()) j.Child("pieces").Fail("must not be empty");
  fit.rms_rel_error = j.Child("rms_rel_error").NumberAtLeast(0);
  fit.max_rel_error = j.Child("max_rel_error").NumberAtLeast(0);
  return fit;
}

// The grid's points, row-major, each at its grid values.
void CheckGridPoints(const JsonAt& j, const OpProfile& op, int axes) {
  const size_t n1 = axes == 2 ? op.grid[1].size() : 1;
  const size_t expected = op.grid[0].size() * n1;
  if (op.points.size() != expected) {
    j.Fail(
        fmt::format("must hold one point per grid value ({}), got {}", expected, op.points.size()));
  }
  for (size_t i = 0; i < op.points.size(); ++i) {
    const OpPoint& p = op.points[i];
    const bool ok = p.at[0] == op.grid[0][i / n1] && (axes == 1 || p.at[1] == op.grid[1][i % n1]);
    if (!ok) j.Elements()[i].Fail("points must follow the grid in row-major order");
  }
}

OpProfile ReadOp(const JsonAt& j, CalOp id) {
  const CalOpInfo& info = OpInfo(id);
  j.CheckKeys({"class", "axes", "grid", "covered", "points", "extra_points", "fit", "efficiency"});
  OpProfile op;
  op.op = id;
  const std::vector<JsonAt> axes = j.Child("axes").Elements();
  bool axes_ok = static_cast<int>(axes.size()) == info.num_axes;
  for (size_t k = 0; axes_ok && k < axes.size(); ++k) axes_ok = axes[k].String() == info.axes[k];
  if (!axes_ok) {
    j.Child("axes").Fail(
        fmt::format("must be [{}] for {}",
                    info.num_axes == 1 ? fmt::format("\"{}\"", info.axes[0])
                                       : fmt::format("\"{}\", \"{}\"", info.axes[0], info.axes[1]),
                    info.name));
  }
  for (int k = 0; k < info.num_axes; ++k) {
    op.grid[k] = ReadAxis(j.Child("grid").Child(info.axes[k]), k == 1);
  }
  for (const JsonAt& p : j.Child("points").Elements()) op.points.push_back(ReadPoint(p, info));
  CheckGridPoints(j.Child("points"), op, info.num_axes);
  if (j.Has("extra_points")) {
    for (const JsonAt& p : j.Child("extra_points").Elements()) {
      op.extra_points.push_back(ReadPoint(p, info));
    }
  }
  op.fit = ReadFit(j.Child("fit"), info);
  return op;
}

std::vector<OpProfile> ReadOps(const JsonAt& ops) {
  std::vector<std::string> names;
  for (int i = 0; i < kNumCalOps; ++i) names.emplace_back(OpInfo(static_cast<CalOp>(i)).name);
  ops.CheckKeys(names);
  std::vector<OpProfile> out;
  for (const std::string& name : ops.Keys()) {
    out.push_back(ReadOp(ops.Child(name), *CalOpFromName(name)));
  }
  std::sort(out.begin(), out.end(),
            [](const OpProfile& a, const OpProfile& b) { return a.op < b.op; });
  return out;
}

void ReadSteps(const JsonAt& j, CalibrationProfile* p) {
  p->step_layers = j.Child("layers").Int(0);
  for (const JsonAt& s : j.Child("points").Elements()) {
    p->steps.push_back({s.Child("prefill_tokens").Int(0), s.Child("decode_seqs").Int(0),
                        s.Child("kv_len").Int(0), s.Child("measured_s").Positive(),
                        s.Child("predicted_s").NumberAtLeast(0)});
  }
}

void ReadHeader(const JsonAt& root, CalibrationProfile* p) {
  const JsonAt format = root.Child("format");
  if (!format.Raw().is_string() || format.String() != kProfileFormat) {
    root.Fail(
        fmt::format("not a servesim calibration profile (format must be '{}')", kProfileFormat));
  }
  const JsonAt version = root.Child("version");
  p->version = static_cast<int>(version.Int(1));
  if (p->version != kProfileVersion) {
    version.Fail(fmt::format("profile version {} is not supported (this servesim reads version {})",
                             p->version, kProfileVersion));
  }
}

}  // namespace

CalibrationProfile ProfileFromJson(const std::string& text, const std::string& name) {
  const nlohmann::json doc = ParseJsonDocument(text, name);
  const JsonAt root(doc, name, "");
  if (!doc.is_object()) root.Fail("not a servesim calibration profile (expected a JSON object)");
  CalibrationProfile p;
  ReadHeader(root, &p);
  root.CheckKeys({"format", "version", "model", "tp", "precision", "kv_cache_precision", "backend",
                  "hardware", "provenance", "peaks", "projected", "ops", "step_check"});
  p.model = root.Child("model").String();
  if (p.model.empty()) root.Child("model").Fail("must not be empty");
  p.tp = root.Child("tp").Int(1);
  p.precision = ParsePrecision(root.Child("precision").Enum(PrecisionNames()));
  p.kv_precision = ParsePrecision(root.Child("kv_cache_precision").Enum(PrecisionNames()));
  p.backend = root.Child("backend").Enum({"cpu", "cuda"});
  p.hardware = root.Child("hardware").String();
  p.provenance = ReadProvenance(root.Child("provenance"));
  p.peaks = ReadPeaks(root.Child("peaks"));
  p.peaks_source = root.Child("peaks").Child("source").String();
  const JsonAt proj = root.Child("projected");
  if (!proj.Raw().is_null()) {
    p.projected =
        Projection{proj.Child("source_profile").String(), proj.Child("source_device").String(),
                   proj.Child("source_hardware").String(), ReadPeaks(proj.Child("source_peaks"))};
  }
  p.ops = ReadOps(root.Child("ops"));
  if (root.Has("step_check")) ReadSteps(root.Child("step_check"), &p);
  return p;
}

CalibrationProfile LoadProfile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open calibration profile", path));
  std::stringstream text;
  text << in.rdbuf();
  return ProfileFromJson(text.str(), path);
}

void SaveProfile(const std::string& path, const CalibrationProfile& profile) {
  WriteFileAtomically(path, ProfileToJson(profile));
}

}  // namespace servesim
