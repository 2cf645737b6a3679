// The engine semantics presets bring to the scheduler: which steps replay CUDA graphs and how
// they are padded, the host loop running one step ahead (overlap scheduling), and SGLang's
// separate prefill and decode batches with conservative admission and retraction.
#include <gtest/gtest.h>

#include "sim/serving/scheduler.h"
#include "tests/sim/serving/scheduler_harness.h"

namespace servesim {
namespace {

SchedulerConfig Graphs(SchedulerConfig c, std::vector<int64_t> sizes, bool padding, bool mixed) {
  c.cuda_graphs.modelled = true;
  c.cuda_graphs.sizes = std::move(sizes);
  c.cuda_graphs.padding = padding;
  c.cuda_graphs.mixed_batches = mixed;
  return c;
}

TEST(CudaGraphPolicyTest, DecodeStepsArePaddedToTheNextCapturedSize) {
  Harness h(Graphs(Config(SchedulerPolicy::kVllm, 8192, 10000, 16), {1, 2, 4, 8}, true, false));
  for (int i = 0; i < 3; ++i) h.Add(10, 50);
  h.Step();  // the prompts: a prefill step is not captured here
  EXPECT_EQ(h.batch_.launch, StepLaunch::kEager);
  EXPECT_EQ(h.batch_.padding_tokens, 0);
  h.Step();  // three decodes replay the graph of 4
  EXPECT_EQ(h.batch_.launch, StepLaunch::kGraph);
  EXPECT_EQ(h.batch_.padding_tokens, 1);
  for (int i = 0; i < 6; ++i) h.Add(10, 50);
  h.Step();
  h.Step();  // nine decodes: more than the largest graph
  EXPECT_EQ(h.batch_.decode_seqs, 9);
  EXPECT_EQ(h.batch_.launch, StepLaunch::kEager);
  h.RunToIdle();
}

TEST(CudaGraphPolicyTest, WithoutPaddingOnlyCapturedSizesReplay) {
  Harness h(Graphs(Config(SchedulerPolicy::kTrtllm, 8192, 10000, 32), {1, 2, 4}, false, false));
  for (int i = 0; i < 3; ++i) h.Add(10, 50);
  h.Step();
  h.Step();
  EXPECT_EQ(h.batch_.decode_seqs, 3);
  EXPECT_EQ(h.batch_.launch, StepLaunch::kEager);  // TensorRT-LLM: 3 is not captured
  h.Add(10, 50);
  h.Step();
  h.Step();
  EXPECT_EQ(h.batch_.decode_seqs, 4);
  EXPECT_EQ(h.batch_.launch, StepLaunch::kGraph);
  EXPECT_EQ(h.batch_.padding_tokens, 0);
  h.RunToIdle();
}

TEST(CudaGraphPolicyTest, PiecewiseGraphsCoverMixedStepsByTokens) {
  Harness h(Graphs(Config(SchedulerPolicy::kVllm, 8192, 10000, 16), {1, 2, 4, 8, 16, 24, 32}, true,
                   true));
  h.Add(20, 5);
  h.Step();  // 20 prompt tokens -> the graph of 24
  EXPECT_EQ(h.batch_.launch, StepLaunch::kGraph);
  EXPECT_EQ(h.batch_.padding_tokens, 4);
  h.Add(100, 5);
  h.Step();  // 1 decode + 100 prompt tokens: above the largest size
  EXPECT_EQ(h.batch_.launch, StepLaunch::kEager);
  h.RunToIdle();
  // Not modelled (no preset, no cuda_graphs key): launches keep the default.
  Harness plain(Config(SchedulerPolicy::kVllm, 8192, 10000, 16));
  plain.Add(20, 5);
  plain.Step();
  EXPECT_EQ(plain.batch_.launch, StepLaunch::kDefault);
}

SchedulerConfig Overlap(SchedulerConfig c) {
  c.overlap = true;
  return c;
}

TEST(OverlapSchedulingTest, AnIdleEngineTakesAnArrivalAtOnce) {
  Harness h(Overlap(Config(SchedulerPolicy::kTrtllm, 8192, 10000, 32)));
  const RequestId a = h.Add(100, 3);
  h.Step();
  EXPECT_EQ(h.table_[a].scheduled, 0);
  EXPECT_EQ(h.obs_.first_token[a], Harness::kStep);
  h.RunToIdle();
}

TEST(OverlapSchedulingTest, AnArrivalDuringAStepWaitsForTheStepAfterTheNext) {
  Harness h(Overlap(Config(SchedulerPolicy::kTrtllm, 8192, 10000, 32)));
  h.Add(100, 20);
  ASSERT_TRUE(h.scheduler_->Plan(h.now_, &h.batch_, &h.obs_));
  const RequestId late = h.Add(50, 5);  // arrives while step 1 is on the GPU
  h.now_ += Harness::kStep;
  h.scheduler_->Commit(h.now_, &h.obs_);
  h.Step();  // step 2 was planned before `late` arrived
  EXPECT_EQ(h.table_[late].scheduled, -1);
  EXPECT_TRUE(h.batch_.prefills.empty());
  h.Step();  // step 3 admits it
  EXPECT_EQ(h.table_[late].scheduled, 2 * Harness::kStep);
  h.RunToIdle();
  // Without overlap the same arrival joins step 2.
  Harness plain(Config(SchedulerPolicy::kTrtllm, 8192, 10000, 32));
  plain.Add(100, 20);
  ASSERT_TRUE(plain.scheduler_->Plan(plain.now_, &plain.batch_, &plain.obs_));
  const RequestId p = plain.Add(50, 5);
  plain.now_ += Harness::kStep;
  plain.scheduler_->Commit(plain.now_, &plain.obs_);
  plain.Step();
  EXPECT_EQ(plain.table_[p].scheduled, Harness::kStep);
}

TEST(OverlapSchedulingTest, AFinishedRequestIsComputedOnceMoreBeforeItsBlocksAreFreed) {
  Harness h(Overlap(Config(SchedulerPolicy::kVllm, 8192, 10000, 16)));
  const RequestId a = h.Add(16, 2);  // prompt step, then one decode step
  const RequestId b = h.Add(16, 10);
  h.Step();
  h.Step();  // a emits its last token
  EXPECT_EQ(h.obs_.finish_count[a], 1);
  const int64_t used = h.scheduler_->Blocks().Used();
  // a rides along in the next step: two decode rows, its blocks still held until that commit.
  ASSERT_TRUE(h.scheduler_->Plan(h.now_, &h.batch_, &h.obs_));
  EXPECT_EQ(h.batch_.decode_seqs, 2);
  EXPECT_EQ(h.batch_.decode_context_tokens, (17 + 1) + (17 + 1));
  EXPECT_GE(h.scheduler_->Blocks().Used(), used);
  h.now_ += Harness::kStep;
  h.scheduler_->Commit(h.now_, &h.obs_);
  EXPECT_LT(h.scheduler_->Blocks().Used(), used);  // a's two blocks are free now
  h.Step();                                        // now only b
  EXPECT_EQ(h.batch_.decode_seqs, 1);
  EXPECT_EQ(h.obs_.finish_count[a], 1);  // finished once
  h.RunToIdle();
  EXPECT_EQ(h.obs_.finish_count[b], 1);
}

SchedulerConfig Sglang(int64_t tokens, int64_t chunk = 8192) {
  SchedulerConfig c = Config(SchedulerPolicy::kSglang, chunk, tokens, 1, 4096);
  c.max_num_seqs = 4096;
  c.enable_chunked_prefill = true;
  return c;
}

TEST(SglangSchedulerTest, PrefillAndDecodeBatchesNeverMix) {
  Harness h(Sglang(100000, 1000));
  const RequestId a = h.Add(100, 50);
  h.Step();
  EXPECT_EQ(h.batch_.decode_seqs, 0);
  h.Add(2500, 5);  // chunked in 1000-token pieces, run back to back
  int prefill_steps = 0;
  while (h.Step()) {
    ASSERT_TRUE(h.batch_.decode_seqs == 0 || h.batch_.prefills.empty());
    if (!h.batch_.prefills.empty()) ++prefill_steps;
    if (prefill_steps == 3) break;
  }
  EXPECT_EQ(prefill_steps, 3);
  EXPECT_EQ(h.table_[a].generated, 1);  // a waited while the three chunks ran
  h.RunToIdle();
}

TEST(SglangSchedulerTest, AdmissionReservesTheRunningRequestsFutureTokens) {
  // 2000 KV tokens. a: 500 prompt + 1000 output reserves 1500 (its own admission), leaving 500:
  // b (100 + 500 = 600) does not fit until a's reservation shrinks or a leaves.
  Harness h(Sglang(2000));
  const RequestId a = h.Add(500, 1000);
  const RequestId b = h.Add(100, 500);
  h.Step();
  EXPECT_GE(h.table_[a].scheduled, 0);
  EXPECT_EQ(h.table_[b].scheduled, -1);
  h.RunToIdle();
  EXPECT_GT(h.table_[b].scheduled, 0);
  EXPECT_EQ(h.obs_.finish_count[b], 1);
}

TEST(SglangSchedulerTest, RetractionTakesTheRequestWithTheFewestTokensEmitted) {
  // A low new-token ratio admits optimistically: a (100 + 800) and then b (100 + 600) share 1000
  // KV tokens that cannot hold both to the end; when a decode step no longer fits, b, which has
  // emitted less, is retracted and recomputed after a.
  SchedulerConfig c = Sglang(1000);
  c.sglang.new_token_ratio_init = 0.1;
  c.sglang.new_token_ratio_min = 0.05;
  Harness h(c);
  const RequestId a = h.Add(100, 800);
  h.Step();
  const RequestId b = h.Add(100, 600);
  h.Step();
  EXPECT_GE(h.table_[b].scheduled, 0);
  h.RunToIdle();
  ASSERT_FALSE(h.obs_.preempted.empty());
  EXPECT_EQ(h.obs_.preempted.front(), b);
  EXPECT_EQ(h.table_[a].preemptions, 0);
  EXPECT_EQ(h.obs_.finish_count[a], 1);
  EXPECT_EQ(h.obs_.finish_count[b], 1);
}

}  // namespace
}  // namespace servesim
