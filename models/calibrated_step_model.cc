// The ops of a dense step and their call counts follow docs/cost_model.md; each is priced by its
// CalibratedOpTable when the profile has the op, else by the roofline with the engine's
// efficiencies (StepModelParams) on the scenario's GPU.
#include "models/calibrated_step_model.h"

#include <algorithm>

#include "sim/core/check.h"

namespace servesim {
namespace {

constexpr size_t kWorstKept = 5;

}  // namespace

struct CalibratedStepModel::Acc {
  double s = 0, flops = 0, bytes = 0;
};

CalibratedStepModel::CalibratedStepModel(const ModelSpec& model, const HardwareSpec& hw,
                                         const DeploymentShape& shape,
                                         const StepModelParams& params,
                                         const CalibrationProfile& profile)
    : layers_(static_cast<double>(model.num_layers)),
      stage_layers_(static_cast<double>((model.num_layers + shape.pp - 1) / shape.pp)),
      pp_(static_cast<double>(shape.pp)),
      dims_(OpDims::From(model, shape)),
      hw_(hw),
      shape_(shape),
      params_(params) {
  SERVESIM_CHECK(!model.IsMoe() && model.num_layers > 0);
  SERVESIM_CHECK(shape.pp >= 1 && shape.pp <= model.num_layers);
  for (const OpProfile& op : profile.ops) {
    tables_[static_cast<size_t>(op.op)].emplace(op, dims_, profile.peaks);
  }
  if (shape.tp > 1 || shape.pp > 1) {
    roofline_ = std::make_unique<RooflineStepModel>(model, hw, shape, params);
  }
}

CalibratedStepModel::~CalibratedStepModel() = default;

OpPrice CalibratedStepModel::Roofline(CalOp op, const OpWork& w) const {
  const std::string_view cls = OpInfo(op).op_class;
  const StepModelParams& p = params_;
  double compute_eff = p.gemm_compute_efficiency, memory_eff = p.gemm_memory_efficiency;
  if (cls == "attention") {
    compute_eff = p.attention_compute_efficiency;
    memory_eff = p.attention_memory_efficiency;
  } else if (cls != "gemm") {
    compute_eff = 1;
    memory_eff = p.elementwise_memory_efficiency;
  }
  double peak = OpInfo(op).bf16_math ? hw_.peak_flops_bf16 : hw_.PeakFlops(shape_.weight_precision);
  if (peak <= 0) peak = hw_.peak_flops_bf16;
  const double t = std::max(w.flops / (peak * compute_eff),
                            w.bytes / (hw_.memory_bandwidth_bytes_per_s * memory_eff));
  return {t + p.kernel_launch_overhead_s, PriceOrigin::kRoofline, 1};
}

OpPrice CalibratedStepModel::Price(CalOp op, double x0, double x1) const {
  const auto& table = tables_[static_cast<size_t>(op)];
  if (table) return table->Price(x0, x1);
  return Roofline(op, WorkOf(op, dims_, x0, x1));
}

// Adds `calls` calls of `op` to `acc`; the ledger counts `ledger_calls` of them (the calls of
// all layers when `acc` holds one layer).
void CalibratedStepModel::Add(Acc* acc, CalOp op, double x0, double x1, double calls,
                              double ledger_calls) const {
  const OpPrice price = Price(op, x0, x1);
  const OpWork work = WorkOf(op, dims_, x0, x1);
  acc->s += price.time_s * calls;
  acc->flops += work.flops * calls;
  acc->bytes += work.bytes * calls;
  const double t = price.time_s * ledger_calls;
  switch (price.origin) {
    case PriceOrigin::kMeasured:
      ledger_.measured_s += t;
      break;
    case PriceOrigin::kInterpolated:
      ledger_.interpolated_s += t;
      break;
    case PriceOrigin::kRoofline:
      ledger_.roofline_s += t;
      break;
    case PriceOrigin::kExtrapolated: {
      ledger_.extrapolated_s += t;
      Worst& w = worst_[static_cast<size_t>(op)];
      w.time_s += t;
      if (price.factor > w.factor) {
        w.factor = price.factor;
        w.point = tables_[static_cast<size_t>(op)]->Describe(x0, x1);
      }
      break;
    }
  }
}

// Tensor-parallel collectives of one layer (two all-reduces of the activations) and pipeline
// sends: from the profile when it measured collectives, else from the roofline model's
// collective pricing (counted as roofline in the ledger).
CalibratedStepModel::Comm CalibratedStepModel::Communication(const BatchShape& batch,
                                                             double tokens) const {
  Comm comm;
  if (!roofline_) return comm;
  const StepCost rc = roofline_->Cost(batch);
  comm.p2p_s = rc.p2p_s;
  ledger_.roofline_s += (pp_ - 1) * rc.p2p_s;
  if (tables_[static_cast<size_t>(CalOp::kAllReduce)].has_value() && shape_.tp > 1) {
    Acc acc;
    Add(&acc, CalOp::kAllReduce, tokens * dims_.hidden * dims_.ab, 0, 2, 2 * layers_);
    comm.layer_s = acc.s;
    return comm;
  }
  comm.layer_s = (rc.breakdown.communication_s - (pp_ - 1) * rc.p2p_s) / layers_;
  ledger_.roofline_s += comm.layer_s * layers_;
  return comm;
}

StepCost CalibratedStepModel::Cost(const BatchShape& batch) const {
  SERVESIM_CHECK(!batch.Empty());
  // Rows through the layers (graph padding included).
  const double tokens = static_cast<double>(batch.TotalTokens() + batch.padding_tokens);
  const double rows = static_cast<double>(batch.LogitsRows());
  const double seqs = static_cast<double>(batch.decode_seqs);
  const double l = layers_;
  // One layer, then the ops done once per step (first and last pipeline stage).
  Acc gemm, attention, other, once_gemm, once_other;
  for (CalOp op : {CalOp::kGemmQkv, CalOp::kGemmO, CalOp::kGemmGateUp, CalOp::kGemmDown}) {
    Add(&gemm, op, tokens, 0, 1, l);
  }
  if (seqs > 0) {
    const double kv_len = static_cast<double>(batch.decode_context_tokens) / seqs;
    Add(&attention, CalOp::kDecodeAttention, seqs, kv_len, 1, l);
  }
  for (const PrefillChunk& c : batch.prefills) {
    Add(&attention, CalOp::kPrefillAttention, static_cast<double>(c.tokens),
        static_cast<double>(c.context_tokens), 1, l);
  }
  Add(&other, CalOp::kRmsNorm, tokens, 0, 2, 2 * l);
  for (CalOp op : {CalOp::kRotary, CalOp::kSiluMul, CalOp::kKvWrite}) {
    Add(&other, op, tokens, 0, 1, l);
  }
  Add(&once_other, CalOp::kEmbedding, tokens, 0, 1, 1);
  Add(&once_other, CalOp::kRmsNorm, tokens, 0, 1, 1);
  if (rows > 0) {
    Add(&once_gemm, CalOp::kGemmLmHead, rows, 0, 1, 1);
    Add(&once_other, CalOp::kSampling, rows, 0, 1, 1);
  }
  const Comm comm = Communication(batch, tokens);
  const double layer_s = gemm.s + attention.s + other.s + comm.layer_s;

  StepCost cost;
  cost.last_stage_s = stage_layers_ * layer_s + once_gemm.s + once_other.s;
  cost.stage_s = pp_ > 1 ? stage_layers_ * layer_s : 0;
  cost.p2p_s = pp_ > 1 ? comm.p2p_s : 0;
  cost.breakdown.gemm_s = gemm.s * l + once_gemm.s;
  cost.breakdown.attention_s = attention.s * l;
  cost.breakdown.other_s = other.s * l + once_other.s;
  cost.breakdown.communication_s = comm.layer_s * l + (pp_ - 1) * cost.p2p_s;
  // Kernels per GPU of the busiest stage: 4 GEMMs, attention (decode and/or prefill), 2 norms,
  // rotary, SiLU-and-mul, KV write and the 2 all-reduces per layer; embedding, final norm, LM
  // head and sampling once.
  double layer_kernels = 9 + (seqs > 0 ? 1 : 0) + (batch.prefills.empty() ? 0 : 1);
  if (shape_.tp > 1) layer_kernels += 2;
  FinishStepCost(params_, batch, stage_layers_ * layer_kernels + (rows > 0 ? 4 : 2), &cost);
  // Per-GPU work of all layers times tp: the whole replica's work.
  const double tp = static_cast<double>(shape_.tp);
  cost.flops =
      tp * ((gemm.flops + attention.flops + other.flops) * l + once_gemm.flops + once_other.flops);
  cost.bytes =
      tp * ((gemm.bytes + attention.bytes + other.bytes) * l + once_gemm.bytes + once_other.bytes);
  return cost;
}

const CoverageLedger* CalibratedStepModel::Coverage() const {
  ledger_.worst.clear();
  for (size_t i = 0; i < worst_.size(); ++i) {
    const Worst& w = worst_[i];
    if (w.factor <= 0) continue;
    ledger_.worst.push_back(
        {std::string(OpInfo(static_cast<CalOp>(i)).name), w.point, w.factor, w.time_s});
  }
  std::stable_sort(ledger_.worst.begin(), ledger_.worst.end(),
                   [](const auto& a, const auto& b) { return a.factor > b.factor; });
  if (ledger_.worst.size() > kWorstKept) ledger_.worst.resize(kWorstKept);
  return &ledger_;
}

}  // namespace servesim
