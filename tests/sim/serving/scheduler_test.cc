#include "sim/serving/scheduler.h"

#include <map>

#include <gtest/gtest.h>

#include "sim/core/rng.h"

namespace servesim {
namespace {

class RecordingObserver : public StepObserver {
 public:
  void OnFirstToken(RequestId id, SimTime now) override { first_token[id] = now; }
  void OnTokenGaps(SimTime, int64_t count) override { gaps += count; }
  void OnFinish(RequestId id, SimTime now) override {
    ++finish_count[id];
    finish_time[id] = now;
  }
  void OnPreempt(RequestId id, SimTime) override { preempted.push_back(id); }

  std::map<RequestId, SimTime> first_token, finish_time;
  std::map<RequestId, int> finish_count;
  std::vector<RequestId> preempted;
  int64_t gaps = 0;
};

// Drives a Scheduler with a fixed step time and checks the batch limits at every step.
class Harness {
 public:
  explicit Harness(const SchedulerConfig& config) : config_(config) {
    table_.reserve(10000);
    scheduler_ = std::make_unique<Scheduler>(config, &table_);
  }
  RequestId Add(int64_t input, int64_t output) {
    Request r;
    r.arrival = now_;
    r.input_tokens = input;
    r.output_tokens = output;
    table_.push_back(r);
    const RequestId id = static_cast<RequestId>(table_.size() - 1);
    scheduler_->Enqueue(id);
    return id;
  }
  // One step; false when idle.
  bool Step() {
    if (!scheduler_->Plan(now_, &batch_, &obs_)) return false;
    EXPECT_LE(batch_.TotalTokens(), config_.max_num_batched_tokens);
    EXPECT_LE(batch_.NumSeqs(), config_.max_num_seqs);
    EXPECT_LE(scheduler_->NumRunning(), config_.max_num_seqs);
    EXPECT_LE(scheduler_->Blocks().Used(), scheduler_->Blocks().NumBlocks());
    ++steps_;
    now_ += kStep;
    scheduler_->Commit(now_, &obs_);
    return true;
  }
  void RunToIdle() {
    while (Step()) ASSERT_LT(steps_, 1'000'000);
    EXPECT_TRUE(scheduler_->Idle());
    EXPECT_EQ(scheduler_->Blocks().Used(), 0);
  }

  static constexpr SimTime kStep = kNsPerMs;
  SchedulerConfig config_;
  RequestTable table_;
  std::unique_ptr<Scheduler> scheduler_;
  RecordingObserver obs_;
  BatchShape batch_;
  SimTime now_ = 0;
  int64_t steps_ = 0;
};

SchedulerConfig Config(SchedulerPolicy policy, int64_t budget, int64_t blocks, int64_t block_size,
                       int64_t max_seqs = 256, bool chunked = true) {
  SchedulerConfig c;
  c.policy = policy;
  c.max_num_batched_tokens = budget;
  c.num_blocks = blocks;
  c.block_size = block_size;
  c.max_num_seqs = std::min(max_seqs, budget);
  c.enable_chunked_prefill = chunked;
  return c;
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

// Random workloads under memory pressure: limits hold at every step (Harness::Step) and every
// request finishes exactly once with exactly its output tokens.
void StressOnce(SchedulerPolicy policy, bool chunked, uint64_t seed) {
  // Without chunking the budget must hold the longest prompt plus its recomputed outputs (the
  // scenario loader enforces max_num_batched_tokens >= max_model_len for this).
  Harness h(Config(policy, chunked ? 256 : 350, 120, 8, 16, chunked));
  Rng rng(seed, "scheduler_stress");
  int64_t expected_gaps = 0;
  for (int round = 0; round < 200; ++round) {
    const int arrivals = static_cast<int>(rng.UniformInt(0, 3));
    for (int i = 0; i < arrivals; ++i) {
      const int64_t input = rng.UniformInt(1, 200), output = rng.UniformInt(1, 150);
      h.Add(input, output);
      expected_gaps += output - 1;
    }
    for (int s = 0; s < 5; ++s) h.Step();
  }
  h.RunToIdle();
  for (RequestId id = 0; id < static_cast<RequestId>(h.table_.size()); ++id) {
    EXPECT_EQ(h.obs_.finish_count[id], 1) << "request " << id;
    EXPECT_EQ(h.table_[id].generated, h.table_[id].output_tokens);
  }
  EXPECT_EQ(h.obs_.gaps, expected_gaps);  // one gap per output token after the first
  if (policy == SchedulerPolicy::kTrtllm) {
    EXPECT_TRUE(h.obs_.preempted.empty());
  }
}

TEST(SchedulerTest, StressVllmChunked) { StressOnce(SchedulerPolicy::kVllm, true, 1); }
TEST(SchedulerTest, StressVllmUnchunked) { StressOnce(SchedulerPolicy::kVllm, false, 2); }
TEST(SchedulerTest, StressTrtllm) { StressOnce(SchedulerPolicy::kTrtllm, false, 3); }
TEST(SchedulerTest, StressTrtllmChunked) { StressOnce(SchedulerPolicy::kTrtllm, true, 4); }

}  // namespace
}  // namespace servesim
