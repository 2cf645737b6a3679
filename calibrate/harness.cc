#include "calibrate/harness.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "calibrate/fit.h"
#include "models/calibrated_step_model.h"
#include "sim/core/check.h"

namespace servesim {
namespace {

double Mean(const std::vector<int64_t>& v) {
  double s = 0;
  for (int64_t x : v) s += static_cast<double>(x);
  return s / static_cast<double>(v.size());
}

// Measures one point, enforcing the backend's tolerance.
template <typename Measure>
OpPoint Point(Backend& backend, CalOp op, const OpDims& dims, double x0, double x1,
              Measure measure) {
  const Measurement m = measure();
  const double tol = backend.Tolerance(op);
  if (!(m.check_error <= tol)) {
    throw CalibrationError(fmt::format(
        "kernel check failed: {} at {}={:g}{}: error {:.3g} exceeds the tolerance {:.3g} of the "
        "{} backend",
        OpInfo(op).name, OpInfo(op).axes[0], x0,
        OpInfo(op).num_axes == 2 ? fmt::format(", {}={:g}", OpInfo(op).axes[1], x1) : "",
        m.check_error, tol, backend.Name()));
  }
  SERVESIM_CHECK(m.time_s > 0);
  const OpWork w = WorkOf(op, dims, x0, x1);
  return {{x0, x1}, m.time_s, w.flops, w.bytes, m.check_error, {}};
}

OpProfile Measure1D(Backend& b, CalOp op, const OpDims& dims, const std::vector<int64_t>& xs) {
  OpProfile p;
  p.op = op;
  for (int64_t x : xs) {
    p.grid[0].push_back(static_cast<double>(x));
    p.points.push_back(Point(b, op, dims, static_cast<double>(x), 0, [&] {
      switch (OpInfo(op).op_class == "gemm" ? 0 : op == CalOp::kCopy ? 1 : 2) {
        case 0:
          return b.Gemm(op, x);
        case 1:
          return b.Copy(x);
        default:
          return op == CalOp::kAllReduce || op == CalOp::kAllGather ? b.Collective(op, x)
                                                                    : b.Elementwise(op, x);
      }
    }));
  }
  return p;
}

OpProfile MeasurePrefill(Backend& b, const OpDims& dims, const CalibrationGrid& g) {
  OpProfile p;
  p.op = CalOp::kPrefillAttention;
  for (int64_t c : g.prefill_chunks) p.grid[0].push_back(static_cast<double>(c));
  for (int64_t ctx : g.prefill_contexts) p.grid[1].push_back(static_cast<double>(ctx));
  for (int64_t c : g.prefill_chunks) {
    for (int64_t ctx : g.prefill_contexts) {
      p.points.push_back(Point(b, p.op, dims, static_cast<double>(c), static_cast<double>(ctx),
                               [&] { return b.PrefillAttention(c, ctx); }));
    }
  }
  return p;
}

OpProfile MeasureDecode(Backend& b, const OpDims& dims, const CalibrationGrid& g) {
  OpProfile p;
  p.op = CalOp::kDecodeAttention;
  for (int64_t s : g.decode_seqs) p.grid[0].push_back(static_cast<double>(s));
  for (int64_t kv : g.decode_kv) p.grid[1].push_back(static_cast<double>(kv));
  for (int64_t s : g.decode_seqs) {
    for (int64_t kv : g.decode_kv) {
      const std::vector<int64_t> lengths(static_cast<size_t>(s), kv);
      p.points.push_back(Point(b, p.op, dims, static_cast<double>(s), static_cast<double>(kv),
                               [&] { return b.DecodeAttention(lengths); }));
    }
  }
  for (const std::vector<int64_t>& lengths : MixedDecodeBatches(g)) {
    OpPoint pt = Point(b, p.op, dims, static_cast<double>(lengths.size()), Mean(lengths),
                       [&] { return b.DecodeAttention(lengths); });
    pt.kv_lengths = lengths;
    p.extra_points.push_back(pt);
  }
  return p;
}

void LogOp(std::ostream* log, const OpProfile& op) {
  if (!log) return;
  double worst = 0;
  for (const OpPoint& p : op.points) worst = std::max(worst, p.check_error);
  fmt::print(*log, "  {:<18} {:>3} points  check error <= {:.2g}  fit rms {:.1f}% max {:.1f}%\n",
             OpInfo(op.op).name, op.points.size() + op.extra_points.size(), worst,
             100 * op.fit.rms_rel_error, 100 * op.fit.max_rel_error);
}

std::vector<OpProfile> MeasureOps(const CalibrationRequest& r, Backend& b, const OpDims& dims) {
  const CalibrationGrid& g = r.grid;
  std::vector<OpProfile> ops;
  for (CalOp op :
       {CalOp::kGemmQkv, CalOp::kGemmO, CalOp::kGemmGateUp, CalOp::kGemmDown, CalOp::kGemmLmHead}) {
    ops.push_back(Measure1D(b, op, dims, g.tokens));
  }
  ops.push_back(MeasurePrefill(b, dims, g));
  ops.push_back(MeasureDecode(b, dims, g));
  for (CalOp op : {CalOp::kEmbedding, CalOp::kRmsNorm, CalOp::kRotary, CalOp::kSiluMul,
                   CalOp::kKvWrite, CalOp::kSampling}) {
    ops.push_back(Measure1D(b, op, dims, g.tokens));
  }
  if (!g.copy_bytes.empty()) ops.push_back(Measure1D(b, CalOp::kCopy, dims, g.copy_bytes));
  if (b.HasCollectives() && !g.comm_bytes.empty()) {
    ops.push_back(Measure1D(b, CalOp::kAllReduce, dims, g.comm_bytes));
    ops.push_back(Measure1D(b, CalOp::kAllGather, dims, g.comm_bytes));
  }
  return ops;
}

// Datasheet peaks of a zoo GPU, or the best rates this run achieved.
void SetPeaks(const CalibrationRequest& r, CalibrationProfile* p) {
  double gemm = 0, bytes = 0, link = 0;
  for (const OpProfile& op : p->ops) {
    for (const OpPoint& pt : op.points) {
      const std::string_view cls = OpInfo(op.op).op_class;
      if (cls == "gemm") gemm = std::max(gemm, pt.flops / pt.time_s);
      if (cls == "memory") bytes = std::max(bytes, pt.bytes / pt.time_s);
      if (cls == "communication") link = std::max(link, pt.bytes / pt.time_s);
    }
  }
  if (r.gpu) {
    const HardwareSpec& hw = *r.gpu;
    double peak = hw.PeakFlops(r.shape.weight_precision);
    if (peak <= 0) peak = hw.peak_flops_bf16;
    p->peaks = {peak, hw.peak_flops_bf16, hw.memory_bandwidth_bytes_per_s,
                hw.scaleup_bandwidth_bytes_per_s / 2};
    p->peaks_source = fmt::format("hardware zoo: {} (datasheet)", hw.name);
    p->hardware = hw.name;
    return;
  }
  if (bytes <= 0) bytes = 1e9;  // no copy measured: an arbitrary reference, stated below
  p->peaks = {gemm, gemm, bytes, link};
  p->peaks_source = "measured: best GEMM FLOP/s and copy bandwidth of this run";
}

}  // namespace

namespace {

// A stand-in GPU at the profile's peaks, for the roofline parts of a prediction (none when the
// profile has every op) and for collectives (excluded from step predictions).
HardwareSpec PeaksAsHardware(const CalibrationProfile& p) {
  HardwareSpec hw;
  hw.name = "calibrated-device";
  hw.peak_flops_bf16 = p.peaks.bf16_flops_per_s;
  hw.peak_flops_fp8 = p.peaks.gemm_flops_per_s;
  hw.memory_bandwidth_bytes_per_s = p.peaks.bytes_per_s;
  hw.scaleup_link = "none";
  hw.host_link_bandwidth_bytes_per_s = 64e9;
  return hw;
}

void MeasureSteps(const CalibrationRequest& r, Backend& b, CalibrationProfile* p,
                  std::ostream* log) {
  const CalibrationGrid& g = r.grid;
  p->step_layers = std::min(g.step_layers, r.model.num_layers);
  for (int64_t prefill : g.step_prefill) {
    for (int64_t seqs : g.step_decode) {
      for (size_t k = 0; k < g.step_kv.size(); ++k) {
        if (prefill + seqs == 0 || (seqs == 0 && k > 0)) continue;  // kv only matters to decode
        const StepShape shape{prefill, seqs, seqs > 0 ? g.step_kv[k] : 0, p->step_layers};
        const Measurement m = b.Step(shape);
        p->steps.push_back(
            {prefill, seqs, shape.kv_len, m.time_s, PredictStep(*p, r.model, r.shape, shape)});
      }
    }
  }
  if (!log) return;
  for (const StepCheckPoint& s : p->steps) {
    fmt::print(*log,
               "  step prefill {:>5} decode {:>4} x kv {:>5}: measured {:9.3f} ms, per-op sum "
               "{:9.3f} ms ({:+.1f}%)\n",
               s.prefill_tokens, s.decode_seqs, s.kv_len, 1e3 * s.measured_s, 1e3 * s.predicted_s,
               100 * (s.predicted_s - s.measured_s) / s.measured_s);
  }
}

}  // namespace

KernelDims KernelDimsOf(const ModelSpec& m, const DeploymentShape& s, int64_t block_size) {
  const auto div_ceil = [&](int64_t a) { return (a + s.tp - 1) / s.tp; };
  KernelDims d;
  d.hidden = m.hidden_size;
  d.heads = div_ceil(m.num_attention_heads);
  d.kv_heads = div_ceil(m.num_kv_heads);
  d.head_dim = m.head_dim;
  d.ffn = div_ceil(m.intermediate_size);
  d.vocab_local = div_ceil(m.vocab_size);
  d.vocab = m.vocab_size;
  d.block_size = block_size;
  d.max_position = m.max_position_embeddings;
  d.weight = s.weight_precision;
  d.activation = s.activation_precision;
  d.kv = s.kv_precision;
  return d;
}

double PredictStep(const CalibrationProfile& profile, const ModelSpec& model,
                   const DeploymentShape& shape, const StepShape& step) {
  ModelSpec stack = model;
  stack.num_layers = step.layers;
  DeploymentShape one_stage = shape;
  one_stage.pp = 1;
  StepModelParams no_host;
  no_host.host_overhead_per_step_s = 0;
  no_host.host_overhead_per_seq_s = 0;
  const CalibratedStepModel m(stack, PeaksAsHardware(profile), one_stage, no_host, profile);
  BatchShape batch;
  batch.decode_seqs = step.decode_seqs;
  batch.decode_context_tokens = step.decode_seqs * step.kv_len;
  if (step.prefill_tokens > 0) batch.prefills.push_back({step.prefill_tokens, 0, true});
  const StepCost c = m.Cost(batch);
  return c.breakdown.gemm_s + c.breakdown.attention_s + c.breakdown.other_s;
}

std::string UtcNow() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

CalibrationProfile RunCalibration(const CalibrationRequest& r, Backend& backend,
                                  std::ostream* log) {
  SERVESIM_CHECK(!r.model.IsMoe());
  const OpDims dims = OpDims::From(r.model, r.shape);
  CalibrationProfile p;
  p.model = r.model.name;
  p.tp = r.shape.tp;
  p.precision = r.shape.weight_precision;
  p.kv_precision = r.shape.kv_precision;
  p.backend = backend.Name();
  p.provenance = backend.Describe();
  p.provenance.date = UtcNow();
  p.provenance.servesim_version = SERVESIM_VERSION;
  p.provenance.command_line = r.command_line;
  if (log) fmt::print(*log, "servesim-calibrate: {} on {}\n", r.model.name, p.provenance.device);
  p.ops = MeasureOps(r, backend, dims);
  SetPeaks(r, &p);
  for (OpProfile& op : p.ops) {
    op.fit = FitOp(op, dims, p.peaks);
    LogOp(log, op);
  }
  MeasureSteps(r, backend, &p, log);
  return p;
}

}  // namespace servesim
