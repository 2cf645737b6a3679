// Test helpers for the scheduler: an observer that records what it is told and a harness that
// drives a Scheduler with a fixed step time, checking the batch limits at every step.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "sim/serving/scheduler.h"

namespace servesim {

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
  RequestId Add(int64_t input, int64_t output, int64_t session = -1, int64_t prefix_group = -1,
                int64_t prefix_tokens = 0) {
    Request r;
    r.arrival = now_;
    r.input_tokens = input;
    r.output_tokens = output;
    r.session = session;
    r.prefix_group = prefix_group;
    r.prefix_tokens = prefix_tokens;
    table_.push_back(r);
    const RequestId id = static_cast<RequestId>(table_.size() - 1);
    scheduler_->Enqueue(id);
    return id;
  }
  // A request whose prompt was prefilled elsewhere and whose first token came out now.
  RequestId AddPrefilled(int64_t input, int64_t output) {
    Request r;
    r.arrival = now_;
    r.input_tokens = input;
    r.output_tokens = output;
    r.generated = 1;
    r.first_token = r.last_token = now_;
    table_.push_back(r);
    const RequestId id = static_cast<RequestId>(table_.size() - 1);
    scheduler_->EnqueuePrefilled(id);
    return id;
  }
  // One step; false when idle.
  bool Step() {
    if (!scheduler_->Plan(now_, &batch_, &obs_)) return false;
    // A static batch runs all its prompts in its first step, whatever their sum.
    if (config_.policy != SchedulerPolicy::kStatic) {
      EXPECT_LE(batch_.TotalTokens(), config_.max_num_batched_tokens);
    }
    EXPECT_LE(batch_.NumSeqs(), config_.max_num_seqs);
    EXPECT_LE(scheduler_->NumRunning(), config_.max_num_seqs);
    EXPECT_LE(scheduler_->Blocks().Used() + scheduler_->Blocks().Evictable(),
              scheduler_->Blocks().NumBlocks());
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

inline SchedulerConfig Config(SchedulerPolicy policy, int64_t budget, int64_t blocks,
                              int64_t block_size, int64_t max_seqs = 256, bool chunked = true) {
  SchedulerConfig c;
  c.policy = policy;
  c.max_num_batched_tokens = budget;
  c.num_blocks = blocks;
  c.block_size = block_size;
  c.max_num_seqs = std::min(max_seqs, budget);
  // orca and static never chunk, sarathi always does (the scenario loader enforces this).
  c.enable_chunked_prefill =
      policy == SchedulerPolicy::kSarathi ||
      (chunked && policy != SchedulerPolicy::kOrca && policy != SchedulerPolicy::kStatic);
  return c;
}

}  // namespace servesim
