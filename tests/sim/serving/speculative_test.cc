// Speculative decoding in the scheduler and decode set: widths and token counts per step, the
// acceptance model's mean, conservation of tokens and KV blocks under preemption, determinism.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/core/rng.h"
#include "tests/sim/serving/scheduler_harness.h"

namespace servesim {
namespace {

class DraftObserver : public RecordingObserver {
 public:
  void OnDrafts(int64_t sequences, int64_t proposed, int64_t accepted) override {
    sequence_steps += sequences;
    drafts += proposed;
    accepted_drafts += accepted;
  }
  int64_t sequence_steps = 0, drafts = 0, accepted_drafts = 0;
};

SchedulerConfig Speculative(SchedulerPolicy policy, int64_t k, std::vector<double> rates,
                            int64_t blocks = 4096) {
  SchedulerConfig c = Config(policy, 2048, blocks, 16, 64);
  c.speculative.num_tokens = k;
  c.speculative.acceptance = std::move(rates);
  c.speculative.seed = 7;
  return c;
}

// Drives the scheduler like Harness, with the draft observer; returns the steps taken.
struct SpecRun {
  explicit SpecRun(const SchedulerConfig& config) : scheduler(config, &table) {
    table.reserve(4096);
  }
  RequestId Add(int64_t input, int64_t output) {
    Request r;
    r.arrival = now;
    r.input_tokens = static_cast<int32_t>(input);
    r.output_tokens = static_cast<int32_t>(output);
    table.push_back(r);
    const RequestId id = static_cast<RequestId>(table.size() - 1);
    scheduler.Enqueue(id);
    return id;
  }
  bool Step() {
    if (!scheduler.Plan(now, &batch, &obs)) return false;
    EXPECT_LE(batch.TotalTokens(), scheduler.config().max_num_batched_tokens);
    EXPECT_LE(scheduler.Blocks().Used(), scheduler.Blocks().NumBlocks());
    EXPECT_LE(batch.decode_draft_tokens,
              batch.decode_seqs * scheduler.config().speculative.num_tokens);
    now += kNsPerMs;
    scheduler.Commit(now, &obs);
    ++steps;
    return true;
  }
  void RunToIdle() {
    while (Step()) ASSERT_LT(steps, 1'000'000);
    EXPECT_TRUE(scheduler.Idle());
    EXPECT_EQ(scheduler.Blocks().Used(), 0);
  }
  RequestTable table;
  Scheduler scheduler;
  DraftObserver obs;
  BatchShape batch;
  SimTime now = 0;
  int64_t steps = 0;
};

TEST(SpeculativeTest, EveryDraftAcceptedEmitsKPlusOneTokensPerStepAndNeverDraftsPastTheEnd) {
  SpecRun run(Speculative(SchedulerPolicy::kVllm, 3, {1, 1, 1}));
  const RequestId id = run.Add(100, 10);
  ASSERT_TRUE(run.Step());  // prefill: the first token
  EXPECT_EQ(run.table[id].generated, 1);
  ASSERT_TRUE(run.Step());  // 9 left: verifies 3 drafts, emits 4
  EXPECT_EQ(run.batch.decode_seqs, 1);
  EXPECT_EQ(run.batch.decode_draft_tokens, 3);
  EXPECT_EQ(run.batch.TotalTokens(), 4);
  EXPECT_EQ(run.batch.LogitsRows(), 4);
  // The sequence attends to its 100 cached tokens plus the 4 rows computed now.
  EXPECT_EQ(run.batch.decode_context_tokens, 104);
  EXPECT_EQ(run.table[id].generated, 5);
  ASSERT_TRUE(run.Step());  // 5 left: 3 drafts, emits 4
  EXPECT_EQ(run.table[id].generated, 9);
  ASSERT_TRUE(run.Step());  // 1 left: no draft past the last token
  EXPECT_EQ(run.batch.decode_draft_tokens, 0);
  EXPECT_EQ(run.obs.finish_time.at(id), 4 * kNsPerMs);
  EXPECT_FALSE(run.Step());
  EXPECT_EQ(run.obs.drafts, 6);
  EXPECT_EQ(run.obs.accepted_drafts, 6);
  EXPECT_EQ(run.obs.sequence_steps, 3);
  EXPECT_EQ(run.scheduler.Blocks().Used(), 0);
}

TEST(SpeculativeTest, NoDraftAcceptedEmitsOneTokenPerStepButStillVerifiesTheDrafts) {
  SpecRun run(Speculative(SchedulerPolicy::kVllm, 4, {0, 0, 0, 0}));
  const RequestId id = run.Add(64, 10);
  run.RunToIdle();
  EXPECT_EQ(run.obs.finish_time.at(id), 10 * kNsPerMs);  // 1 prefill + 9 decode steps
  EXPECT_EQ(run.obs.accepted_drafts, 0);
  // Widths 1 + min(4, left - 1) for left = 9..1: drafts 4,4,4,4,4,4,3,2,1,0 ... summed.
  EXPECT_EQ(run.obs.drafts, 4 + 4 + 4 + 4 + 4 + 3 + 2 + 1 + 0);
}

// The mean tokens per sequence-step of the acceptance model: sum over j of the product of the
// first j rates; (1 - a^(k+1)) / (1 - a) for a constant a.
double Expected(const std::vector<double>& rates) {
  double tokens = 1, reach = 1;
  for (double a : rates) tokens += (reach *= a);
  return tokens;
}

TEST(SpeculativeTest, TokensPerStepFollowTheAcceptanceModel) {
  for (const std::vector<double>& rates :
       {std::vector<double>{0.6, 0.6, 0.6, 0.6}, std::vector<double>{0.9, 0.7, 0.5}}) {
    SpecRun run(Speculative(SchedulerPolicy::kVllm, static_cast<int64_t>(rates.size()), rates));
    for (int i = 0; i < 40; ++i) run.Add(32, 2000);
    run.RunToIdle();
    const double per_step = 1 + static_cast<double>(run.obs.accepted_drafts) /
                                    static_cast<double>(run.obs.sequence_steps);
    // 40 x ~1000 sequence-steps: the standard error is below 0.5%; the tails of the outputs,
    // where fewer drafts are verified, pull the mean down by ~0.1%.
    EXPECT_NEAR(per_step, Expected(rates), 0.02 * Expected(rates));
    if (rates.size() == 4) {
      EXPECT_NEAR(Expected(rates), (1 - std::pow(0.6, 5)) / 0.4, 1e-12);
    }
  }
}

TEST(SpeculativeTest, TokensAndBlocksAreConservedUnderPreemption) {
  for (SchedulerPolicy policy :
       {SchedulerPolicy::kVllm, SchedulerPolicy::kSarathi, SchedulerPolicy::kTrtllm}) {
    // 160 blocks of 16 tokens: far fewer than 60 requests of up to 1,100 tokens need at once.
    SchedulerConfig c = Speculative(policy, 3, {0.8, 0.6, 0.4}, 160);
    if (policy == SchedulerPolicy::kSarathi) c.max_num_batched_tokens = 512;
    SpecRun run(c);
    Rng rng(3, "speculative_test");
    int64_t outputs = 0;
    for (int i = 0; i < 60; ++i) {
      const int64_t out = rng.UniformInt(1, 600);
      outputs += out;
      run.Add(rng.UniformInt(1, 500), out);
    }
    run.RunToIdle();
    ASSERT_EQ(run.obs.finish_count.size(), 60u);
    for (const auto& [id, n] : run.obs.finish_count) {
      EXPECT_EQ(n, 1);
      EXPECT_EQ(run.table[id].generated, run.table[id].output_tokens);
    }
    // Every token after a request's first came after a gap (one per streamed chunk, including
    // the token sampled when a preempted request's recompute ends) or as an accepted draft in
    // such a chunk: each exactly once.
    const int64_t preempted = static_cast<int64_t>(run.obs.preempted.size());
    EXPECT_EQ(run.obs.gaps + run.obs.accepted_drafts, outputs - 60);
    if (policy == SchedulerPolicy::kVllm) {
      EXPECT_GT(preempted, 0);  // the test exercises preemption
    }
    if (policy == SchedulerPolicy::kTrtllm) {
      EXPECT_EQ(preempted, 0);
    }
  }
}

TEST(SpeculativeTest, SameSeedSameRunAndStreamsAreIndependent) {
  auto finishes = [](uint64_t seed, const std::string& stream) {
    SchedulerConfig c = Speculative(SchedulerPolicy::kVllm, 4, {0.7, 0.7, 0.7, 0.7});
    c.speculative.seed = seed;
    c.speculative.stream = stream;
    SpecRun run(c);
    for (int i = 0; i < 20; ++i) run.Add(50 + i, 100 + 7 * i);
    run.RunToIdle();
    std::vector<SimTime> out;
    for (const auto& [id, t] : run.obs.finish_time) out.push_back(t);
    return out;
  };
  EXPECT_EQ(finishes(1, "speculative/replica0/engine0"),
            finishes(1, "speculative/replica0/engine0"));
  EXPECT_NE(finishes(1, "speculative/replica0/engine0"),
            finishes(1, "speculative/replica1/engine0"));
  EXPECT_NE(finishes(1, "speculative/replica0/engine0"),
            finishes(2, "speculative/replica0/engine0"));
}

}  // namespace
}  // namespace servesim
