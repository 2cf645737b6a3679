// How an engine launches a step changes its time: CUDA-graph padding adds GEMM rows, an eager
// step cannot end before its last kernel is launched, overlapped host work hides behind the GPU,
// and an fp8 KV cache is read only as fast as the engine's kernels make it.
#include <gtest/gtest.h>

#include "models/step_model.h"
#include "tests/models/test_specs.h"

namespace servesim {
namespace {

using test_specs::H100;
using test_specs::Llama8B;

BatchShape Decode(int64_t seqs, int64_t kv_len) {
  BatchShape b;
  b.decode_seqs = seqs;
  b.decode_context_tokens = seqs * (kv_len + 1);
  return b;
}

StepCost Cost(const StepModelParams& p, const BatchShape& b, Precision kv = Precision::kBf16) {
  DeploymentShape d;
  d.kv_precision = kv;
  return RooflineStepModel(Llama8B(), H100(), d, p).Cost(b);
}

TEST(StepLaunchTest, DefaultAndGraphLaunchesCostTheSame) {
  const StepModelParams p;
  BatchShape graph = Decode(8, 1000);
  graph.launch = StepLaunch::kGraph;
  EXPECT_DOUBLE_EQ(Cost(p, graph).duration_s, Cost(p, Decode(8, 1000)).duration_s);
}

TEST(StepLaunchTest, PaddingRowsRunThroughTheLayersButNotAttention) {
  const StepModelParams p;
  BatchShape padded = Decode(3, 1000);
  padded.padding_tokens = 61;  // the graph of 64
  const StepCost a = Cost(p, Decode(3, 1000));
  const StepCost b = Cost(p, padded);
  EXPECT_GT(b.breakdown.gemm_s, a.breakdown.gemm_s);
  EXPECT_GT(b.breakdown.other_s, a.breakdown.other_s);
  EXPECT_DOUBLE_EQ(b.breakdown.attention_s, a.breakdown.attention_s);
  // The layers' rows are those of 64 sequences; the LM head still sees 3.
  BatchShape rows64 = Decode(64, 1000);
  EXPECT_DOUBLE_EQ(b.breakdown.other_s - a.breakdown.other_s,
                   Cost(p, rows64).breakdown.other_s - Cost(p, Decode(64, 1000)).breakdown.other_s +
                       (b.breakdown.other_s - a.breakdown.other_s));
  EXPECT_LT(b.breakdown.gemm_s, Cost(p, rows64).breakdown.gemm_s);
}

TEST(StepLaunchTest, AnEagerStepWaitsForItsLastLaunch) {
  StepModelParams p;
  p.host_overhead_per_step_s = 0;
  p.host_overhead_per_seq_s = 0;
  p.eager_kernel_launch_s = 40e-6;  // launch-bound: 32 layers x ~11 kernels x 40 us >> the GPU
  BatchShape eager = Decode(1, 100);
  eager.launch = StepLaunch::kEager;
  const StepCost graph = Cost(p, Decode(1, 100));
  const StepCost e = Cost(p, eager);
  // 32 layers x (4 GEMMs + 5 elementwise + 1 attention) + embedding, norm, LM head, sampling.
  const double kernels = 32 * 10 + 4;
  EXPECT_NEAR(e.duration_s, kernels * 40e-6, 1e-9);
  EXPECT_NEAR(e.breakdown.host_s, kernels * 40e-6 - graph.duration_s, 1e-9);
  // A GPU-bound eager step (a long prefill) is not slowed by its launches.
  BatchShape prefill;
  prefill.prefills.push_back({4096, 0, true});
  const double gpu = Cost(p, prefill).duration_s;
  prefill.launch = StepLaunch::kEager;
  EXPECT_DOUBLE_EQ(Cost(p, prefill).duration_s, gpu);
}

TEST(StepLaunchTest, OverlappedHostWorkIsExposedOnlyBeyondTheGpuTime) {
  StepModelParams p;
  p.host_overhead_per_step_s = 300e-6;
  const StepCost sequential = Cost(p, Decode(16, 1000));
  p.overlap_host = true;
  const StepCost overlapped = Cost(p, Decode(16, 1000));
  EXPECT_NEAR(sequential.duration_s - overlapped.duration_s, 300e-6 + 16 * 2e-6, 1e-12);
  EXPECT_DOUBLE_EQ(overlapped.breakdown.host_s, 0);
  p.host_overhead_per_step_s = 1.0;  // a host slower than the GPU sets the pace
  EXPECT_NEAR(Cost(p, Decode(16, 1000)).duration_s, 1.0 + 16 * 2e-6, 1e-9);
}

TEST(StepLaunchTest, Fp8KvReadsAreOnlyAsFastAsTheKernels) {
  StepModelParams p;
  const double bf16 = Cost(p, Decode(64, 8000), Precision::kBf16).breakdown.attention_s;
  const double fp8 = Cost(p, Decode(64, 8000), Precision::kFp8).breakdown.attention_s;
  EXPECT_NEAR(fp8 / bf16, 0.5, 0.01);  // the roofline: half the bytes
  p.fp8_kv_read_speedup = 1.0;
  EXPECT_NEAR(Cost(p, Decode(64, 8000), Precision::kFp8).breakdown.attention_s, bf16, 1e-12);
  p.fp8_kv_read_speedup = 1.5;
  EXPECT_NEAR(Cost(p, Decode(64, 8000), Precision::kFp8).breakdown.attention_s / bf16, 1 / 1.5,
              0.01);
}

}  // namespace
}  // namespace servesim
