// Whole runs with KV offload to host memory: with a working set larger than the GPU's KV cache,
// host hits replace recomputation and shorten TTFT; runs are deterministic; configuration errors
// are located and pinned.
#include <gtest/gtest.h>

#include <filesystem>

#include "sim/config/input_error.h"
#include "sim/runner.h"
#include "tests/util/error_of.h"

namespace servesim {
namespace {

const std::string kExample =
    (std::filesystem::path(SERVESIM_SOURCE_DIR) / "configs/scenarios/kv-offload.yaml").string();

std::string ErrorOf(const std::string& yaml, std::vector<std::string> sets) {
  return test_util::InputErrorOf([&] {
    ParseScenario(ApplyOverrides(ConfigNode::LoadString(yaml, "test.yaml"), sets), std::nullopt);
  });
}

TEST(KvOffloadRunTest, HostHitsReplaceRecomputationAndShortenTtft) {
  const RunResult on = RunScenario(LoadScenario(kExample, {}));
  const RunResult off = RunScenario(LoadScenario(kExample, {"prefix_caching.host_offload_gib=0"}));
  const Summary& s = on.summary;
  ASSERT_TRUE(s.kv_offload.has_value());
  EXPECT_FALSE(off.summary.kv_offload.has_value());
  EXPECT_EQ(s.completed, off.summary.completed);
  EXPECT_LT(s.ttft.mean_ms, 0.5 * off.summary.ttft.mean_ms);
  const Summary::KvOffload& o = *s.kv_offload;
  EXPECT_GT(o.host_hit_tokens, 0);
  EXPECT_EQ(o.gpu_hit_tokens + o.host_hit_tokens, s.prefix_cache_hit_tokens);
  EXPECT_GT(s.prefix_cache_hit_rate, off.summary.prefix_cache_hit_rate + 0.2);
  // 8192 blocks of 16 tokens x 128 KiB (Llama-3.1-8B, bf16) in 16 GiB.
  EXPECT_EQ(o.host_blocks, 8192);
  EXPECT_GE(o.blocks_offloaded, o.blocks_loaded + o.host_evictions);
  EXPECT_LE(o.blocks_offloaded - o.blocks_loaded - o.host_evictions, o.host_blocks);
  // Every loaded block's 2 MiB crossed one direction of the H100's 128 GB/s PCIe Gen5 link
  // (loads after preemptions included, hence >=).
  EXPECT_NEAR(o.load_s, static_cast<double>(o.blocks_loaded) * 16 * 131072 / 64e9, 1e-6);
  EXPECT_GT(o.load_exposed_s, 0);
  EXPECT_LT(o.load_exposed_s, o.load_s);
  const auto j = SummaryToJson(s);
  EXPECT_TRUE(j.contains("kv_offload"));
  EXPECT_FALSE(SummaryToJson(off.summary).contains("kv_offload"));
}

TEST(KvOffloadRunTest, RunsAreDeterministic) {
  const Scenario scenario = LoadScenario(kExample, {"workload.sessions.num_sessions=40"});
  EXPECT_EQ(SummaryToJson(RunScenario(scenario).summary).dump(),
            SummaryToJson(RunScenario(scenario).summary).dump());
}

const char* kBase = R"(
model: llama-3.1-8b
hardware: {gpu: h100-sxm-80gb}
prefix_caching:
  enabled: true
  host_offload_gib: 8
workload: {num_requests: 10, arrival: {rate: 1}, input_tokens: 100, output_tokens: 10}
)";

TEST(KvOffloadRunTest, ConfigErrorsAreLocated) {
  EXPECT_EQ(ErrorOf(kBase, {"prefix_caching.enabled=false"}),
            "test.yaml:6:21: prefix_caching.host_offload_gib: needs prefix_caching.enabled: true: "
            "the host tier holds the prefix cache's evicted blocks");
  EXPECT_EQ(ErrorOf(kBase, {"prefix_caching.host_offload_gib=0.001"}),
            "--set prefix_caching.host_offload_gib=0.001: prefix_caching.host_offload_gib: holds "
            "no KV block: one block takes 0.0020 GiB per GPU, got 0.001");
  EXPECT_EQ(ErrorOf(kBase, {"prefix_caching.host_offload_gib=-1"}),
            "--set prefix_caching.host_offload_gib=-1: prefix_caching.host_offload_gib: must be in "
            "[0, 1000000], got -1");
  EXPECT_EQ(ErrorOf(kBase, {"parallel.pp=2", "hardware.num_gpus=2"}),
            "test.yaml:6:21: prefix_caching.host_offload_gib: not with pipeline parallelism (pp = "
            "2): loads are priced for one stage's step");
  EXPECT_EQ(ErrorOf(kBase, {"prefix_caching.host_offload_gib=0"}), "no error");
}

}  // namespace
}  // namespace servesim
