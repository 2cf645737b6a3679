#include "sim/serving/scheduler.h"

#include <gtest/gtest.h>

#include "sim/core/rng.h"
#include "tests/sim/serving/scheduler_harness.h"

namespace servesim {
namespace {

// A request whose sequence cannot fit the engine's KV cache would wait or preempt itself forever
// (issue 13); the driver refuses it at arrival, so one reaching a scheduler is a bug.
TEST(SchedulerDeathTest, ARequestThatCanNeverFitIsAnInternalErrorNotASpin) {
  Harness h(Config(SchedulerPolicy::kVllm, 64, 10, 4));  // 40 tokens of KV
  RequestTable probe(1);
  probe[0].input_tokens = 30;
  probe[0].output_tokens = 10;
  EXPECT_TRUE(h.scheduler_->CanEverFit(probe[0]));
  probe[0].output_tokens = 11;
  EXPECT_FALSE(h.scheduler_->CanEverFit(probe[0]));
  EXPECT_DEATH(h.Add(30, 11), "a request longer than the engine's KV cache is never served");
}

TEST(SchedulerTest, ChunkedPrefillSplitsALongPromptUnderTheTokenBudget) {
  Harness h(Config(SchedulerPolicy::kVllm, 4096, 10000, 16));
  const RequestId id = h.Add(10000, 3);
  std::vector<int64_t> chunks;
  while (h.scheduler_->Plan(h.now_, &h.batch_, &h.obs_)) {
    chunks.push_back(h.batch_.PrefillTokens() + h.batch_.decode_seqs);
    h.now_ += Harness::kStep;
    h.scheduler_->Commit(h.now_, &h.obs_);
  }
  EXPECT_EQ(chunks, (std::vector<int64_t>{4096, 4096, 1808, 1, 1}));
  EXPECT_EQ(h.obs_.first_token[id], 3 * Harness::kStep);  // the step completing the prompt
  EXPECT_EQ(h.obs_.finish_time[id], 5 * Harness::kStep);
  EXPECT_EQ(h.table_[id].generated, 3);
}

TEST(SchedulerTest, DecodesAreServedBeforePrefillAndShareTheBudget) {
  Harness h(Config(SchedulerPolicy::kVllm, 512, 10000, 16));
  for (int i = 0; i < 3; ++i) h.Add(10, 100);
  h.Step();  // three short prefills
  const RequestId big = h.Add(5000, 2);
  h.Step();
  EXPECT_EQ(h.batch_.decode_seqs, 3);
  ASSERT_EQ(h.batch_.prefills.size(), 1u);
  EXPECT_EQ(h.batch_.prefills[0].tokens, 512 - 3);
  EXPECT_EQ(h.batch_.decode_context_tokens, 3 * 11);  // 10 cached + the token computed now
  EXPECT_EQ(h.table_[big].scheduled, Harness::kStep);
  h.RunToIdle();
}

TEST(SchedulerTest, MaxNumSeqsCapsTheRunningSet) {
  Harness h(Config(SchedulerPolicy::kVllm, 8192, 10000, 16, /*max_seqs=*/4));
  for (int i = 0; i < 10; ++i) h.Add(100, 20);
  h.Step();
  EXPECT_EQ(h.scheduler_->NumRunning(), 4);
  EXPECT_EQ(h.scheduler_->NumWaiting(), 6);
  h.RunToIdle();
  EXPECT_EQ(h.obs_.finish_count.size(), 10u);
}

TEST(SchedulerTest, WithoutChunkingAPromptWaitsUntilItFitsWhole) {
  Harness h(Config(SchedulerPolicy::kVllm, 1000, 10000, 16, 256, /*chunked=*/false));
  const RequestId a = h.Add(800, 5);
  const RequestId b = h.Add(300, 5);
  h.Step();
  ASSERT_EQ(h.batch_.prefills.size(), 1u);
  EXPECT_EQ(h.batch_.prefills[0].tokens, 800);
  EXPECT_EQ(h.table_[b].scheduled, -1);
  h.Step();
  EXPECT_EQ(h.table_[b].scheduled, Harness::kStep);
  EXPECT_EQ(h.batch_.decode_seqs, 1);  // a decodes while b prefills
  h.RunToIdle();
  EXPECT_EQ(h.obs_.finish_count[a], 1);
}

TEST(SchedulerTest, VllmPreemptsTheLatestAdmittedByRecompute) {
  // 10 blocks of 4 tokens = 40 tokens: two sequences of 8 + 30 cannot both complete.
  Harness h(Config(SchedulerPolicy::kVllm, 64, 10, 4));
  const RequestId a = h.Add(8, 30);
  const RequestId b = h.Add(8, 30);
  h.RunToIdle();
  ASSERT_FALSE(h.obs_.preempted.empty());
  EXPECT_EQ(h.obs_.preempted.front(), b);  // b was admitted after a
  EXPECT_EQ(h.table_[a].preemptions, 0);
  EXPECT_GE(h.table_[b].preemptions, 1);
  EXPECT_EQ(h.table_[a].generated, 30);
  EXPECT_EQ(h.table_[b].generated, 30);
  EXPECT_EQ(h.obs_.finish_count[a], 1);
  EXPECT_EQ(h.obs_.finish_count[b], 1);
  EXPECT_LT(h.obs_.finish_time[a], h.obs_.finish_time[b]);
}

TEST(SchedulerTest, TrtllmReservesTheWholeSequenceAndNeverPreempts) {
  // Each request needs ceil((8 + 12) / 4) = 5 blocks; 10 blocks hold two at a time.
  Harness h(Config(SchedulerPolicy::kTrtllm, 64, 10, 4));
  for (int i = 0; i < 3; ++i) h.Add(8, 12);
  h.Step();
  EXPECT_EQ(h.scheduler_->NumRunning(), 2);
  EXPECT_EQ(h.scheduler_->Blocks().Used(), 10);
  h.RunToIdle();
  EXPECT_TRUE(h.obs_.preempted.empty());
  EXPECT_GT(h.table_[2].scheduled, h.table_[0].scheduled);
  EXPECT_GE(h.table_[2].scheduled, std::min(h.obs_.finish_time[0], h.obs_.finish_time[1]));
}

TEST(SchedulerTest, PrefilledRequestDecodesAtOnceWithThePromptBlocks) {
  Harness h(Config(SchedulerPolicy::kVllm, 64, 100, 4));
  const RequestId id = h.AddPrefilled(8, 4);
  ASSERT_TRUE(h.Step());
  EXPECT_TRUE(h.batch_.prefills.empty());
  EXPECT_EQ(h.batch_.decode_seqs, 1);
  EXPECT_EQ(h.batch_.decode_context_tokens, 9);
  // 8 prompt tokens fill two blocks; the first decode token opens a third.
  EXPECT_EQ(h.scheduler_->Blocks().Used(), 3);
  EXPECT_EQ(h.table_[id].scheduled, 0);
  h.RunToIdle();
  EXPECT_EQ(h.obs_.finish_count[id], 1);
  EXPECT_EQ(h.obs_.finish_time[id], 3 * Harness::kStep);  // three more tokens, one per step
  EXPECT_EQ(h.obs_.gaps, 3);
  EXPECT_TRUE(h.obs_.first_token.empty());  // the first token was reported elsewhere
}

TEST(SchedulerTest, PrefilledRequestWaitsFcfsBehindEarlierArrivals) {
  Harness h(Config(SchedulerPolicy::kVllm, 64, 100, 4, /*max_seqs=*/1));
  const RequestId a = h.Add(10, 3);
  const RequestId b = h.AddPrefilled(10, 3);
  h.RunToIdle();
  EXPECT_EQ(h.obs_.finish_time[a], 3 * Harness::kStep);
  EXPECT_EQ(h.table_[b].scheduled, 3 * Harness::kStep);
  EXPECT_EQ(h.obs_.finish_time[b], 5 * Harness::kStep);
}

TEST(SchedulerTest, PrefilledRequestUnderTrtllmReservesTheWholeSequence) {
  Harness h(Config(SchedulerPolicy::kTrtllm, 64, 100, 4));
  h.AddPrefilled(8, 12);
  ASSERT_TRUE(h.Step());
  EXPECT_EQ(h.scheduler_->Blocks().Used(), 5);  // ceil((8 + 12) / 4)
  h.RunToIdle();
}

TEST(SchedulerTest, PrefillOnlyFinishesAtTheFirstTokenAndFreesItsBlocks) {
  for (SchedulerPolicy policy : {SchedulerPolicy::kVllm, SchedulerPolicy::kTrtllm}) {
    SchedulerConfig c = Config(policy, 128, 100, 4);
    c.prefill_only = true;
    Harness h(c);
    const RequestId id = h.Add(100, 50);
    ASSERT_TRUE(h.Step());
    EXPECT_EQ(h.obs_.finish_count[id], 1);
    EXPECT_EQ(h.obs_.first_token[id], Harness::kStep);
    EXPECT_EQ(h.obs_.finish_time[id], Harness::kStep);
    EXPECT_EQ(h.table_[id].generated, 1);
    EXPECT_LT(h.table_[id].generated, h.table_[id].output_tokens);
    EXPECT_EQ(h.table_[id].blocks, 0);
    EXPECT_EQ(h.scheduler_->Blocks().Used(), 0);  // freed at the hand-off
    EXPECT_FALSE(h.Step());
  }
  // trtllm reserves only the prompt there (25 blocks of 4, not the 38 of prompt + output): 80
  // blocks hold three such prompts at once.
  SchedulerConfig c = Config(SchedulerPolicy::kTrtllm, 1024, 80, 4);
  c.prefill_only = true;
  Harness h(c);
  for (int i = 0; i < 4; ++i) h.Add(100, 50);
  h.Step();
  EXPECT_EQ(h.batch_.prefills.size(), 3u);
  h.RunToIdle();
}

// Disaggregation end to end: a prefill-only scheduler hands each request, as its first token
// comes out, to a decode scheduler; every request finishes exactly once on each side.
TEST(SchedulerTest, PrefillOnlyFeedsAPrefilledDecodeInstance) {
  for (SchedulerPolicy policy : {SchedulerPolicy::kVllm, SchedulerPolicy::kTrtllm}) {
    SchedulerConfig pc = Config(policy, 128, 200, 8, 16);
    pc.prefill_only = true;
    Harness prefill(pc);
    Harness decode(Config(policy, 128, 60, 8, 16));
    Rng rng(7, "disagg");
    for (int i = 0; i < 100; ++i) prefill.Add(rng.UniformInt(1, 150), rng.UniformInt(2, 100));
    size_t handed = 0;
    bool busy = true;
    while (busy) {
      busy = prefill.Step();
      for (; handed < prefill.table_.size() && prefill.table_[handed].finish >= 0; ++handed) {
        const Request& r = prefill.table_[handed];
        decode.now_ = std::max(decode.now_, prefill.now_);
        decode.AddPrefilled(r.input_tokens, r.output_tokens);
      }
      busy = decode.Step() || busy;
    }
    decode.RunToIdle();
    ASSERT_EQ(handed, 100u);
    int64_t expected_gaps = 0;
    for (RequestId id = 0; id < 100; ++id) {
      EXPECT_EQ(prefill.obs_.finish_count[id], 1);
      EXPECT_EQ(decode.obs_.finish_count[id], 1);
      EXPECT_EQ(decode.table_[id].generated, decode.table_[id].output_tokens);
      expected_gaps += decode.table_[id].output_tokens - 1;
    }
    EXPECT_EQ(decode.obs_.gaps, expected_gaps);
    if (policy == SchedulerPolicy::kTrtllm) {
      EXPECT_TRUE(decode.obs_.preempted.empty());
    }
  }
}

// Random workloads under memory pressure: limits hold at every step (Harness::Step) and every
// request finishes exactly once with exactly its output tokens. With prefix caching, requests
// share prefixes (groups) and conversations (sessions) at random.
void StressOnce(SchedulerPolicy policy, bool chunked, uint64_t seed, bool caching = false) {
  // Without chunking the budget must hold the longest prompt plus its recomputed outputs (the
  // scenario loader enforces max_num_batched_tokens >= max_model_len for this).
  SchedulerConfig config = Config(policy, chunked ? 256 : 350, 120, 8, 16, chunked);
  config.prefix_caching = caching;
  Harness h(config);
  Rng rng(seed, "scheduler_stress");
  int64_t expected_gaps = 0;
  for (int round = 0; round < 200; ++round) {
    const int arrivals = static_cast<int>(rng.UniformInt(0, 3));
    for (int i = 0; i < arrivals; ++i) {
      const int64_t input = rng.UniformInt(1, 200), output = rng.UniformInt(1, 150);
      if (caching) {
        const int64_t group = rng.UniformInt(-1, 2);
        h.Add(input, output, rng.UniformInt(-1, 4), group,
              group >= 0 ? rng.UniformInt(0, input) : 0);
      } else {
        h.Add(input, output);
      }
      expected_gaps += output - 1;
    }
    for (int s = 0; s < 5; ++s) h.Step();
  }
  h.RunToIdle();
  for (RequestId id = 0; id < static_cast<RequestId>(h.table_.size()); ++id) {
    EXPECT_EQ(h.obs_.finish_count[id], 1) << "request " << id;
    EXPECT_EQ(h.table_[id].generated, h.table_[id].output_tokens);
    EXPECT_EQ(h.table_[id].blocks, 0);
  }
  EXPECT_EQ(h.obs_.gaps, expected_gaps);  // one gap per output token after the first
  if (policy != SchedulerPolicy::kVllm && policy != SchedulerPolicy::kSarathi) {
    EXPECT_TRUE(h.obs_.preempted.empty());
  }
  if (caching) {
    EXPECT_GT(h.scheduler_->Blocks().Evictable(), 0);
    int64_t hits = 0;
    for (const Request& r : h.table_) hits += r.prefix_hit_tokens;
    EXPECT_GT(hits, 0);
  }
}

TEST(SchedulerTest, StressVllmChunked) { StressOnce(SchedulerPolicy::kVllm, true, 1); }
TEST(SchedulerTest, StressVllmUnchunked) { StressOnce(SchedulerPolicy::kVllm, false, 2); }
TEST(SchedulerTest, StressTrtllm) { StressOnce(SchedulerPolicy::kTrtllm, false, 3); }
TEST(SchedulerTest, StressTrtllmChunked) { StressOnce(SchedulerPolicy::kTrtllm, true, 4); }
TEST(SchedulerTest, StressOrca) { StressOnce(SchedulerPolicy::kOrca, false, 5); }
TEST(SchedulerTest, StressSarathi) { StressOnce(SchedulerPolicy::kSarathi, true, 6); }
TEST(SchedulerTest, StressStatic) { StressOnce(SchedulerPolicy::kStatic, false, 7); }

TEST(SchedulerTest, StressPrefixCachingUnderEveryPolicy) {
  uint64_t seed = 10;
  for (SchedulerPolicy policy :
       {SchedulerPolicy::kVllm, SchedulerPolicy::kTrtllm, SchedulerPolicy::kOrca,
        SchedulerPolicy::kSarathi, SchedulerPolicy::kStatic}) {
    for (bool chunked : {true, false}) {
      SCOPED_TRACE(testing::Message()
                   << "policy " << static_cast<int>(policy) << " chunked " << chunked);
      StressOnce(policy, chunked, seed++, /*caching=*/true);
    }
  }
}

}  // namespace
}  // namespace servesim
