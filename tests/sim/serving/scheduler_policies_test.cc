// The orca, sarathi and static schedulers on a fixed step time.
#include <gtest/gtest.h>

#include "sim/serving/scheduler.h"
#include "tests/sim/serving/scheduler_harness.h"

namespace servesim {
namespace {

TEST(SchedulerPoliciesTest, OrcaRunsWholePromptsOnly) {
  Harness h(Config(SchedulerPolicy::kOrca, 1000, 1000, 4));
  const RequestId a = h.Add(800, 10);
  const RequestId b = h.Add(300, 10);
  h.Step();
  ASSERT_EQ(h.batch_.prefills.size(), 1u);  // b does not fit the rest of the budget: it waits
  EXPECT_EQ(h.batch_.prefills[0].tokens, 800);
  EXPECT_EQ(h.table_[b].scheduled, -1);
  h.Step();
  ASSERT_EQ(h.batch_.prefills.size(), 1u);
  EXPECT_EQ(h.batch_.prefills[0].tokens, 300);
  EXPECT_EQ(h.batch_.prefills[0].context_tokens, 0);
  EXPECT_EQ(h.batch_.decode_seqs, 1);  // a decodes beside b's prompt (iteration-level)
  h.RunToIdle();
  EXPECT_EQ(h.obs_.finish_count[a], 1);
  EXPECT_EQ(h.obs_.finish_count[b], 1);
}

TEST(SchedulerPoliciesTest, OrcaReservesTheWholeSequenceAndNeverPreempts) {
  // a reserves ceil((800 + 10) / 4) = 203 of 250 blocks, so b (78) waits for a to finish.
  Harness h(Config(SchedulerPolicy::kOrca, 1000, 250, 4));
  const RequestId a = h.Add(800, 10);
  const RequestId b = h.Add(300, 10);
  h.Step();
  EXPECT_EQ(h.scheduler_->Blocks().Used(), 203);
  h.RunToIdle();
  EXPECT_TRUE(h.obs_.preempted.empty());
  EXPECT_EQ(h.table_[b].scheduled, h.obs_.finish_time[a]);
}

TEST(SchedulerPoliciesTest, SarathiServesDecodesFirstAndChunksToTheChunkSize) {
  Harness h(Config(SchedulerPolicy::kSarathi, 512, 10000, 16));
  for (int i = 0; i < 3; ++i) h.Add(10, 100);
  h.Step();
  const RequestId big = h.Add(2000, 2);
  std::vector<int64_t> chunks;
  while (h.table_[big].first_token < 0) {
    ASSERT_TRUE(h.Step());
    EXPECT_EQ(h.batch_.decode_seqs, 3);
    EXPECT_LE(h.batch_.TotalTokens(), 512);
    chunks.push_back(h.batch_.PrefillTokens());
  }
  EXPECT_EQ(chunks, (std::vector<int64_t>{509, 509, 509, 473}));
  h.RunToIdle();
}

TEST(SchedulerPoliciesTest, StaticAdmitsNobodyWhileABatchRunsAndPadsFinishedMembers) {
  Harness h(Config(SchedulerPolicy::kStatic, 1000, 1000, 4));
  const RequestId a = h.Add(10, 3);
  const RequestId b = h.Add(20, 8);
  h.Step();
  EXPECT_EQ(h.batch_.prefills.size(), 2u);  // the batch's prompts run together
  const RequestId c = h.Add(10, 2);
  std::vector<int64_t> seqs;
  while (h.now_ < 8 * Harness::kStep) {
    ASSERT_TRUE(h.Step());
    EXPECT_TRUE(h.batch_.prefills.empty());
    seqs.push_back(h.batch_.decode_seqs);
    if (h.now_ == 5 * Harness::kStep) {
      // a finished at 3 ms and pads the batch: its slot and its blocks stay taken, and it keeps
      // computing: its KV length was 12 at the end and grows by one per step.
      EXPECT_EQ(h.batch_.decode_context_tokens, (12 + 2) + (20 + 3 + 1));
      EXPECT_EQ(h.scheduler_->Blocks().Used(), 4 + 7);
    }
  }
  EXPECT_EQ(seqs, std::vector<int64_t>(7, 2));
  EXPECT_EQ(h.obs_.finish_time[a], 3 * Harness::kStep);  // tokens stream out as they come
  EXPECT_EQ(h.obs_.finish_time[b], 8 * Harness::kStep);
  EXPECT_EQ(h.scheduler_->Blocks().Used(), 0);  // the batch ended: everything is freed
  EXPECT_EQ(h.table_[c].scheduled, -1);
  h.Step();
  EXPECT_EQ(h.table_[c].scheduled, 8 * Harness::kStep);
  h.RunToIdle();
  EXPECT_EQ(h.obs_.finish_count[c], 1);
}

TEST(SchedulerPoliciesTest, StaticBatchesAreCappedBySeatsAndKvNotByTheTokenBudget) {
  Harness h(Config(SchedulerPolicy::kStatic, 100, 1000, 4, /*max_seqs=*/3));
  for (int i = 0; i < 5; ++i) h.Add(60, 2);
  h.Step();
  EXPECT_EQ(h.batch_.prefills.size(), 3u);  // max_num_seqs; 180 prompt tokens in one step
  EXPECT_EQ(h.batch_.PrefillTokens(), 180);
  h.RunToIdle();
  // Each request reserves ceil((60 + 2) / 4) = 16 blocks: 40 blocks hold two.
  Harness t(Config(SchedulerPolicy::kStatic, 100, 40, 4, /*max_seqs=*/8));
  for (int i = 0; i < 5; ++i) t.Add(60, 2);
  t.Step();
  EXPECT_EQ(t.batch_.prefills.size(), 2u);
  t.RunToIdle();
}

}  // namespace
}  // namespace servesim
