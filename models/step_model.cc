// RooflineStepModel: every op of a forward pass priced as
//   max(flops / (peak x compute_eff), bytes / (bandwidth x memory_eff)) + kernels x launch_s.
// The constructor turns the model, GPU and deployment into per-GPU op shapes once; Cost() is a
// few dozen flops plus one loop over the prefill chunks, with no allocation.
// Formulas, parameters and the rationale of every default: docs/cost_model.md.
//
// Defaults of StepModelParams (declared in step_model.h) and why:
// - gemm_compute_efficiency 0.70: large bf16/fp8 GEMMs (cuBLAS/CUTLASS) sustain roughly 60-75% of
//   the H100 dense datasheet peak (the GPU down-clocks under full tensor-core load).
// - gemm_memory_efficiency 0.85: skinny (decode) GEMMs stream weights at ~80-90% of HBM peak.
// - attention_compute_efficiency 0.55: FlashAttention-2/3 prefill reaches ~50-75% of dense peak
//   at long sequences, less for short chunks; 0.55 is a middle value.
// - attention_memory_efficiency 0.75: paged decode attention reads KV at ~70-80% of HBM peak
//   (scattered blocks, per-sequence tails).
// - elementwise_memory_efficiency 0.80: simple fused bandwidth-bound kernels (norm, rotary,
//   SiLU-and-mul, cache write) reach ~75-90% of HBM peak on large tensors.
// - kernel_launch_overhead_s 2 us: with CUDA graphs the gap and ramp between dependent kernels is
//   ~1-3 us; eager launches cost more (~4-10 us).
// - host_overhead_per_step_s 300 us and host_overhead_per_seq_s 2 us: vLLM V1 spends a few
//   hundred microseconds of CPU per step (scheduling, input preparation, detokenisation) plus a
//   small amount per sequence in the batch.
// - tp_collective_latency_s 8 us: in-node all-reduce of decode-sized messages with the engines'
//   custom kernels inside CUDA graphs costs single-digit microseconds on NVLink; the bandwidth
//   term still comes from the NCCL model (models/collectives.h).
// - moe_imbalance_factor 1.0: perfectly balanced routing, a neutral default rather than a
//   measurement (hot experts depend on the traffic); only used with expert parallelism.
// These are engineering estimates, not measurements; a calibration profile replaces them.
#include "models/step_model.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>

#include "models/collectives.h"
#include "models/topology.h"
#include "sim/core/check.h"

namespace servesim {

namespace {

// Time, flops and bytes of one op or a sum of ops (per GPU).
struct OpCost {
  double s = 0;
  double flops = 0;
  double bytes = 0;
  OpCost& operator+=(const OpCost& o) {
    s += o.s;
    flops += o.flops;
    bytes += o.bytes;
    return *this;
  }
  OpCost Times(double n) const { return {s * n, flops * n, bytes * n}; }
};

// Achievable rates of one op class: peak x efficiency.
struct Roof {
  double flops_per_s = 0;
  double bytes_per_s = 0;
};

OpCost Roofline(double flops, double bytes, const Roof& roof, double kernels, double launch_s) {
  const double t = std::max(flops / roof.flops_per_s, bytes / roof.bytes_per_s);
  return {t + kernels * launch_s, flops, bytes};
}

// A per-GPU GEMM [rows x k] * [k x n]; weights are read once per step whatever the row count.
struct Gemm {
  double k = 0;
  double n = 0;
  double weight_bytes = 0;
};

int64_t DivCeil(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A step's terms that depend on its row counts only (every op but attention).
struct RowTerms {
  OpCost layer_gemm, layer_other, once_other, once_gemm;
  double layer_comm_s = 0, once_comm_s = 0, p2p_s = 0;
};

// The row terms of recent steps priced on this thread: runs of decode steps of one batch size
// differ in their attention only, chunked prefills fill the same token budget, and replicas
// interleave their steps, so a few row counts recur. Direct-mapped by (tokens, logits rows,
// model); keyed by the model's id (unique per model, never reused, unlike an address). Rows is a
// function of the two counts alone, so a cached entry holds the very doubles a fresh evaluation
// gives and results are unchanged. Per thread: models may be shared by threads.
struct RowCacheEntry {
  uint64_t model_id = 0;  // 0: empty
  double tokens = -1;
  double logits_rows = -1;
  RowTerms terms;
};
constexpr size_t kRowCacheSlots = 64;
thread_local std::array<RowCacheEntry, kRowCacheSlots> row_cache;

std::atomic<uint64_t> next_model_id{1};

}  // namespace

struct RooflineStepModel::Impl {
  uint64_t id = next_model_id.fetch_add(1, std::memory_order_relaxed);  // row_cache key
  StepModelParams params;
  double layers = 0;        // all layers of the model
  double stage_layers = 0;  // layers of one pipeline stage: ceil(layers / pp)
  double pp = 1;
  double gpus = 1;  // tp x pp: GPUs of the replica
  int64_t tp_ranks = 1;
  int64_t replica_ranks = 1;  // tp x pp, placed contiguously on the nodes
  Topology topology;
  CollectiveParams tp_collectives;  // NCCL's model, with the engine's in-node fixed cost
  double hidden = 0;
  double ab = 0;  // activation bytes per element
  double kb = 0;  // KV-cache bytes per element
  // Time-equivalent bytes per element when attention reads the KV cache: kb, except that an 8-bit
  // cache saves only what the engine's kernels realise (StepModelParams::fp8_kv_read_speedup).
  double kb_read = 0;
  double q_dim = 0;   // heads_per_gpu x head_dim
  double kv_dim = 0;  // kv_heads_per_gpu x head_dim
  Roof gemm, lm_head_roof, attention, elementwise;
  // Per-layer GEMMs: QKV, O, then gate_up and down (dense) or router plus the shared experts'
  // gate_up and down (MoE).
  std::array<Gemm, 5> layer_gemms;
  int num_layer_gemms = 0;
  // Routed experts (MoE only). ep == 1: every GPU holds a 1/tp slice of every expert. ep > 1:
  // each GPU holds experts / ep whole experts' slices of width ceil(F / (tp / ep)).
  bool moe = false;
  double experts = 0;
  double top_k = 0;
  double ep = 1;                    // expert-parallel degree
  int64_t ep_ranks = 1;             // GPUs of one expert-parallel group (contiguous)
  double local_experts = 0;         // experts / ep: routed experts held by one GPU
  double imbalance = 1;             // busiest GPU's expert rows over the mean (ep > 1 only)
  CollectiveParams ep_collectives;  // like tp_collectives, for the EP group's all-to-alls
  double expert_weight_bytes = 0;   // one expert, gate_up + down, per GPU
  double expert_flops_per_row = 0;  // one token through one expert
  double expert_act_bytes_per_row = 0;
  // Elementwise ops of one layer: bytes per token and kernel count.
  double elementwise_bytes_per_token = 0;
  double elementwise_kernels = 0;
  Gemm lm_head;
  double vocab = 0;  // full vocabulary (sampling sees gathered logits)

  Impl(const ModelSpec& m, const HardwareSpec& hw, const DeploymentShape& d,
       const StepModelParams& p);
  void InitRoofs(const HardwareSpec& hw, const DeploymentShape& d);
  void InitGemms(const ModelSpec& m, const DeploymentShape& d);
  void InitElementwise(const ModelSpec& m, const DeploymentShape& d);

  OpCost GemmCost(const Gemm& g, double rows, const Roof& roof) const;
  RowTerms Rows(double tokens, double logits_rows) const;
  OpCost LayerGemms(double tokens) const;
  OpCost Experts(double tokens) const;
  OpCost DecodeAttention(const BatchShape& batch) const;
  OpCost PrefillAttention(double pairs, double kv_tokens, double tokens) const;
  OpCost LayerElementwise(double tokens) const;
  OpCost StepElementwise(double tokens, double logits_rows) const;
  double LayerCommunication(double tokens) const;
  double ExpertParallelCommunication(double tokens) const;
  double LogitsGather(double logits_rows) const;
  double StageHop(double tokens) const;
  // Kernels one GPU of the busiest stage launches for the step (eager launch cost).
  double KernelsPerGpu(const BatchShape& batch, double logits_rows) const;
};

RooflineStepModel::Impl::Impl(const ModelSpec& m, const HardwareSpec& hw, const DeploymentShape& d,
                              const StepModelParams& p)
    : params(p) {
  SERVESIM_CHECK(d.tp >= 1 && d.pp >= 1 && d.pp <= m.num_layers);
  SERVESIM_CHECK(m.num_layers > 0 && m.hidden_size > 0 && m.head_dim > 0);
  SERVESIM_CHECK(m.num_attention_heads > 0 && m.num_kv_heads > 0 && m.vocab_size > 0);
  SERVESIM_CHECK(!m.IsMoe() || (m.moe_top_k > 0 && m.moe_intermediate_size > 0));
  SERVESIM_CHECK(m.IsMoe() || m.intermediate_size > 0);
  SERVESIM_CHECK(d.ep >= 1 && d.tp % d.ep == 0 && (d.ep == 1 || m.moe_num_experts % d.ep == 0));
  SERVESIM_CHECK(p.moe_imbalance_factor >= 1);
  SERVESIM_CHECK(p.fp8_kv_read_speedup >= 1 && p.fp8_kv_read_speedup <= 2);
  layers = static_cast<double>(m.num_layers);
  stage_layers = static_cast<double>(DivCeil(m.num_layers, d.pp));
  pp = static_cast<double>(d.pp);
  gpus = static_cast<double>(d.tp * d.pp);
  tp_ranks = d.tp;
  replica_ranks = d.tp * d.pp;
  if (replica_ranks > 1) topology = TopologyFor(hw);
  tp_collectives = DefaultCollectiveParams();
  if (topology.NodesFor(tp_ranks) == 1) tp_collectives.launch_s = p.tp_collective_latency_s;
  ep = static_cast<double>(d.ep);
  ep_ranks = d.ep;
  imbalance = d.ep > 1 ? p.moe_imbalance_factor : 1.0;
  ep_collectives = DefaultCollectiveParams();
  if (topology.NodesFor(ep_ranks) == 1) ep_collectives.launch_s = p.tp_collective_latency_s;
  hidden = static_cast<double>(m.hidden_size);
  ab = BytesPerElement(d.activation_precision);
  kb = BytesPerElement(d.kv_precision);
  kb_read = kb < 2 ? 2.0 / p.fp8_kv_read_speedup : kb;
  // Heads are split over tp; KV heads are replicated when tp > num_kv_heads (at least one per
  // GPU). Ceil: the GPU with the most heads sets the pace.
  q_dim = static_cast<double>(DivCeil(m.num_attention_heads, d.tp) * m.head_dim);
  kv_dim = static_cast<double>(DivCeil(m.num_kv_heads, d.tp) * m.head_dim);
  vocab = static_cast<double>(m.vocab_size);
  InitRoofs(hw, d);
  InitGemms(m, d);
  InitElementwise(m, d);
}

void RooflineStepModel::Impl::InitRoofs(const HardwareSpec& hw, const DeploymentShape& d) {
  const StepModelParams& p = params;
  SERVESIM_CHECK(hw.memory_bandwidth_bytes_per_s > 0 && hw.peak_flops_bf16 > 0);
  SERVESIM_CHECK(p.gemm_compute_efficiency > 0 && p.gemm_memory_efficiency > 0);
  SERVESIM_CHECK(p.attention_compute_efficiency > 0 && p.attention_memory_efficiency > 0);
  SERVESIM_CHECK(p.elementwise_memory_efficiency > 0 && p.kernel_launch_overhead_s >= 0);
  const double bw = hw.memory_bandwidth_bytes_per_s;
  const double bf16 = hw.peak_flops_bf16;
  // A GPU without tensor cores for the weight precision (fp8 on A100) runs weight-only
  // quantised kernels: weights are stored small, the math runs at the bf16 peak.
  double peak = hw.PeakFlops(d.weight_precision);
  if (peak <= 0) peak = bf16;
  gemm = {peak * p.gemm_compute_efficiency, bw * p.gemm_memory_efficiency};
  lm_head_roof = {bf16 * p.gemm_compute_efficiency, bw * p.gemm_memory_efficiency};
  attention = {bf16 * p.attention_compute_efficiency, bw * p.attention_memory_efficiency};
  // Elementwise flops are not counted; the compute roof only avoids a division by zero.
  elementwise = {bf16, bw * p.elementwise_memory_efficiency};
}

void RooflineStepModel::Impl::InitGemms(const ModelSpec& m, const DeploymentShape& d) {
  const double wb = BytesPerElement(d.weight_precision);
  auto add = [&](double k, double n, double bytes_per_weight) {
    layer_gemms[num_layer_gemms++] = {k, n, k * n * bytes_per_weight};
  };
  add(hidden, q_dim + 2 * kv_dim, wb);  // QKV
  add(q_dim, hidden, wb);               // O
  if (!m.IsMoe()) {
    const double f = static_cast<double>(DivCeil(m.intermediate_size, d.tp));
    add(hidden, static_cast<double>(m.FfnUpFactor()) * f, wb);  // gate_up (plain MLP: up)
    add(f, hidden, wb);                                         // down
  } else {
    moe = true;
    experts = static_cast<double>(m.moe_num_experts);
    top_k = static_cast<double>(m.moe_top_k);
    local_experts = static_cast<double>(m.moe_num_experts / d.ep);
    // Routed experts: split over the tp / ep GPUs that hold the same experts.
    const double fe = static_cast<double>(DivCeil(m.moe_intermediate_size, d.tp / d.ep));
    expert_weight_bytes = 3 * hidden * fe * wb;
    expert_flops_per_row = 2 * (hidden * 2 * fe + fe * hidden);
    expert_act_bytes_per_row = ((hidden + 2 * fe) + (fe + hidden)) * ab;
    // The router stays unquantised (bf16) in vLLM; it is replicated on every GPU.
    add(hidden, experts, ab);
    if (m.moe_shared_experts > 0) {
      // Shared experts see every token: tensor-parallel over tp whatever ep is.
      const double fs = static_cast<double>(m.moe_shared_experts) *
                        static_cast<double>(DivCeil(m.moe_intermediate_size, d.tp));
      add(hidden, 2 * fs, wb);  // shared experts' gate_up
      add(fs, hidden, wb);      // shared experts' down
    }
  }
  // Vocab-parallel LM head; kept in the activation precision (bf16) even for fp8 checkpoints.
  const double v = static_cast<double>(DivCeil(m.vocab_size, d.tp));
  lm_head = {hidden, v, hidden * v * ab};
}

void RooflineStepModel::Impl::InitElementwise(const ModelSpec& m, const DeploymentShape& d) {
  // Two fused residual-add + RMSNorm (read x and residual, write the output: ~3 x h each), rotary
  // on q and k (read + write), the KV-cache write of the new token's k and v.
  double bytes = 2 * 3 * hidden * ab + 2 * (q_dim + kv_dim) * ab + 2 * kv_dim * kb;
  double kernels = 4;
  if (!m.IsMoe()) {
    const double f = static_cast<double>(DivCeil(m.intermediate_size, d.tp));
    // SiLU-and-mul: read gate and up (2f), write f; plain MLP: GELU reads f and writes f.
    bytes += static_cast<double>(m.FfnUpFactor() + 1) * f * ab;
    kernels += 1;
  } else {
    const double fe = static_cast<double>(DivCeil(m.moe_intermediate_size, d.tp / d.ep));
    const double fs = static_cast<double>(DivCeil(m.moe_intermediate_size, d.tp));
    // SiLU-and-mul on the GPU's expert rows (top_k per token; with ep > 1 the busiest GPU's
    // imbalance x top_k / ep); top-k softmax and expert alignment (2 small kernels, bytes
    // ignored); combine of the top_k expert outputs (read top_k rows, write one) for the tokens
    // the GPU owns (1 / ep of them with ep > 1).
    const double rows_per_token = d.ep > 1 ? top_k * imbalance / ep : top_k;
    bytes += rows_per_token * 3 * fe * ab + (top_k + 1) * hidden * ab / ep;
    kernels += 4;
    if (m.moe_shared_experts > 0) {
      bytes += 3 * static_cast<double>(m.moe_shared_experts) * fs * ab;
      kernels += 1;
    }
  }
  elementwise_bytes_per_token = bytes;
  elementwise_kernels = kernels;
}

OpCost RooflineStepModel::Impl::GemmCost(const Gemm& g, double rows, const Roof& roof) const {
  const double flops = 2 * rows * g.k * g.n;
  const double bytes = g.weight_bytes + rows * (g.k + g.n) * ab;
  return Roofline(flops, bytes, roof, 1, params.kernel_launch_overhead_s);
}

OpCost RooflineStepModel::Impl::LayerGemms(double tokens) const {
  OpCost c;
  for (int i = 0; i < num_layer_gemms; ++i) c += GemmCost(layer_gemms[i], tokens, gemm);
  if (moe) c += Experts(tokens);
  return c;
}

// Routed experts as two grouped GEMMs (gate_up, down). Weight traffic covers the expected number
// of distinct experts hit by `tokens` tokens choosing top_k of `experts` uniformly at random.
// With ep > 1 the step waits for the busiest GPU: imbalance x the mean rows (tokens x top_k /
// ep), and its share of the distinct experts hit, at least one whole local expert (some GPU
// always reads one) and at most all of them. The returned flops and bytes are the mean GPU's
// (the replica's work / tp), the time the busiest GPU's.
OpCost RooflineStepModel::Impl::Experts(double tokens) const {
  const double hit = experts * (1 - std::pow(1 - top_k / experts, tokens));
  if (ep_ranks == 1) {
    const double rows = tokens * top_k;
    const double flops = rows * expert_flops_per_row;
    const double bytes = hit * expert_weight_bytes + rows * expert_act_bytes_per_row;
    return Roofline(flops, bytes, gemm, 2, params.kernel_launch_overhead_s);
  }
  const double rows = tokens * top_k / ep;
  const double busy_rows = imbalance * rows;
  const double busy_hit = std::min(local_experts, std::max(1.0, hit / ep));
  OpCost c = Roofline(busy_rows * expert_flops_per_row,
                      busy_hit * expert_weight_bytes + busy_rows * expert_act_bytes_per_row, gemm,
                      2, params.kernel_launch_overhead_s);
  c.flops = rows * expert_flops_per_row;
  c.bytes = hit / ep * expert_weight_bytes + rows * expert_act_bytes_per_row;
  return c;
}

// One paged-attention kernel over all decode sequences: reads every sequence's K and V once,
// reads q and writes o for each query row (one per sequence, plus its draft tokens when a step
// verifies speculative drafts: each row attends to about the sequence's whole context).
OpCost RooflineStepModel::Impl::DecodeAttention(const BatchShape& batch) const {
  if (batch.decode_seqs == 0) return {};
  const double ctx = static_cast<double>(batch.decode_context_tokens);
  const double rows = static_cast<double>(batch.DecodeTokens());
  const double rows_per_seq = rows / static_cast<double>(batch.decode_seqs);
  const double flops = 4 * q_dim * ctx * rows_per_seq;  // QK^T and PV, 2 flops per multiply-add
  const double bytes = ctx * 2 * kv_dim * kb_read + rows * 2 * q_dim * ab;
  return Roofline(flops, bytes, attention, 1, params.kernel_launch_overhead_s);
}

// One varlen flash-attention kernel over all prefill chunks. `pairs` counts causal (query, key)
// pairs, `kv_tokens` the K/V rows read, `tokens` the query rows.
OpCost RooflineStepModel::Impl::PrefillAttention(double pairs, double kv_tokens,
                                                 double tokens) const {
  const double flops = 4 * q_dim * pairs;
  const double bytes = kv_tokens * 2 * kv_dim * kb_read + tokens * 2 * q_dim * ab;
  return Roofline(flops, bytes, attention, 1, params.kernel_launch_overhead_s);
}

OpCost RooflineStepModel::Impl::LayerElementwise(double tokens) const {
  return Roofline(0, tokens * elementwise_bytes_per_token, elementwise, elementwise_kernels,
                  params.kernel_launch_overhead_s);
}

// Once per step: embedding gather (read + write a row per token), final RMSNorm, and, when some
// row samples, sampling over the gathered fp32 logits (read twice: softmax, then sample).
OpCost RooflineStepModel::Impl::StepElementwise(double tokens, double logits_rows) const {
  const double launch_s = params.kernel_launch_overhead_s;
  OpCost c = Roofline(0, 2 * tokens * hidden * ab, elementwise, 1, launch_s);  // embedding
  c += Roofline(0, 3 * tokens * hidden * ab, elementwise, 1, launch_s);        // final norm
  if (logits_rows > 0) c += Roofline(0, logits_rows * vocab * 4 * 2, elementwise, 1, launch_s);
  return c;
}

// Tensor parallelism: the row-parallel O and down projections each end in an all-reduce of the
// tokens' hidden states among the tp ranks.
double RooflineStepModel::Impl::LayerCommunication(double tokens) const {
  if (tp_ranks == 1) return 0;
  if (ep_ranks > 1) return ExpertParallelCommunication(tokens);
  const double bytes = tokens * hidden * ab;
  return 2 *
         CollectiveTime(topology, Collective::kAllReduce, tp_ranks, bytes, tp_collectives).time_s;
}

// Expert parallelism, priced as all-to-all MoE backends (DeepEP-style) run it: each GPU of an
// EP group owns tokens / ep of the tokens and dispatches their top_k hidden-state rows to the
// GPUs holding the chosen experts (all-to-all), which send the expert outputs back (a second
// all-to-all). CollectiveTime's all-to-all `bytes` is a rank's send buffer: its tokens / ep
// tokens x top_k rows x hidden x ab (over the EP group, tokens x top_k x hidden x ab per
// all-to-all), times the imbalance factor (the busiest GPU receives and returns that much more).
// Around the MoE block: with ep == tp, the attention output is reduce-scattered (each GPU gets
// its owned tokens) and the MoE outputs all-gathered (every GPU needs all tokens for the next
// attention); with ep < tp the GPUs holding slices of the same experts also sum partial outputs,
// so both stay all-reduces of tokens x hidden x ab over tp.
double RooflineStepModel::Impl::ExpertParallelCommunication(double tokens) const {
  const double bytes = tokens * hidden * ab;
  const double a2a_bytes = imbalance * tokens / ep * top_k * hidden * ab;
  const double a2a_s =
      CollectiveTime(topology, Collective::kAllToAll, ep_ranks, a2a_bytes, ep_collectives).time_s;
  double around_s = 0;
  if (ep_ranks == tp_ranks) {
    around_s =
        CollectiveTime(topology, Collective::kReduceScatter, tp_ranks, bytes, tp_collectives)
            .time_s +
        CollectiveTime(topology, Collective::kAllGather, tp_ranks, bytes, tp_collectives).time_s;
  } else {
    around_s =
        2 *
        CollectiveTime(topology, Collective::kAllReduce, tp_ranks, bytes, tp_collectives).time_s;
  }
  return around_s + 2 * a2a_s;
}

// The vocab-parallel LM head's logits (one row per sampled sequence) are gathered across tp.
double RooflineStepModel::Impl::LogitsGather(double logits_rows) const {
  if (tp_ranks == 1 || logits_rows == 0) return 0;
  return CollectiveTime(topology, Collective::kAllGather, tp_ranks, logits_rows * vocab * ab,
                        tp_collectives)
      .time_s;
}

// Pipeline parallelism: each stage sends the tokens' hidden states to the next; priced on the
// network when the replica's ranks span nodes.
double RooflineStepModel::Impl::StageHop(double tokens) const {
  if (pp == 1) return 0;
  return CollectiveTime(topology, Collective::kSendRecv, replica_ranks, tokens * hidden * ab)
      .time_s;
}

double RooflineStepModel::Impl::KernelsPerGpu(const BatchShape& batch, double logits_rows) const {
  double layer = num_layer_gemms + elementwise_kernels;
  if (moe) layer += 2;  // the routed experts' two grouped GEMMs
  if (batch.decode_seqs > 0) layer += 1;
  if (!batch.prefills.empty()) layer += 1;
  if (tp_ranks > 1) layer += ep_ranks > 1 ? 4 : 2;  // all-reduces (EP: two around, two all-to-all)
  double once = 2;                                  // embedding, final norm
  if (logits_rows > 0) once += tp_ranks > 1 ? 3 : 2;  // LM head, sampling, logits gather
  return stage_layers * layer + once;
}

RooflineStepModel::RooflineStepModel(const ModelSpec& model, const HardwareSpec& hw,
                                     const DeploymentShape& shape, const StepModelParams& params)
    : impl_(std::make_shared<const Impl>(model, hw, shape, params)) {}

RowTerms RooflineStepModel::Impl::Rows(double tokens, double logits_rows) const {
  RowTerms t;
  t.layer_gemm = LayerGemms(tokens);
  t.layer_other = LayerElementwise(tokens);
  t.once_other = StepElementwise(tokens, logits_rows);
  if (logits_rows > 0) t.once_gemm = GemmCost(lm_head, logits_rows, lm_head_roof);
  t.layer_comm_s = LayerCommunication(tokens);
  t.once_comm_s = LogitsGather(logits_rows);
  t.p2p_s = StageHop(tokens);
  return t;
}

StepCost RooflineStepModel::Cost(const BatchShape& batch) const {
  SERVESIM_CHECK(!batch.Empty());
  const Impl& m = *impl_;
  double prefill_tokens = 0, pairs = 0, kv_tokens = 0, logits_rows = 0;
  for (const PrefillChunk& c : batch.prefills) {
    const double n = static_cast<double>(c.tokens);
    const double p = static_cast<double>(c.context_tokens);
    prefill_tokens += n;
    pairs += n * p + n * (n + 1) / 2;
    kv_tokens += p + n;
    logits_rows += c.produces_logits ? 1 : 0;
  }
  // Rows through the layers' GEMMs, elementwise ops and collectives (graph padding included).
  const double tokens =
      static_cast<double>(batch.DecodeTokens() + batch.padding_tokens) + prefill_tokens;
  logits_rows += static_cast<double>(batch.DecodeTokens());

  // One layer's ops, then the ops done once per step (on the first and last stage). The
  // breakdown covers all layers (its total is the step's latency); stage_s and last_stage_s
  // price the busiest stages, ceil(layers / pp) layers each, for the pipeline's occupancy.
  const size_t slot = (static_cast<size_t>(tokens) + 31 * static_cast<size_t>(logits_rows) +
                       13 * static_cast<size_t>(m.id)) %
                      kRowCacheSlots;
  RowCacheEntry& cached = row_cache[slot];
  if (cached.model_id != m.id || cached.tokens != tokens || cached.logits_rows != logits_rows) {
    cached.terms = m.Rows(tokens, logits_rows);
    cached.model_id = m.id;
    cached.tokens = tokens;
    cached.logits_rows = logits_rows;
  }
  const RowTerms& rows = cached.terms;
  const OpCost& layer_gemm = rows.layer_gemm;
  OpCost layer_attention = m.DecodeAttention(batch);
  if (!batch.prefills.empty()) {
    layer_attention += m.PrefillAttention(pairs, kv_tokens, prefill_tokens);
  }
  const OpCost& layer_other = rows.layer_other;
  const OpCost& once_other = rows.once_other;
  const OpCost& once_gemm = rows.once_gemm;
  const double layer_comm_s = rows.layer_comm_s;
  const double once_comm_s = rows.once_comm_s;
  const double p2p_s = rows.p2p_s;

  const double layer_s = layer_gemm.s + layer_attention.s + layer_other.s + layer_comm_s;
  StepCost cost;
  cost.last_stage_s = m.stage_layers * layer_s + once_gemm.s + once_other.s + once_comm_s;
  cost.stage_s = m.pp > 1 ? m.stage_layers * layer_s : 0;
  cost.p2p_s = m.pp > 1 ? p2p_s : 0;
  cost.breakdown.gemm_s = layer_gemm.s * m.layers + once_gemm.s;
  cost.breakdown.attention_s = layer_attention.s * m.layers;
  cost.breakdown.other_s = layer_other.s * m.layers + once_other.s;
  cost.breakdown.communication_s = layer_comm_s * m.layers + once_comm_s + (m.pp - 1) * cost.p2p_s;
  const bool eager = batch.launch == StepLaunch::kEager;
  FinishStepCost(m.params, batch, eager ? m.KernelsPerGpu(batch, logits_rows) : 0.0, &cost);
  // Per-GPU ops of all layers times tp: the whole replica's work.
  const double tp = m.gpus / m.pp;
  const OpCost all = layer_gemm.Times(m.layers);
  const OpCost att = layer_attention.Times(m.layers);
  const OpCost oth = layer_other.Times(m.layers);
  cost.flops = tp * (all.flops + att.flops + oth.flops + once_gemm.flops + once_other.flops);
  cost.bytes = tp * (all.bytes + att.bytes + oth.bytes + once_gemm.bytes + once_other.bytes);
  return cost;
}

}  // namespace servesim
