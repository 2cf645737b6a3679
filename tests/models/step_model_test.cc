// Physics checks of RooflineStepModel: each test states what a real GPU does and would fail if the
// model priced an op with the wrong bound, the wrong bytes or the wrong flops.
#include "models/step_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "models/batch.h"
#include "models/hardware_spec.h"
#include "models/model_spec.h"
#include "tests/models/test_specs.h"

namespace servesim {
namespace {

using namespace ::servesim::test_specs;  // NOLINT: test specs

DeploymentShape Shape(Precision weights = Precision::kBf16, int64_t tp = 1) {
  DeploymentShape d;
  d.weight_precision = weights;
  d.tp = tp;
  return d;
}

RooflineStepModel Model(const ModelSpec& m, const DeploymentShape& d = Shape()) {
  return RooflineStepModel(m, H100(), d, StepModelParams());
}

BatchShape Decode(int64_t seqs, int64_t context_each) {
  BatchShape b;
  b.decode_seqs = seqs;
  b.decode_context_tokens = seqs * context_each;
  return b;
}

BatchShape Prefill(int64_t tokens, int64_t context, bool logits) {
  BatchShape b;
  b.prefills.push_back({tokens, context, logits});
  return b;
}

// Weights of the GEMMs of one layer (no norms).
double LinearParamsPerLayer(const ModelSpec& m) {
  return m.LayerParams() - 2.0 * static_cast<double>(m.hidden_size);
}

TEST(StepModelTest, BatchOneDecodeReadsEveryWeightOnce) {
  const ModelSpec m = Llama8B();
  const StepModelParams p;
  const StepCost c = Model(m).Cost(Decode(1, 128));
  const double lm_head = static_cast<double>(m.vocab_size) * m.hidden_size;
  const double weight_bytes = (m.num_layers * LinearParamsPerLayer(m) + lm_head) * 2;
  const double stream_s = weight_bytes / (3.35e12 * p.gemm_memory_efficiency);
  // 10 kernels per layer (4 GEMMs, attention, 5 elementwise) + embedding, norm, LM head, sampling.
  const double launches_s = (10.0 * m.num_layers + 4) * p.kernel_launch_overhead_s;
  EXPECT_NEAR(c.duration_s - c.breakdown.host_s, stream_s + launches_s,
              0.10 * (stream_s + launches_s));
  // The GEMMs are memory-bound: their time is the weight stream (plus launches), not the math.
  const double gemm_launches_s = (4.0 * m.num_layers + 1) * p.kernel_launch_overhead_s;
  EXPECT_NEAR(c.breakdown.gemm_s, stream_s + gemm_launches_s, 0.01 * c.breakdown.gemm_s);
  EXPECT_LT(c.flops / (989.5e12 * p.gemm_compute_efficiency), 0.01 * c.breakdown.gemm_s);
  // ~150-200 tokens/s for one stream of an 8B model on an H100.
  EXPECT_GT(c.duration_s, 5e-3);
  EXPECT_LT(c.duration_s, 8e-3);
}

// A plain (GELU) MLP has one up projection instead of gate and up: at batch one its FFN streams
// two thirds of the gated FFN's weight bytes, and a long prefill does two thirds of its flops.
TEST(StepModelTest, PlainMlpHasTwoMatrices) {
  ModelSpec gated = Llama8B();
  ModelSpec plain = gated;
  plain.gated_mlp = false;
  const double h = static_cast<double>(gated.hidden_size);
  const double f = static_cast<double>(gated.intermediate_size);
  const double layers = static_cast<double>(gated.num_layers);
  EXPECT_DOUBLE_EQ(gated.LayerParams() - plain.LayerParams(), h * f);

  const StepModelParams p;
  const double saved_bytes = layers * h * f * 2;  // bf16
  const StepCost g1 = Model(gated).Cost(Decode(1, 128));
  const StepCost p1 = Model(plain).Cost(Decode(1, 128));
  const double saved_s = saved_bytes / (3.35e12 * p.gemm_memory_efficiency);
  EXPECT_NEAR(g1.breakdown.gemm_s - p1.breakdown.gemm_s, saved_s, 0.01 * saved_s);
  EXPECT_NEAR(g1.bytes - p1.bytes, saved_bytes, 0.05 * saved_bytes);  // + the activation's bytes

  const int64_t t = 8192;
  const StepCost gp = Model(gated).Cost(Prefill(t, 0, true));
  const StepCost pp = Model(plain).Cost(Prefill(t, 0, true));
  EXPECT_NEAR(gp.flops - pp.flops, 2.0 * layers * h * f * static_cast<double>(t), 1e-9 * gp.flops);
}

TEST(StepModelTest, LongPrefillIsComputeBound) {
  const ModelSpec m = Llama8B();
  const StepModelParams p;
  const int64_t t = 8192;
  const StepCost c = Model(m).Cost(Prefill(t, 0, true));
  const double gemm_flops = 2.0 * m.num_layers * LinearParamsPerLayer(m) * t;
  const double compute_s = gemm_flops / (989.5e12 * p.gemm_compute_efficiency);
  EXPECT_NEAR(c.breakdown.gemm_s, compute_s, 0.10 * compute_s);
  // Memory time of the same GEMMs: weights once, plus every token's input and output rows
  // (QKV 4096 + 6144, O 4096 + 4096, gate_up 4096 + 28672, down 14336 + 4096 elements).
  const double gemm_bytes = m.num_layers * (LinearParamsPerLayer(m) * 2 + t * 65536.0 * 2);
  EXPECT_GT(c.breakdown.gemm_s, 5 * gemm_bytes / (3.35e12 * p.gemm_memory_efficiency));
  // Causal attention over 8192 tokens: 4 x q_dim x t(t+1)/2 flops per layer at the attention roof.
  const double pairs = t * (t + 1) / 2.0;
  const double attention_s =
      m.num_layers * (4.0 * 4096 * pairs) / (989.5e12 * p.attention_compute_efficiency);
  EXPECT_NEAR(c.breakdown.attention_s, attention_s, 0.01 * attention_s);
  const double tokens_per_s = t / c.duration_s;
  EXPECT_GT(tokens_per_s, 20e3);
  EXPECT_LT(tokens_per_s, 80e3);
}

TEST(StepModelTest, DecodeAttentionGrowsWithContext) {
  const ModelSpec m = Llama8B();
  const StepModelParams p;
  const RooflineStepModel model = Model(m);
  const StepCost short_ctx = model.Cost(Decode(1, 128));
  const StepCost long_ctx = model.Cost(Decode(1, 32768));
  EXPECT_GT(long_ctx.duration_s, short_ctx.duration_s);
  // Each extra context token reads K and V of 8 heads x 128 dims in bf16 in every layer.
  const double extra_bytes = (32768 - 128) * 2.0 * 8 * 128 * 2 * m.num_layers;
  const double extra_s = extra_bytes / (3.35e12 * p.attention_memory_efficiency);
  EXPECT_NEAR(long_ctx.breakdown.attention_s - short_ctx.breakdown.attention_s, extra_s,
              0.01 * extra_s);
  EXPECT_DOUBLE_EQ(long_ctx.breakdown.gemm_s, short_ctx.breakdown.gemm_s);
}

TEST(StepModelTest, DecodeBatchAmortisesWeights) {
  const RooflineStepModel model = Model(Llama8B());
  const StepCost one = model.Cost(Decode(1, 512));
  const StepCost many = model.Cost(Decode(64, 512));
  EXPECT_GT(many.duration_s, one.duration_s);
  EXPECT_LT(many.duration_s, 2 * one.duration_s);  // far less than 64x
  EXPECT_LT(many.breakdown.gemm_s, 1.2 * one.breakdown.gemm_s);
  EXPECT_GT(many.breakdown.attention_s, 10 * one.breakdown.attention_s);
}

TEST(StepModelTest, Fp8WeightsHalveGemmBytesAndTime) {
  const ModelSpec m = Llama8B();
  const RooflineStepModel bf16 = Model(m);
  const RooflineStepModel fp8 = Model(m, Shape(Precision::kFp8));
  // Decode: the layer weights halve, the bf16 LM head (1 GB of 15 GB) does not.
  const StepCost d16 = bf16.Cost(Decode(1, 128));
  const StepCost d8 = fp8.Cost(Decode(1, 128));
  EXPECT_GT(d8.breakdown.gemm_s / d16.breakdown.gemm_s, 0.50);
  EXPECT_LT(d8.breakdown.gemm_s / d16.breakdown.gemm_s, 0.60);
  EXPECT_LT(d8.duration_s, d16.duration_s);
  // Prefill: the math runs at the fp8 peak, twice the bf16 one.
  const StepCost p16 = bf16.Cost(Prefill(8192, 0, false));
  const StepCost p8 = fp8.Cost(Prefill(8192, 0, false));
  EXPECT_NEAR(p8.breakdown.gemm_s / p16.breakdown.gemm_s, 0.5, 0.02);
  EXPECT_DOUBLE_EQ(p8.breakdown.attention_s, p16.breakdown.attention_s);
}

TEST(StepModelTest, BreakdownSumsToDuration) {
  BatchShape b = Decode(40, 1000);
  b.prefills.push_back({512, 1024, true});
  b.prefills.push_back({256, 0, false});
  const StepModelParams p;
  const StepCost c = Model(Llama8B()).Cost(b);
  const StepBreakdown& s = c.breakdown;
  EXPECT_DOUBLE_EQ(c.duration_s,
                   s.gemm_s + s.attention_s + s.communication_s + s.other_s + s.host_s);
  EXPECT_GT(s.gemm_s, 0);
  EXPECT_GT(s.attention_s, 0);
  EXPECT_GT(s.other_s, 0);
  EXPECT_EQ(s.communication_s, 0);
  EXPECT_DOUBLE_EQ(s.host_s, p.host_overhead_per_step_s + 42 * p.host_overhead_per_seq_s);
  EXPECT_GT(c.flops, 0);
  EXPECT_GT(c.bytes, 0);
}

TEST(StepModelTest, LmHeadAndSamplingSkippedWithoutLogits) {
  const ModelSpec m = Llama8B();
  const StepModelParams p;
  const RooflineStepModel model = Model(m);
  const StepCost without = model.Cost(Prefill(512, 0, false));
  const StepCost with = model.Cost(Prefill(512, 0, true));
  // One logits row: the LM head streams its bf16 weights once.
  const double lm_head_s =
      static_cast<double>(m.vocab_size) * m.hidden_size * 2 / (3.35e12 * p.gemm_memory_efficiency);
  EXPECT_NEAR(with.breakdown.gemm_s - without.breakdown.gemm_s,
              lm_head_s + p.kernel_launch_overhead_s, 0.01 * lm_head_s);
  EXPECT_GT(with.breakdown.other_s, without.breakdown.other_s);  // sampling
  EXPECT_DOUBLE_EQ(with.breakdown.attention_s, without.breakdown.attention_s);
}

TEST(StepModelTest, PrefillAttentionCountsCausalPairsWithContext) {
  const ModelSpec m = Llama8B();
  const RooflineStepModel model = Model(m);
  // A 1024-token chunk after 7168 cached tokens attends to 1024 x 7168 + 1024 x 1025 / 2 pairs:
  // far fewer flops than a full 8192 prefill, more than a fresh 1024 one.
  const StepCost fresh = model.Cost(Prefill(1024, 0, false));
  const StepCost chunk = model.Cost(Prefill(1024, 7168, false));
  const StepCost full = model.Cost(Prefill(8192, 0, false));
  const double pairs_fresh = 1024 * 1025 / 2.0;
  const double pairs_chunk = 1024.0 * 7168 + pairs_fresh;
  const double flops_per_pair = 4.0 * 4096 * m.num_layers;
  EXPECT_NEAR(chunk.flops - fresh.flops, (pairs_chunk - pairs_fresh) * flops_per_pair,
              1e-9 * chunk.flops);
  EXPECT_GT(chunk.breakdown.attention_s, 4 * fresh.breakdown.attention_s);
  EXPECT_LT(chunk.breakdown.attention_s, 0.3 * full.breakdown.attention_s);
}

TEST(StepModelTest, MoeReadsTopKExpertsAtBatchOneAndAllExpertsAtLargeBatch) {
  // Expert weight traffic from a finite difference in the expert width: only expert bytes (and a
  // negligible amount of expert activations) depend on it.
  ModelSpec narrow = Mixtral8x7B();
  ModelSpec wide = narrow;
  wide.moe_intermediate_size = 2 * narrow.moe_intermediate_size;
  const double one_expert_all_layers =
      3.0 * 4096 * narrow.moe_intermediate_size * 2 * narrow.num_layers;
  const RooflineStepModel a = Model(narrow);
  const RooflineStepModel b = Model(wide);
  const double experts_t1 =
      (b.Cost(Decode(1, 128)).bytes - a.Cost(Decode(1, 128)).bytes) / one_expert_all_layers;
  EXPECT_NEAR(experts_t1, 2.0, 0.02);  // top_k
  const double experts_t64 =
      (b.Cost(Decode(64, 128)).bytes - a.Cost(Decode(64, 128)).bytes) / one_expert_all_layers;
  EXPECT_NEAR(experts_t64, 8.0, 0.08);  // all of them
  // Four tokens hit 8 x (1 - 0.75^4) = 5.47 distinct experts on average.
  const double experts_t4 =
      (b.Cost(Decode(4, 128)).bytes - a.Cost(Decode(4, 128)).bytes) / one_expert_all_layers;
  EXPECT_NEAR(experts_t4, 8 * (1 - std::pow(0.75, 4)), 0.05);
}

TEST(StepModelTest, TensorParallelSplitsWeightsAndReplicatesKvHeads) {
  const ModelSpec m = Llama8B();
  const StepCost tp1 = Model(m).Cost(Decode(1, 128));
  const StepCost tp2 = Model(m, Shape(Precision::kBf16, 2)).Cost(Decode(1, 128));
  EXPECT_NEAR(tp2.breakdown.gemm_s / tp1.breakdown.gemm_s, 0.5, 0.03);
  // 8 KV heads: past tp = 8 every GPU still holds (and reads) one KV head.
  const BatchShape ctx = Decode(8, 16384);
  const StepCost tp8 = Model(m, Shape(Precision::kBf16, 8)).Cost(ctx);
  const StepCost tp16 = Model(m, Shape(Precision::kBf16, 16)).Cost(ctx);
  const StepCost tp4 = Model(m, Shape(Precision::kBf16, 4)).Cost(ctx);
  EXPECT_NEAR(tp16.breakdown.attention_s / tp8.breakdown.attention_s, 1.0, 0.01);
  EXPECT_NEAR(tp8.breakdown.attention_s / tp4.breakdown.attention_s, 0.5, 0.02);
}

}  // namespace
}  // namespace servesim
