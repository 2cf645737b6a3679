// Replicas behind a router and pipeline-parallel replicas, end to end.
#include <gtest/gtest.h>

#include <map>

#include "sim/config/input_error.h"
#include "sim/runner.h"

namespace servesim {
namespace {

Scenario FromYaml(const std::vector<std::string>& sets) {
  const char* base = R"(
model: llama-3.1-8b
hardware: {gpu: h100-sxm-80gb}
workload:
  arrival: {process: poisson, rate: 40}
  num_requests: 800
  input_tokens: {dist: uniform, min: 50, max: 1500}
  output_tokens: {dist: uniform, min: 1, max: 300}
seed: 5
)";
  return ParseScenario(ApplyOverrides(ConfigNode::LoadString(base, "p.yaml"), sets), std::nullopt);
}

TEST(ParallelRunnerTest, ReplicasConserveEveryRequestUnderEveryRouter) {
  for (const std::string policy :
       {"round_robin", "least_outstanding", "least_kv_usage", "random", "session_affinity"}) {
    const RunResult r = RunScenario(FromYaml({"hardware.num_gpus=4", "router.policy=" + policy}));
    EXPECT_EQ(r.summary.completed, 800) << policy;
    EXPECT_EQ(r.summary.num_replicas, 4);
    std::map<int, int> per_replica;
    for (const Request& q : r.requests) {
      ASSERT_GE(q.replica, 0);
      ASSERT_LT(q.replica, 4);
      ++per_replica[q.replica];
    }
    EXPECT_EQ(per_replica.size(), 4u) << policy << ": every replica served some requests";
    if (policy == "round_robin") {
      for (const auto& [replica, n] : per_replica) EXPECT_EQ(n, 200) << replica;
    }
  }
}

TEST(ParallelRunnerTest, LeastOutstandingBalancesBetterThanRandom) {
  // Under load, join-shortest-queue keeps the replicas' busy time closer together.
  const auto spread = [](const Summary& s) {
    double lo = 1, hi = 0;
    for (const auto& r : s.replicas) {
      lo = std::min(lo, r.busy_fraction);
      hi = std::max(hi, r.busy_fraction);
    }
    return hi - lo;
  };
  const Summary jsq =
      RunScenario(FromYaml({"hardware.num_gpus=4", "router.policy=least_outstanding",
                            "workload.arrival.rate=25"}))
          .summary;
  const Summary rnd = RunScenario(FromYaml({"hardware.num_gpus=4", "router.policy=random",
                                            "workload.arrival.rate=25"}))
                          .summary;
  EXPECT_LT(spread(jsq), spread(rnd));
  EXPECT_LE(jsq.ttft.p99_ms, rnd.ttft.p99_ms);
}

TEST(ParallelRunnerTest, TwoReplicasServeTwiceTheLoadOfOne) {
  // Offline (burst): throughput is capacity; two independent replicas double it.
  const std::vector<std::string> burst = {"workload.arrival={process: burst}",
                                          "workload.num_requests=600"};
  std::vector<std::string> two = burst;
  two.push_back("hardware.num_gpus=2");
  const double one_rps = RunScenario(FromYaml(burst)).summary.request_throughput;
  const double two_rps = RunScenario(FromYaml(two)).summary.request_throughput;
  EXPECT_NEAR(two_rps / one_rps, 2.0, 0.15);
}

TEST(ParallelRunnerTest, PipelineShowsBubblesAtLowLoadAndFillsThemAtHighLoad) {
  const Summary idle = RunScenario(FromYaml({"parallel.pp=2", "workload.arrival={process: burst}",
                                             "workload.num_requests=1", "workload.input_tokens=200",
                                             "workload.output_tokens=100"}))
                           .summary;
  EXPECT_EQ(idle.pp, 2);
  EXPECT_EQ(idle.num_gpus, 2);
  // One sequence: one micro-batch at a time, so each stage idles while the other works.
  EXPECT_GT(idle.pipeline_bubble_fraction, 0.4);
  const Summary busy = RunScenario(FromYaml({"parallel.pp=2", "workload.arrival={process: burst}",
                                             "workload.num_requests=600"}))
                           .summary;
  EXPECT_LT(busy.pipeline_bubble_fraction, 0.15);
  // Two stages each holding half the layers serve about twice one GPU's offline throughput.
  const Summary one =
      RunScenario(FromYaml({"workload.arrival={process: burst}", "workload.num_requests=600"}))
          .summary;
  EXPECT_GT(busy.output_throughput, 1.6 * one.output_throughput);
}

TEST(ParallelRunnerTest, TensorParallelIsFasterPerStepButLessThanLinear) {
  const std::vector<std::string> one_request = {
      "workload.arrival={process: burst}", "workload.num_requests=1", "workload.input_tokens=500",
      "workload.output_tokens=200"};
  const auto tpot = [&](int tp) {
    std::vector<std::string> sets = one_request;
    sets.push_back("parallel.tp=" + std::to_string(tp));
    sets.push_back("hardware.num_gpus=" + std::to_string(tp));
    return RunScenario(FromYaml(sets)).summary;
  };
  const Summary tp1 = tpot(1), tp2 = tpot(2), tp8 = tpot(8), tp16 = tpot(16);
  EXPECT_LT(tp2.tpot.mean_ms, tp1.tpot.mean_ms);
  EXPECT_GT(tp2.tpot.mean_ms, tp1.tpot.mean_ms / 2);  // all-reduces and fixed costs remain
  EXPECT_EQ(tp1.communication_s, 0);
  EXPECT_GT(tp2.communication_s, 0);
  EXPECT_GT(tp8.communication_s / tp8.duration_s, tp2.communication_s / tp2.duration_s);
  // Sixteen GPUs span two 8-GPU nodes: every all-reduce crosses the network.
  EXPECT_GT(tp16.tpot.mean_ms, tp8.tpot.mean_ms);
}

TEST(ParallelRunnerTest, TensorParallelSplitsTheKvCacheAndFitsALargerModel) {
  const Scenario s = FromYaml({"model=llama-3.1-70b", "parallel.tp=4", "hardware.num_gpus=4"});
  EXPECT_LT(s.memory.weight_bytes, 40e9);  // ~141 GB of bf16 weights over 4 GPUs
  EXPECT_EQ(s.memory.kv_bytes_per_token, 2.0 * 80 * 2 * 128 * 2);  // 8 KV heads / 4 = 2 per GPU
  const RunResult r = RunScenario(FromYaml({"model=llama-3.1-70b", "parallel.tp=4",
                                            "hardware.num_gpus=4", "workload.num_requests=100"}));
  EXPECT_EQ(r.summary.completed, 100);
  EXPECT_GT(r.summary.mfu, 0);
}

TEST(ParallelRunnerTest, PipelineHalvesWeightsAndKvBytesPerGpu) {
  const Scenario one = FromYaml({});
  const Scenario two = FromYaml({"parallel.pp=2"});
  EXPECT_NEAR(two.memory.kv_bytes_per_token, one.memory.kv_bytes_per_token / 2, 1);
  EXPECT_LT(two.memory.weight_bytes, 0.6 * one.memory.weight_bytes);
  EXPECT_GT(two.memory.num_kv_blocks, 2 * one.memory.num_kv_blocks);
}

}  // namespace
}  // namespace servesim

namespace servesim {
namespace {

Scenario Disaggregated(const std::vector<std::string>& sets) {
  const char* base = R"(
model: llama-3.1-8b
hardware: {gpu: h100-sxm-80gb, num_gpus: 3}
disaggregation:
  prefill: {num_gpus: 1}
  decode: {gpu: h200-sxm-141gb, num_gpus: 2}
workload:
  arrival: {process: poisson, rate: 10}
  num_requests: 300
  input_tokens: {dist: uniform, min: 500, max: 3000}
  output_tokens: {dist: uniform, min: 2, max: 200}
seed: 2
)";
  return ParseScenario(ApplyOverrides(ConfigNode::LoadString(base, "d.yaml"), sets), std::nullopt);
}

TEST(DisaggregationTest, EveryRequestIsPrefilledMovedAndDecoded) {
  const Scenario s = Disaggregated({});
  const RunResult r = RunScenario(s);
  EXPECT_EQ(r.summary.completed, 300);
  ASSERT_EQ(r.summary.pools.size(), 2u);
  EXPECT_EQ(r.summary.pools[0].role, "prefill");
  EXPECT_EQ(r.summary.pools[1].gpu, "h200-sxm-141gb");
  EXPECT_EQ(r.summary.kv_transfer.count, 300);
  // Bytes moved = prompt tokens x the whole model's KV bytes per token (bf16: 2 x 32 x 8 x 128 x
  // 2).
  double tokens = 0;
  for (const Request& q : r.requests) {
    tokens += static_cast<double>(q.input_tokens);
    EXPECT_GE(q.replica, 1);  // ended on a decode replica (indices 1 and 2)
  }
  EXPECT_NEAR(r.summary.kv_transfer.total_gb, tokens * 131072 / 1e9, 1e-9);
}

TEST(DisaggregationTest, KvTransferTimeIsCharged) {
  const Summary fast = RunScenario(Disaggregated({})).summary;
  const Summary slow =
      RunScenario(Disaggregated({"disaggregation.transfer.bandwidth_gb_s=0.5"})).summary;
  EXPECT_GT(slow.kv_transfer.mean_ms, 20 * fast.kv_transfer.mean_ms);
  EXPECT_GT(slow.kv_transfer.mean_queue_ms, fast.kv_transfer.mean_queue_ms);
  // TTFT is the prefill replica's first token; the transfer delays every later token.
  EXPECT_NEAR(slow.ttft.mean_ms, fast.ttft.mean_ms, 1e-6);
  EXPECT_GT(slow.tpot.mean_ms, fast.tpot.mean_ms);
  EXPECT_GT(slow.e2el.mean_ms, fast.e2el.mean_ms + slow.kv_transfer.mean_ms * 0.5);
}

TEST(DisaggregationTest, BadPoolsAreRejected) {
  const auto error = [](const std::vector<std::string>& sets) {
    try {
      Disaggregated(sets);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error({"hardware.num_gpus=2"}),
            "--set hardware.num_gpus=2: hardware.num_gpus: the pools need 3 GPUs (prefill 1 + "
            "decode 2) but the cluster has 2");
  EXPECT_EQ(error({"parallel.tp=2"}),
            "--set parallel.tp=2: parallel: not used with disaggregation; give tp and pp per pool "
            "(disaggregation.prefill.tp, ...)");
  EXPECT_EQ(
      error({"disaggregation.decode.tp=3", "disaggregation.decode.num_gpus=3"}),
      "--set disaggregation.decode.tp=3: disaggregation.decode.tp: must divide the model's 32 "
      "attention heads, got 3");
  EXPECT_EQ(
      error({"disaggregation.prefil={num_gpus: 1}"}),
      "--set disaggregation.prefil={num_gpus: 1}: disaggregation.prefil: unknown key (did you "
      "mean 'prefill'?)");
  // FP8 needs FP8 tensor cores on every pool's GPU, not only the cluster's default one.
  EXPECT_EQ(error({"engine.precision=fp8", "disaggregation.decode.gpu=a100-sxm-80gb"}),
            "--set disaggregation.decode.gpu=a100-sxm-80gb: disaggregation.decode.gpu: "
            "a100-sxm-80gb has no FP8 tensor cores (its hardware file gives no peak_tflops.fp8) "
            "for engine.precision fp8");
}

}  // namespace
}  // namespace servesim
