// Fast-forward (Replica::RunAhead, Scheduler::PlanPlainDecode/CommitPlainDecode) must not change
// a single byte: every example scenario and a few hundred randomized ones are run both ways and
// their summary JSON, per-request records and per-step traces compared.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/core/rng.h"
#include "sim/runner.h"
#include "tests/util/binary_test.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

// Records every step as text, in the order the sink sees them.
class StepLog : public StepTraceSink {
 public:
  void OnStep(int replica, SimTime start, SimTime duration, const BatchShape& batch,
              int64_t kv_used_blocks, int64_t kv_total_blocks) override {
    text += fmt::format("{} {} {} {} {} {} {} {}\n", replica, start, duration, batch.decode_seqs,
                        batch.decode_context_tokens, batch.prefills.size(), kv_used_blocks,
                        kv_total_blocks);
  }
  std::string text;
};

std::string RequestsText(const RequestTable& table) {
  std::string out;
  for (const Request& r : table) {
    out +=
        fmt::format("{} {} {} {} {} {} {} {} {}\n", r.arrival, r.scheduled, r.first_token, r.finish,
                    r.preemptions, r.replica, r.generated, r.prefix_hit_tokens, r.rejected);
  }
  return out;
}

struct Outcome {
  std::string json;
  std::string requests;
  std::string steps;
  uint64_t events = 0;
  uint64_t inlined = 0;
  int64_t preemptions = 0;
};

Outcome Run(const Scenario& s, bool fast_forward, bool trace) {
  RunOptions options;
  options.fast_forward = fast_forward;
  StepLog log;
  const RunResult r = RunScenario(s, trace ? &log : nullptr, options);
  return {SummaryToJson(r.summary).dump(2),
          RequestsText(r.requests),
          log.text,
          r.summary.events,
          r.events_inlined,
          r.summary.preemptions};
}

// Runs both ways and expects identical results; returns the fast run.
Outcome ExpectIdentical(const Scenario& s, const std::string& what, bool trace) {
  const Outcome fast = Run(s, true, trace);
  const Outcome slow = Run(s, false, trace);
  EXPECT_EQ(fast.json, slow.json) << what;
  EXPECT_EQ(fast.requests, slow.requests) << what;
  EXPECT_EQ(fast.steps, slow.steps) << what;
  EXPECT_EQ(fast.events, slow.events) << what;  // inlined events count as events
  EXPECT_EQ(slow.inlined, 0u) << what;
  return fast;
}

TEST(FastForwardTest, EveryExampleScenarioGivesIdenticalResults) {
  const fs::path dir = fs::path(SERVESIM_SOURCE_DIR) / "configs/scenarios";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    Scenario s;
    try {
      s = LoadScenario(entry.path().string(), {});
    } catch (const InputError& e) {
      if (std::string(e.what()).find("cannot open trace") != std::string::npos) continue;
      throw;
    }
    // The trace is checked on the smaller scenarios only (it holds every step).
    const bool trace = s.workload.num_requests && *s.workload.num_requests <= 2000;
    ExpectIdentical(s, entry.path().filename().string(), trace);
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST(FastForwardTest, ActuallyInlinesMostStepsOfOneReplica) {
  const Scenario s =
      LoadScenario((fs::path(SERVESIM_SOURCE_DIR) / "configs/scenarios/default.yaml").string(), {});
  const Outcome fast = ExpectIdentical(s, "default", false);
  // Poisson arrivals at 8/s against ~10 ms steps: most completions come before the next arrival.
  EXPECT_GT(fast.inlined, fast.events / 2);
}

// A random scenario over the features that interact with fast-forward: schedulers (preemption,
// reservation, static padding), replicas and routers, pipeline stages, disaggregation (KV
// transfers), closed loops, sessions with prefix caching, and KV pressure.
std::string RandomScenario(uint64_t seed) {
  Rng rng(seed, "fast_forward_test");
  auto pick = [&](std::vector<std::string> v) {
    return v[static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(v.size()) - 1))];
  };
  const std::string scheduler = pick({"vllm", "vllm", "trtllm", "sarathi", "orca", "static"});
  // Every fifth scenario squeezes the KV cache (vllm and sarathi then preempt).
  const bool squeeze = seed % 5 == 0;
  const int64_t kind = rng.UniformInt(0, 5);  // 0-2 open loop, 3 closed, 4 sessions, 5 disagg
  const bool disagg = kind == 5 && scheduler != "static";
  std::string y = "model: llama-3.1-8b\n";
  const int64_t gpus = disagg ? 2 : rng.UniformInt(1, 3);
  const int64_t pp = !disagg && gpus == 2 && rng.UniformInt(0, 2) == 0 ? 2 : 1;
  y += fmt::format("hardware: {{gpu: {}, num_gpus: {}}}\n",
                   squeeze ? "l40s-48gb" : pick({"h100-sxm-80gb", "l40s-48gb"}), gpus);
  if (pp > 1) y += "parallel: {pp: 2}\n";
  if (disagg) {
    y += "disaggregation:\n  prefill: {gpu: h100-sxm-80gb, num_gpus: 1}\n"
         "  decode: {gpu: h100-sxm-80gb, num_gpus: 1}\n";
  }
  y += fmt::format("router: {{policy: {}}}\n",
                   pick({"round_robin", "least_outstanding", "least_kv_usage", "random"}));
  y += fmt::format("engine:\n  scheduler: {}\n  max_num_seqs: {}\n  max_model_len: 8192\n",
                   scheduler, pick({"8", "32", "256"}));
  y += fmt::format("  gpu_memory_utilization: {}\n", squeeze ? "0.45" : pick({"0.6", "0.9"}));
  if (scheduler == "sarathi") y += "  chunk_size: 512\n";
  // Speculative decoding on a third of the eligible scenarios, from its own stream (so that the
  // other choices stay those of the seed).
  Rng spec(seed, "fast_forward_test/speculative");
  if ((scheduler == "vllm" || scheduler == "trtllm") && pp == 1 && !disagg &&
      spec.UniformInt(0, 2) == 0) {
    y += fmt::format("  speculative: {{method: {}, num_tokens: {}, acceptance_rate: 0.7}}\n",
                     spec.UniformInt(0, 1) == 0 ? "eagle" : "ngram", spec.UniformInt(1, 4));
  }
  const std::string in = fmt::format("{{dist: lognormal, mean: {}, sigma: 0.8, min: 4, max: 4000}}",
                                     squeeze ? "2000" : pick({"100", "600", "2000"}));
  const std::string out =
      fmt::format("{{dist: lognormal, mean: {}, sigma: 0.9, min: 1, max: 4000}}",
                  squeeze ? "900" : pick({"20", "200", "900"}));
  const std::string rate = squeeze ? "40" : pick({"0.5", "3", "12", "40"});
  y += "workload:\n";
  if (kind == 3) {
    y += fmt::format("  concurrency: {}\n  think_time_s: {}\n  num_requests: 150\n",
                     pick({"1", "8", "64"}), pick({"0", "0.2"}));
  } else if (kind == 4 && scheduler != "static") {
    // KV offload on half of these (pp 1 only), from its own stream.
    Rng offload(seed, "fast_forward_test/kv_offload");
    const bool host_tier = pp == 1 && offload.UniformInt(0, 1) == 0;
    y = (host_tier ? "prefix_caching: {enabled: true, host_offload_gib: 2}\n"
                   : "prefix_caching: {enabled: true}\n") +
        y;
    y += fmt::format("  arrival: {{process: poisson, rate: {}}}\n", rate);
    y += "  sessions: {num_sessions: 40, turns: {dist: uniform, min: 1, max: 4}, "
         "think_time_s: 1}\n  shared_prefix_tokens: 300\n";
  } else {
    y += fmt::format("  arrival: {{process: {}, rate: {}}}\n  num_requests: 150\n",
                     pick({"poisson", "gamma", "constant"}), rate);
  }
  y += fmt::format("  input_tokens: {}\n  output_tokens: {}\n", in, out);
  y += fmt::format("seed: {}\n", seed);
  return y;
}

TEST(FastForwardTest, RandomScenariosGiveIdenticalResults) {
  int ran = 0, preempting = 0, inlining = 0, pipelined = 0, disaggregated = 0, speculating = 0;
  int offloading = 0;
  for (uint64_t seed = 1; seed <= 120; ++seed) {
    const std::string yaml = RandomScenario(seed);
    Scenario s;
    try {
      s = ParseScenario(ConfigNode::LoadString(yaml, "random.yaml"), std::nullopt);
    } catch (const InputError&) {
      continue;  // e.g. a combination that does not fit in memory
    }
    const Outcome fast = ExpectIdentical(s, yaml, seed % 4 == 0);
    ++ran;
    preempting += fast.preemptions > 0 ? 1 : 0;
    inlining += fast.inlined > 0 ? 1 : 0;
    pipelined += s.pp > 1 ? 1 : 0;
    disaggregated += s.disaggregation ? 1 : 0;
    speculating += s.engine.speculative.enabled ? 1 : 0;
    offloading += s.engine.batching.host_offload_blocks > 0 ? 1 : 0;
  }
  // The draw covers what fast-forward must respect.
  EXPECT_GE(ran, 80);
  EXPECT_GE(preempting, 3);
  EXPECT_GE(inlining, 40);
  EXPECT_GE(pipelined, 3);
  EXPECT_GE(disaggregated, 3);
  EXPECT_GE(speculating, 5);
  EXPECT_GE(offloading, 3);
}

// Engine presets bring CUDA-graph launches, host/GPU overlap (arrivals seen a step late,
// finished requests computed once more) and SGLang's scheduler; closed loops may ramp up and warm
// up. Fast-forward must not change a byte of them either.
std::string RandomPresetScenario(uint64_t seed) {
  Rng rng(seed, "fast_forward_presets");
  auto pick = [&](std::vector<std::string> v) {
    return v[static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(v.size()) - 1))];
  };
  const std::string preset = pick({"vllm-v1", "trtllm-1", "sglang"});
  std::string y = "model: llama-3.1-8b\n";
  y += fmt::format("hardware: {{gpu: {}, num_gpus: {}}}\n", pick({"h100-sxm-80gb", "l40s-48gb"}),
                   pick({"1", "2"}));
  y += fmt::format("engine:\n  preset: {}\n  max_model_len: 8192\n", preset);
  if (seed % 3 == 0) y += fmt::format("  overlap_scheduling: {}\n", pick({"true", "false"}));
  if (seed % 4 == 0) y += fmt::format("  max_num_seqs: {}\n", pick({"8", "64"}));
  if (seed % 7 == 0 && preset == "vllm-v1") y += "  gpu_memory_utilization: 0.5\n";
  // Speculative decoding (with trtllm-1's overlap, too), from its own stream.
  Rng spec(seed, "fast_forward_presets/speculative");
  if (preset != "sglang" && seed % 4 != 0 && spec.UniformInt(0, 2) == 0) {
    y += fmt::format("  speculative: {{method: eagle, num_tokens: {}, acceptance_rate: 0.6}}\n",
                     spec.UniformInt(1, 3));
  }
  const std::string in = fmt::format("{{dist: lognormal, mean: {}, sigma: 0.8, min: 4, max: 4000}}",
                                     pick({"100", "600", "2000"}));
  const std::string out = fmt::format(
      "{{dist: lognormal, mean: {}, sigma: 0.9, min: 1, max: 3000}}", pick({"20", "200", "900"}));
  y += "workload:\n";
  if (rng.UniformInt(0, 1) == 0) {
    y += fmt::format("  concurrency: {}\n  num_requests: 120\n", pick({"1", "8", "64"}));
    if (seed % 2 == 0) y += "  ramp_up_s: 1.5\n  warmup_requests: 10\n";
  } else {
    y += fmt::format("  arrival: {{process: poisson, rate: {}}}\n  num_requests: 120\n",
                     pick({"1", "8", "40"}));
  }
  y += fmt::format("  input_tokens: {}\n  output_tokens: {}\nseed: {}\n", in, out, seed);
  return y;
}

TEST(FastForwardTest, PresetScenariosGiveIdenticalResults) {
  int ran = 0, overlapped = 0, sglang = 0, speculating_overlapped = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    const std::string yaml = RandomPresetScenario(seed);
    Scenario s;
    try {
      s = ParseScenario(ConfigNode::LoadString(yaml, "random.yaml"), std::nullopt);
    } catch (const InputError&) {
      continue;  // e.g. a combination that does not fit in memory
    }
    ExpectIdentical(s, yaml, seed % 3 == 0);
    ++ran;
    overlapped += s.engine.batching.overlap ? 1 : 0;
    sglang += s.engine.scheduler == "sglang" ? 1 : 0;
    speculating_overlapped += s.engine.speculative.enabled && s.engine.batching.overlap ? 1 : 0;
  }
  EXPECT_GE(ran, 40);
  EXPECT_GE(overlapped, 15);
  EXPECT_GE(sglang, 8);
  EXPECT_GE(speculating_overlapped, 2);
}

}  // namespace
}  // namespace servesim

namespace servesim {
namespace {

class FastForwardCliTest : public test_util::BinaryTest {};

// `servesim run --no-fast-forward` takes the step-by-step path and writes the same JSON.
TEST_F(FastForwardCliTest, NoFastForwardFlagGivesTheSameJson) {
  const std::string scenario =
      (fs::path(SERVESIM_SOURCE_DIR) / "configs/scenarios/default.yaml").string();
  const test_util::Outcome fast =
      Run("run " + scenario + " --quiet --json " + (dir_ / "fast.json").string());
  const test_util::Outcome slow =
      Run("run " + scenario + " --quiet --no-fast-forward --json " + (dir_ / "slow.json").string());
  ASSERT_EQ(fast.code, 0) << fast.err;
  ASSERT_EQ(slow.code, 0) << slow.err;
  const std::string a = test_util::Slurp(dir_ / "fast.json");
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, test_util::Slurp(dir_ / "slow.json"));
  EXPECT_EQ(Run("run " + scenario + " --no-fast-forward=yes").code, 2);  // a switch takes no value
}

}  // namespace
}  // namespace servesim
