// Mixture of experts with expert parallelism in RooflineStepModel and PlanMemory: the all-to-all
// volume, the busiest GPU's expert work, the collectives around the MoE block and the expert
// weights each GPU holds (docs/cost_model.md, "Expert parallelism").
#include <gtest/gtest.h>

#include <cstdint>

#include "models/batch.h"
#include "models/collectives.h"
#include "models/memory_model.h"
#include "models/step_model.h"
#include "models/topology.h"
#include "tests/models/test_specs.h"

namespace servesim {
namespace {

using namespace ::servesim::test_specs;  // NOLINT: test specs

DeploymentShape Shape(int64_t tp, int64_t ep) {
  DeploymentShape d;
  d.tp = tp;
  d.ep = ep;
  return d;
}

StepCost Cost(const BatchShape& b, int64_t tp, int64_t ep, double imbalance = 1.0,
              const HardwareSpec& hw = H100(), const ModelSpec& m = Mixtral8x7B()) {
  StepModelParams p;
  p.moe_imbalance_factor = imbalance;
  return RooflineStepModel(m, hw, Shape(tp, ep), p).Cost(b);
}

BatchShape Decode(int64_t seqs, int64_t context_each) {
  BatchShape b;
  b.decode_seqs = seqs;
  b.decode_context_tokens = seqs * context_each;
  return b;
}

BatchShape Prefill(int64_t tokens) {
  BatchShape b;
  b.prefills.push_back({tokens, 0, true});
  return b;
}

// NCCL's model with the engine's in-node fixed cost, as the step model prices a group that
// fits in one node.
double InNode(Collective op, int64_t ranks, double bytes) {
  CollectiveParams c = DefaultCollectiveParams();
  c.launch_s = StepModelParams().tp_collective_latency_s;
  return CollectiveTime(TopologyFor(H100()), op, ranks, bytes, c).time_s;
}

TEST(MoeStepModelTest, AllToAllCarriesTokensTimesTopKTimesHidden) {
  // Mixtral (h 4096, top_k 2, bf16) at tp = ep = 8, 256 decode tokens: each GPU owns 32 tokens
  // and sends their 2 rows each (the all-to-all's per-rank buffer); over the 8 GPUs that is
  // tokens x top_k x hidden x 2 bytes per all-to-all, once to dispatch and once to combine.
  const double tokens = 256, ab = 2, h = 4096, top_k = 2, ep = 8;
  const double per_rank = tokens / ep * top_k * h * ab;
  ASSERT_DOUBLE_EQ(ep * per_rank, tokens * top_k * h * ab);
  // Around the MoE block: the attention output is reduce-scattered to the token owners and the
  // MoE output all-gathered; the logits are gathered once per step.
  const double layer_s = 2 * InNode(Collective::kAllToAll, 8, per_rank) +
                         InNode(Collective::kReduceScatter, 8, tokens * h * ab) +
                         InNode(Collective::kAllGather, 8, tokens * h * ab);
  const double logits_s = InNode(Collective::kAllGather, 8, tokens * 32000 * ab);
  const StepCost c = Cost(Decode(256, 128), 8, 8);
  EXPECT_NEAR(c.breakdown.communication_s, 32 * layer_s + logits_s, 1e-12);
}

TEST(MoeStepModelTest, EpSmallerThanTpKeepsTheAllReducesAroundTheExperts) {
  // tp 8, ep 4: two EP groups of 4 GPUs; each expert is split over 2 GPUs, whose partial outputs
  // are summed by the all-reduce after the MoE block as with tensor-parallel experts.
  const double tokens = 512, ab = 2, h = 4096;
  const double layer_s = 2 * InNode(Collective::kAllToAll, 4, tokens / 4 * 2 * h * ab) +
                         2 * InNode(Collective::kAllReduce, 8, tokens * h * ab);
  const double logits_s = InNode(Collective::kAllGather, 8, tokens * 32000 * ab);
  EXPECT_NEAR(Cost(Decode(512, 128), 8, 4).breakdown.communication_s, 32 * layer_s + logits_s,
              1e-12);
}

TEST(MoeStepModelTest, ExpertParallelDoesTheSameWorkAsTensorParallelExperts) {
  // Same GEMM flops over the replica: EP moves whole experts, not work.
  for (const BatchShape& b : {Decode(64, 512), Prefill(4096)}) {
    const StepCost tp = Cost(b, 8, 1);
    const StepCost ep = Cost(b, 8, 8);
    EXPECT_NEAR(ep.flops / tp.flops, 1.0, 1e-12);
  }
  // At a large batch every expert is hit: the same weight bytes per GPU, so about the same
  // GEMM time. EP is slightly faster: a GPU reads the hidden-state rows of its tokens' routed
  // copies only (tokens x top_k / ep rows), not every token's row for a slice of each expert.
  const StepCost tp = Cost(Decode(256, 512), 8, 1);
  const StepCost ep = Cost(Decode(256, 512), 8, 8);
  EXPECT_LT(ep.breakdown.gemm_s, tp.breakdown.gemm_s);
  EXPECT_GT(ep.breakdown.gemm_s, 0.97 * tp.breakdown.gemm_s);
}

TEST(MoeStepModelTest, BatchOneDecodeWaitsForTheGpuHoldingTheChosenExpert) {
  // One token picks 2 of 8 experts. Tensor-parallel experts: every GPU reads 1/8 of both (2/8 of
  // an expert). ep = 8: the two GPUs holding them each read one whole expert, and the step waits
  // for them: 4x the expert weight stream of the busiest GPU.
  ModelSpec wide = Mixtral8x7B();
  wide.moe_intermediate_size *= 2;
  const BatchShape one = Decode(1, 128);
  const auto expert_s = [&](int64_t ep) {
    return Cost(one, 8, ep, 1.0, H100(), wide).breakdown.gemm_s - Cost(one, 8, ep).breakdown.gemm_s;
  };
  EXPECT_NEAR(expert_s(8) / expert_s(1), 4.0, 0.05);
}

TEST(MoeStepModelTest, ImbalanceFactorRaisesExpertTimeNotWork) {
  const BatchShape b = Prefill(8192);  // compute-bound experts
  const StepCost even = Cost(b, 8, 8, 1.0);
  const StepCost skewed = Cost(b, 8, 8, 1.5);
  EXPECT_GT(skewed.breakdown.gemm_s, even.breakdown.gemm_s);
  EXPECT_GT(skewed.breakdown.other_s, even.breakdown.other_s);  // SiLU-and-mul on more rows
  EXPECT_GT(skewed.breakdown.communication_s, even.breakdown.communication_s);
  EXPECT_DOUBLE_EQ(skewed.flops, even.flops);
  // The experts' compute grows by the factor: 8192 x 2 rows x 3 x 2 x 4096 x 14336 flops per
  // layer over 8 GPUs, half of it again.
  const double expert_flops_per_gpu = 8192.0 * 2 * 6 * 4096 * 14336 / 8;
  const double extra_s = 0.5 * 32 * expert_flops_per_gpu / (989.5e12 * 0.70);
  EXPECT_NEAR(skewed.breakdown.gemm_s - even.breakdown.gemm_s, extra_s, 0.01 * extra_s);
  // Without expert parallelism every GPU computes a slice of every expert: no effect.
  EXPECT_DOUBLE_EQ(Cost(b, 8, 1, 1.5).duration_s, Cost(b, 8, 1, 1.0).duration_s);
}

TEST(MoeStepModelTest, AllToAllAcrossNodesCostsMore) {
  // The same tp = ep = 8 group on 8-GPU nodes and split over two 4-GPU nodes: the all-to-all
  // (and the collectives around it) cross the network.
  HardwareSpec split = H100();
  split.topology.gpus_per_node = 4;
  const BatchShape b = Decode(256, 512);
  const StepCost one_node = Cost(b, 8, 8);
  const StepCost two_nodes = Cost(b, 8, 8, 1.0, split);
  EXPECT_GT(two_nodes.breakdown.communication_s, 2 * one_node.breakdown.communication_s);
  // The all-to-all alone: tokens / 8 x top_k rows per GPU, half of them to the other node.
  const double bytes = 256.0 / 8 * 2 * 4096 * 2;
  EXPECT_GT(CollectiveTime(TopologyFor(split), Collective::kAllToAll, 8, bytes).time_s,
            CollectiveTime(TopologyFor(H100()), Collective::kAllToAll, 8, bytes).time_s);
}

TEST(MoeStepModelTest, DenseAndEpOneModelsIgnoreTheImbalanceFactor) {
  StepModelParams skewed;
  skewed.moe_imbalance_factor = 3;
  DeploymentShape tp2;
  tp2.tp = 2;
  const BatchShape b = Decode(32, 256);
  EXPECT_DOUBLE_EQ(RooflineStepModel(Llama8B(), H100(), tp2, skewed).Cost(b).duration_s,
                   RooflineStepModel(Llama8B(), H100(), tp2, StepModelParams()).Cost(b).duration_s);
}

MemoryRequest Request(int64_t tp, int64_t ep) {
  MemoryRequest r;
  r.shape = Shape(tp, ep);
  return r;
}

// Routed-expert bytes per GPU, from a finite difference in the expert width (only the expert
// weights depend on it).
double ExpertBytesPerGpu(int64_t tp, int64_t ep) {
  ModelSpec wide = Mixtral8x7B();
  wide.moe_intermediate_size *= 2;
  return PlanMemory(wide, H100(), Request(tp, ep)).weight_bytes -
         PlanMemory(Mixtral8x7B(), H100(), Request(tp, ep)).weight_bytes;
}

TEST(MoeMemoryModelTest, ExpertParallelSpreadsWholeExperts) {
  const double all_experts = 32.0 * 8 * 3 * 4096 * 14336 * 2;  // 32 layers, bf16
  EXPECT_DOUBLE_EQ(ExpertBytesPerGpu(1, 1), all_experts);
  // ep = 2: 4 whole experts per GPU, half the bytes; the same share as tensor-parallel experts
  // at tp = 2 (EP changes how the experts are cut, not how much a GPU holds).
  EXPECT_DOUBLE_EQ(ExpertBytesPerGpu(2, 2), all_experts / 2);
  EXPECT_DOUBLE_EQ(ExpertBytesPerGpu(2, 2), ExpertBytesPerGpu(2, 1));
  // ep = 8: one whole expert per GPU; ep = 4 at tp = 8: two experts, each split over 2 GPUs.
  EXPECT_DOUBLE_EQ(ExpertBytesPerGpu(8, 8), all_experts / 8);
  EXPECT_DOUBLE_EQ(ExpertBytesPerGpu(8, 4), all_experts / 8);
  // The KV cache is still split by tp.
  EXPECT_DOUBLE_EQ(PlanMemory(Mixtral8x7B(), H100(), Request(8, 8)).kv_bytes_per_token,
                   PlanMemory(Mixtral8x7B(), H100(), Request(8, 1)).kv_bytes_per_token);
}

TEST(MoeMemoryModelTest, SharedExpertsStayTensorParallel) {
  ModelSpec m = Mixtral8x7B();
  m.moe_shared_experts = 1;
  const double shared = PlanMemory(m, H100(), Request(4, 4)).weight_bytes -
                        PlanMemory(Mixtral8x7B(), H100(), Request(4, 4)).weight_bytes;
  EXPECT_DOUBLE_EQ(shared, 32.0 * 3 * 4096 * (14336 / 4) * 2);
}

}  // namespace
}  // namespace servesim
