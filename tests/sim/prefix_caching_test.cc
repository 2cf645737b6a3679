// Whole runs with prefix sharing and the extra schedulers: prefix hits shorten TTFT, sessions
// stick to a replica and hit its cache, static batching loses throughput, every request of every
// scheduler completes (the runner checks conservation).
#include <gtest/gtest.h>

#include <map>

#include "sim/config/input_error.h"
#include "sim/runner.h"
#include "tests/util/error_of.h"

namespace servesim {
namespace {

Scenario FromYaml(const std::string& yaml, std::vector<std::string> sets = {}) {
  return ParseScenario(ApplyOverrides(ConfigNode::LoadString(yaml, "test.yaml"), sets),
                       std::nullopt);
}

std::string ErrorOf(const std::string& yaml, std::vector<std::string> sets) {
  return test_util::InputErrorOf([&] { FromYaml(yaml, std::move(sets)); });
}

const char* kChat = R"(
model: llama-3.1-8b
hardware: {gpu: h100-sxm-80gb}
workload:
  arrival: {process: poisson, rate: 4}
  num_requests: 200
  input_tokens: 2000
  output_tokens: 20
seed: 5
)";

TEST(PrefixCachingRunTest, PrefixHitsShortenTtft) {
  const std::string prefix = "workload.shared_prefix_tokens=1600";
  const RunResult off = RunScenario(FromYaml(kChat, {prefix}));
  const RunResult on = RunScenario(FromYaml(kChat, {prefix, "prefix_caching.enabled=true"}));
  EXPECT_EQ(on.summary.completed, 200);
  EXPECT_LT(on.summary.ttft.mean_ms, 0.5 * off.summary.ttft.mean_ms);
  // 1600 of 2000 prompt tokens are shared (100 whole blocks); only the first request misses.
  EXPECT_NEAR(on.summary.prefix_cache_hit_rate, 0.8, 0.01);
  EXPECT_LE(on.summary.prefix_cache_hit_rate, 0.8);
  EXPECT_EQ(off.summary.prefix_cache_hit_rate, 0.0);
  EXPECT_TRUE(SummaryToJson(on.summary).contains("prefix_cache_hit_rate"));
  EXPECT_FALSE(SummaryToJson(off.summary).contains("prefix_cache_hit_rate"));
  // Caching alone does nothing for requests that share nothing.
  const RunResult unique = RunScenario(FromYaml(kChat, {"prefix_caching.enabled=true"}));
  EXPECT_EQ(unique.summary.prefix_cache_hit_tokens, 0);
}

const char* kSessions = R"(
model: llama-3.1-8b
hardware: {gpu: h100-sxm-80gb, num_gpus: 2}
prefix_caching: {enabled: true}
router: {policy: session_affinity}
workload:
  arrival: {process: poisson, rate: 4}
  sessions: {num_sessions: 40, turns: 4, think_time_s: 1}
  input_tokens: 200
  output_tokens: 100
seed: 9
)";

// Cached tokens of turns after the first, over the conversation they repeat.
double FollowUpHitRate(const RunResult& r) {
  std::map<int64_t, const Request*> last;  // session -> its previous turn
  double hits = 0, context = 0;
  for (const Request& q : r.requests) {
    auto it = last.find(q.session);
    if (it != last.end()) {
      hits += static_cast<double>(q.prefix_hit_tokens);
      context += static_cast<double>(it->second->input_tokens + it->second->output_tokens);
    }
    last[q.session] = &q;
  }
  return hits / context;
}

TEST(PrefixCachingRunTest, SessionsStickToOneReplicaAndHitItsCache) {
  const RunResult r = RunScenario(FromYaml(kSessions));
  EXPECT_EQ(r.summary.completed, 160);
  std::map<int64_t, const Request*> last;
  for (const Request& q : r.requests) {
    ASSERT_GE(q.session, 0);
    auto it = last.find(q.session);
    if (it != last.end()) {
      const Request& prev = *it->second;
      EXPECT_EQ(q.replica, prev.replica);
      EXPECT_EQ(q.input_tokens, prev.input_tokens + prev.output_tokens + 200);
      EXPECT_EQ(q.arrival, prev.finish + kNsPerSecond);  // closed loop per session
    }
    last[q.session] = &q;
  }
  // A turn finds all of the conversation so far but the last partial block.
  EXPECT_GT(FollowUpHitRate(r), 0.95);
  const RunResult rr = RunScenario(FromYaml(kSessions, {"router.policy=round_robin"}));
  // Round robin sends every other turn to the replica that saw the conversation two turns ago.
  EXPECT_LT(FollowUpHitRate(rr), 0.8);
}

TEST(PrefixCachingRunTest, ClosedLoopSessionsEndWhenTheConversationIsFull) {
  // 4 conversations in flight, 10 in all. Messages of 200 and answers of 100 tokens make turns of
  // 300, 600, 900, 1200 tokens (prompt + output): with max_model_len 1000 every conversation ends
  // after three turns, and no turn is refused.
  const Scenario s =
      FromYaml(kSessions, {"hardware.num_gpus=1", "workload.arrival=null", "workload.concurrency=4",
                           "workload.sessions.turns=5", "workload.sessions.num_sessions=10",
                           "engine.max_model_len=1000"});
  const RunResult r = RunScenario(s);
  EXPECT_EQ(r.summary.completed, 30);
  EXPECT_EQ(r.summary.failed, 0);
  std::map<int64_t, int> turns;
  for (const Request& q : r.requests) ++turns[q.session];
  EXPECT_EQ(turns.size(), 10u);
  for (const auto& [session, n] : turns) EXPECT_EQ(n, 3) << session;
}

const char* kBurst = R"(
model: llama-3.1-8b
hardware: {gpu: h100-sxm-80gb}
workload:
  arrival: {process: burst}
  num_requests: 400
  input_tokens: {dist: uniform, min: 100, max: 1000}
  output_tokens: {dist: uniform, min: 10, max: 500}
seed: 2
)";

TEST(PrefixCachingRunTest, StaticBatchingHasLessThroughputThanVllmAtHighLoad) {
  const RunResult vllm = RunScenario(FromYaml(kBurst));
  const RunResult stat = RunScenario(FromYaml(kBurst, {"engine.scheduler=static"}));
  EXPECT_EQ(stat.summary.completed, 400);
  EXPECT_LT(stat.summary.output_throughput, 0.8 * vllm.summary.output_throughput);
}

TEST(PrefixCachingRunTest, EverySchedulerCompletesEverythingWithAndWithoutCaching) {
  for (const std::string sched : {"vllm", "trtllm", "orca", "sarathi", "static"}) {
    for (const std::string caching : {"false", "true"}) {
      // Poisson arrivals: in a burst a static batch takes everybody at once and nobody hits.
      const RunResult r = RunScenario(FromYaml(
          kBurst, {"engine.scheduler=" + sched, "workload.num_requests=150",
                   "workload.arrival={process: poisson, rate: 20}",
                   "workload.shared_prefix_tokens=300", "prefix_caching.enabled=" + caching}));
      EXPECT_EQ(r.summary.completed, 150) << sched << " " << caching;
      EXPECT_EQ(r.summary.scheduler, sched);
      if (caching == "true") {
        EXPECT_GT(r.summary.prefix_cache_hit_rate, 0.2) << sched;
      }
    }
  }
}

TEST(PrefixCachingRunTest, SchedulerKeys) {
  const Scenario s = FromYaml(kBurst, {"engine.scheduler=sarathi", "engine.chunk_size=256"});
  EXPECT_EQ(s.engine.batching.policy, SchedulerPolicy::kSarathi);
  EXPECT_EQ(s.engine.batching.max_num_batched_tokens, 256);
  EXPECT_TRUE(s.engine.batching.enable_chunked_prefill);
  EXPECT_EQ(FromYaml(kBurst, {"engine.scheduler=sarathi"}).engine.batching.max_num_batched_tokens,
            512);
  const Scenario o = FromYaml(kBurst, {"engine.scheduler=orca"});
  EXPECT_FALSE(o.engine.batching.enable_chunked_prefill);
  EXPECT_EQ(o.engine.batching.block_size, 16);
  EXPECT_FALSE(o.engine.batching.prefix_caching);
  EXPECT_FALSE(
      FromYaml(kBurst, {"engine.scheduler=static"}).engine.batching.enable_chunked_prefill);
  EXPECT_EQ(ErrorOf(kBurst, {"engine.chunk_size=256"}),
            "--set engine.chunk_size=256: engine.chunk_size: only used by scheduler sarathi (its "
            "per-step token budget)");
  EXPECT_EQ(ErrorOf(kBurst, {"engine.scheduler=sarathi", "engine.max_num_batched_tokens=4096"}),
            "--set engine.max_num_batched_tokens=4096: engine.max_num_batched_tokens: not used "
            "by scheduler sarathi; its token budget is chunk_size");
  EXPECT_EQ(ErrorOf(kBurst, {"engine.scheduler=orca", "engine.enable_chunked_prefill=true"}),
            "--set engine.enable_chunked_prefill=true: engine.enable_chunked_prefill: scheduler "
            "orca never chunks prompts");
  EXPECT_EQ(ErrorOf(kBurst, {"engine.scheduler=sarathi", "engine.chunk_size=100"}),
            "--set engine.chunk_size=100: engine.chunk_size: must be >= max_num_seqs (256) so "
            "every running sequence can decode each step, got 100");
  const std::string disagg =
      "disaggregation={prefill: {gpu: h100-sxm-80gb, num_gpus: 1}, decode: {gpu: h100-sxm-80gb, "
      "num_gpus: 1}}";
  EXPECT_EQ(ErrorOf(kBurst, {"engine.scheduler=static", disagg}),
            "--set engine.scheduler=static: engine.scheduler: not with disaggregation: a static "
            "batch prefills and decodes its members together");
  for (const std::string sched : {"vllm", "trtllm", "orca", "sarathi"}) {
    const RunResult r = RunScenario(
        FromYaml(kBurst, {"engine.scheduler=" + sched, disagg, "workload.num_requests=50",
                          "prefix_caching.enabled=true", "workload.shared_prefix_tokens=64"}));
    EXPECT_EQ(r.summary.completed, 50) << sched;
  }
  EXPECT_EQ(ErrorOf(kBurst, {"prefix_caching.enable=true"}),
            "--set prefix_caching.enable=true: prefix_caching.enable: unknown key (did you mean "
            "'enabled'?)");
}

}  // namespace
}  // namespace servesim
