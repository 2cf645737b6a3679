// Whole runs of the engine presets in the configurations review found fragile: SGLang and the
// overlapping presets with disaggregated prefill/decode pools (every request completes), the
// inter-token latency of SGLang's separate prefill and decode batches (each gap counted once), and
// SGLang's rule that a sequence must leave a token of the KV cache free.
#include <gtest/gtest.h>

#include <string>

#include "sim/config/scenario.h"
#include "sim/runner.h"
#include "tests/util/error_of.h"

namespace servesim {
namespace {

Scenario Load(const std::string& body) {
  return ParseScenario(
      ConfigNode::LoadString("model: llama-3.1-8b\n" + body + "seed: 5\n", "s.yaml"), std::nullopt);
}

std::string Disaggregated(const std::string& engine) {
  return "hardware: {gpu: h100-sxm-80gb, num_gpus: 2}\n"
         "engine: " +
         engine +
         "\n"
         "disaggregation:\n"
         "  prefill: {gpu: h100-sxm-80gb, num_gpus: 1, tp: 1}\n"
         "  decode: {gpu: h100-sxm-80gb, num_gpus: 1, tp: 1}\n"
         "workload: {arrival: {process: poisson, rate: 20}, num_requests: 120, input_tokens: 1024, "
         "output_tokens: {dist: uniform, min: 2, max: 200}}\n";
}

TEST(PresetRunsTest, DisaggregatedPoolsCompleteEveryRequestUnderEachPreset) {
  for (const std::string engine :
       {"{preset: sglang, page_size: 16}", "{preset: sglang}", "{preset: trtllm-1}",
        "{preset: vllm-v1, overlap_scheduling: true}"}) {
    const RunResult r = RunScenario(Load(Disaggregated(engine)));
    EXPECT_EQ(r.summary.completed, 120) << engine;
    EXPECT_EQ(r.summary.failed, 0) << engine;
    for (const Request& q : r.requests) {
      EXPECT_GE(q.first_token, q.arrival) << engine;
      EXPECT_GE(q.finish, q.first_token) << engine;
    }
  }
}

TEST(PresetRunsTest, SglangInterTokenGapsAreCountedOncePerToken) {
  // Prefill batches pause the running decodes; every gap between two tokens of a request is one
  // inter-token latency sample, so the ITL mean is the token-weighted TPOT.
  const RunResult r = RunScenario(
      Load("hardware: {gpu: h100-sxm-80gb}\nengine: {preset: sglang}\n"
           "workload: {concurrency: 16, num_requests: 64, input_tokens: {dist: uniform, min: 200, "
           "max: 4000}, output_tokens: {dist: uniform, min: 2, max: 300}}\n"));
  ASSERT_EQ(r.summary.completed, 64);
  double decode_ms = 0, gaps = 0;
  for (const Request& q : r.requests) {
    decode_ms += SimTimeToMs(q.finish - q.first_token);
    gaps += static_cast<double>(q.output_tokens - 1);
  }
  EXPECT_NEAR(r.summary.itl.mean_ms, decode_ms / gaps, 1e-6 * decode_ms / gaps);
}

TEST(PresetRunsTest, SglangSequencesLeaveOneTokenOfTheCacheFree) {
  const std::string head =
      "hardware: {gpu: h100-sxm-80gb}\nengine: {preset: sglang, "
      "mem_fraction_static: 0.25, max_model_len: ";
  const std::string tail =
      "}\nworkload: {concurrency: 1, num_requests: 2, input_tokens: 100, "
      "output_tokens: 10}\n";
  const int64_t capacity = Load(head + "1024" + tail).memory.kv_capacity_tokens;
  ASSERT_GT(capacity, 2048);
  ASSERT_LT(capacity, 131072);  // below the model's context length
  EXPECT_EQ(Load(head + std::to_string(capacity - 1) + tail).engine.max_model_len, capacity - 1);
  const std::string error =
      test_util::InputErrorOf([&] { Load(head + std::to_string(capacity) + tail); });
  EXPECT_NE(error.find("engine.max_model_len: " + std::to_string(capacity) +
                       " is more than the KV cache holds (" + std::to_string(capacity - 1) +
                       " tokens for a sequence: sglang admits one only while it leaves a token "
                       "of the cache free)"),
            std::string::npos)
      << error;
}

TEST(PresetRunsTest, SglangRefusesPrefixCaching) {
  const std::string error = test_util::InputErrorOf([] {
    Load(
        "hardware: {gpu: h100-sxm-80gb}\nengine: {preset: sglang}\nprefix_caching: {enabled: "
        "true}\nworkload: {concurrency: 1, num_requests: 2, input_tokens: 100, output_tokens: "
        "10}\n");
  });
  EXPECT_EQ(error,
            "s.yaml:4:27: prefix_caching.enabled: not with scheduler sglang: SGLang's radix cache "
            "(token-granular, LRU) is not modelled; use preset vllm-v1 or trtllm-1 for "
            "prefix-cache studies");
}

}  // namespace
}  // namespace servesim
