// SpeculativeStepModel: verifying drafts is nearly free where decode is memory-bound and costs
// compute where it is not; the proposer's passes add GPU time per method; host time is counted
// once.
#include "models/speculative_step_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "models/memory_model.h"
#include "tests/models/test_specs.h"

namespace servesim {
namespace {

using namespace ::servesim::test_specs;  // NOLINT: test specs

std::unique_ptr<StepModel> Roofline(const ModelSpec& m, const StepModelParams& p = {}) {
  return std::make_unique<RooflineStepModel>(m, H100(), DeploymentShape{}, p);
}

BatchShape Verify(int64_t seqs, int64_t context_each, int64_t drafts_each) {
  BatchShape b;
  b.decode_seqs = seqs;
  b.decode_draft_tokens = seqs * drafts_each;
  b.decode_context_tokens = seqs * (context_each + 1 + drafts_each);
  return b;
}

TEST(SpeculativeStepModelTest, VerifyingDraftsIsNearlyFreeAtSmallBatchesAndNotAtLargeOnes) {
  const auto target = Roofline(Llama8B());
  // One sequence: the step reads 16 GB of weights either way; 5 rows instead of 1 add < 3%.
  const double one = target->Cost(Verify(1, 1000, 0)).duration_s;
  const double five = target->Cost(Verify(1, 1000, 4)).duration_s;
  EXPECT_GT(five, one);
  EXPECT_LT(five, 1.03 * one);
  // 256 sequences x 5 rows = 1,280 GEMM rows: compute-bound, several times one row each.
  const double wide = target->Cost(Verify(256, 1000, 0)).duration_s;
  const double wide5 = target->Cost(Verify(256, 1000, 4)).duration_s;
  EXPECT_GT(wide5, 2.0 * wide);
}

TEST(SpeculativeStepModelTest, NgramAddsNoGpuWorkAndEagleLessThanADraftModel) {
  const BatchShape b = Verify(8, 2000, 3);
  const StepModelParams p;
  const double target = Roofline(Llama8B(), p)->Cost(b).duration_s;
  SpeculativeStepModel ngram(Roofline(Llama8B(), p), nullptr, DraftMethod::kNgram, 3, p);
  EXPECT_DOUBLE_EQ(ngram.Cost(b).duration_s, target);
  SpeculativeStepModel eagle(Roofline(Llama8B(), p), Roofline(EagleHeadSpec(Llama8B()), p),
                             DraftMethod::kEagle, 3, p);
  // A 1-layer draft model with the target's shape is the same work as the EAGLE head's passes
  // after the first, so take a real small model: Llama-8B with 4 layers.
  ModelSpec small = Llama8B();
  small.num_layers = 4;
  SpeculativeStepModel draft(Roofline(Llama8B(), p), Roofline(small, p), DraftMethod::kDraftModel,
                             3, p);
  const StepCost e = eagle.Cost(b), d = draft.Cost(b);
  EXPECT_GT(e.duration_s, target);
  EXPECT_GT(d.duration_s, e.duration_s);
  // Three EAGLE passes of one layer + the LM head (each about 1/32 of the layers' weights plus
  // the 1 GB head): well under the target step's own time.
  EXPECT_LT(e.duration_s - target, 0.5 * target);
  // Host work counted once: the breakdown still adds up, host time unchanged (no overlap).
  EXPECT_DOUBLE_EQ(e.breakdown.host_s, Roofline(Llama8B(), p)->Cost(b).breakdown.host_s);
  EXPECT_NEAR(e.breakdown.Total(), e.duration_s, 1e-15);
  EXPECT_GT(e.flops, Roofline(Llama8B(), p)->Cost(b).flops);
}

TEST(SpeculativeStepModelTest, MorePassesCostMoreAndOverlappedHostHidesBehindThem) {
  const BatchShape b = Verify(4, 500, 2);
  StepModelParams p;
  p.overlap_host = true;
  p.host_overhead_per_step_s = 20e-3;  // more than the GPU work (~6-9 ms here)
  SpeculativeStepModel two(Roofline(Llama8B(), p), Roofline(EagleHeadSpec(Llama8B()), p),
                           DraftMethod::kEagle, 2, p);
  SpeculativeStepModel six(Roofline(Llama8B(), p), Roofline(EagleHeadSpec(Llama8B()), p),
                           DraftMethod::kEagle, 6, p);
  const StepCost c2 = two.Cost(b), c6 = six.Cost(b);
  const double gpu2 = c2.breakdown.Total() - c2.breakdown.host_s;
  const double gpu6 = c6.breakdown.Total() - c6.breakdown.host_s;
  EXPECT_GT(gpu6, gpu2);
  // Overlapped host work: the step lasts max(gpu, host work) = the host work here, however
  // many proposer passes run under it.
  const double host_work = 20e-3 + p.host_overhead_per_seq_s * 4;
  ASSERT_LT(gpu6, host_work);
  EXPECT_NEAR(c2.duration_s, host_work, 1e-12);
  EXPECT_NEAR(c6.duration_s, host_work, 1e-12);
  // Without overlap the proposer's time adds to it.
  p.overlap_host = false;
  SpeculativeStepModel serial(Roofline(Llama8B(), p), Roofline(EagleHeadSpec(Llama8B()), p),
                              DraftMethod::kEagle, 6, p);
  EXPECT_NEAR(serial.Cost(b).duration_s, host_work + gpu6, 1e-12);
}

TEST(SpeculativeStepModelTest, TheDrafterTakesMemory) {
  const DeploymentShape d;
  const DrafterFootprint eagle = DrafterMemory(EagleHeadSpec(Llama8B()), d, true);
  const ModelSpec m = Llama8B();
  // One layer's weights and KV: 1/32 of the target's layers, no embedding or LM head.
  MemoryRequest req;
  const MemoryPlan base = PlanMemory(m, H100(), req);
  req.drafter_weight_bytes = eagle.weight_bytes;
  req.drafter_kv_bytes_per_token = eagle.kv_bytes_per_token;
  const MemoryPlan with = PlanMemory(m, H100(), req);
  EXPECT_NEAR(eagle.kv_bytes_per_token, base.kv_bytes_per_token / 32, 1e-9);
  EXPECT_GT(eagle.weight_bytes, 0.2e9);  // 218 M parameters of one layer, bf16
  EXPECT_LT(eagle.weight_bytes, 0.5e9);
  EXPECT_LT(with.num_kv_blocks, base.num_kv_blocks);
}

}  // namespace
}  // namespace servesim
