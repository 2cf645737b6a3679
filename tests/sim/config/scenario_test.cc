#include "sim/config/scenario.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sim/config/input_error.h"
#include "tests/util/error_of.h"

namespace servesim {
namespace {

const char* kBase =
    "model: llama-3.1-8b\n"
    "hardware: {gpu: h100-sxm-80gb}\n"
    "workload: {arrival: {rate: 1}, num_requests: 10, input_tokens: 100, output_tokens: 10}\n";

Scenario Load(const std::vector<std::string>& sets) {
  return ParseScenario(ApplyOverrides(ConfigNode::LoadString(kBase, "s.yaml"), sets), std::nullopt);
}

std::string ErrorOf(const std::vector<std::string>& sets) {
  return test_util::InputErrorOf([&] { Load(sets); });
}

TEST(ScenarioTest, DefaultsFollowVllm) {
  const Scenario s = Load({});
  EXPECT_EQ(s.name, "s");
  EXPECT_EQ(s.engine.scheduler, "vllm");
  EXPECT_EQ(s.engine.batching.max_num_seqs, 256);
  EXPECT_EQ(s.engine.batching.max_num_batched_tokens, 8192);
  EXPECT_TRUE(s.engine.batching.enable_chunked_prefill);
  EXPECT_EQ(s.engine.batching.block_size, 16);
  EXPECT_DOUBLE_EQ(s.engine.gpu_memory_utilization, 0.9);
  EXPECT_EQ(s.engine.max_model_len, 131072);  // llama-3.1-8b's context length
  EXPECT_EQ(s.engine.shape.weight_precision, Precision::kBf16);
  EXPECT_EQ(s.engine.shape.kv_precision, Precision::kBf16);
  EXPECT_EQ(s.engine.batching.num_blocks, s.memory.num_kv_blocks);
  EXPECT_GT(s.memory.num_kv_blocks, 20000);
  EXPECT_EQ(s.seed, 0u);
}

TEST(ScenarioTest, TrtllmDefaultsAndAliases) {
  const Scenario s =
      Load({"engine.scheduler=trtllm", "engine.max_batch_size=64", "engine.max_num_tokens=4096"});
  EXPECT_EQ(s.engine.batching.policy, SchedulerPolicy::kTrtllm);
  EXPECT_EQ(s.engine.batching.max_num_seqs, 64);
  EXPECT_EQ(s.engine.batching.max_num_batched_tokens, 4096);
  EXPECT_FALSE(s.engine.batching.enable_chunked_prefill);
  EXPECT_EQ(s.engine.batching.block_size, 64);
  EXPECT_DOUBLE_EQ(s.engine.kv_free_fraction, 0.9);
}

TEST(ScenarioTest, Fp8DefaultsToAnFp8KvCacheAndCanBeOverridden) {
  EXPECT_EQ(Load({"engine.precision=fp8"}).engine.shape.kv_precision, Precision::kFp8);
  EXPECT_EQ(
      Load({"engine.precision=fp8", "engine.kv_cache_precision=bf16"}).engine.shape.kv_precision,
      Precision::kBf16);
  // Half the KV bytes per token: twice the blocks (less the smaller weights' effect).
  EXPECT_GT(Load({"engine.precision=fp8"}).memory.num_kv_blocks, 2 * Load({}).memory.num_kv_blocks);
}

TEST(ScenarioTest, RejectsBadEngineSettingsWithLocatedMessages) {
  EXPECT_EQ(ErrorOf({"engine.scheduler=vlm"}),
            "--set engine.scheduler=vlm: engine.scheduler: must be one of vllm, trtllm, orca, "
            "sarathi, static, sglang, got 'vlm' (did you mean 'vllm'?)");
  EXPECT_EQ(ErrorOf({"engine.max_num_seqs=512", "engine.max_num_batched_tokens=256"}),
            "--set engine.max_num_batched_tokens=256: engine.max_num_batched_tokens: must be >= "
            "max_num_seqs (512) so every running sequence can decode each step, got 256");
  EXPECT_EQ(ErrorOf({"engine.gpu_memory_utilization=1.5"}),
            "--set engine.gpu_memory_utilization=1.5: engine.gpu_memory_utilization: must be in "
            "(0, 1], got 1.5");
  EXPECT_EQ(ErrorOf({"engine.scheduler=trtllm", "engine.gpu_memory_utilization=0.5"}),
            "--set engine.gpu_memory_utilization=0.5: engine.gpu_memory_utilization: not used by "
            "scheduler trtllm; use kv_cache_free_gpu_mem_fraction");
  EXPECT_EQ(ErrorOf({"engine.max_num_seqs=8", "engine.max_batch_size=8"}),
            "--set engine.max_batch_size=8: engine.max_batch_size: give only one of max_num_seqs, "
            "max_batch_size, max_running_requests");
  EXPECT_EQ(ErrorOf({"engine.enable_chunked_prefill=false"}),
            "--set engine.enable_chunked_prefill=false: engine.enable_chunked_prefill: with "
            "chunked prefill disabled, max_num_batched_tokens (8192) "
            "must be >= max_model_len (131072) so every prompt fits in one step");
}

TEST(ScenarioTest, ErrorsAboutTwoKeysPointAtTheOneTheUserGave) {
  EXPECT_EQ(ErrorOf({"engine.max_num_seqs=10000"}),
            "--set engine.max_num_seqs=10000: engine.max_num_seqs: must be <= "
            "max_num_batched_tokens (8192) so every running sequence can decode each step, got "
            "10000");
  EXPECT_EQ(ErrorOf({"engine.max_model_len=200000"}),
            "--set engine.max_model_len=200000: engine.max_model_len: must be in [2, 131072], got "
            "200000");
  // TensorRT-LLM builds engines past the model's context length (its published Llama 2 runs
  // use 4224-token sequences); vLLM refuses them.
  EXPECT_EQ(Load({"model=llama-2-7b", "engine.scheduler=trtllm", "engine.max_model_len=4224"})
                .engine.max_model_len,
            4224);
  EXPECT_EQ(ErrorOf({"model=llama-2-7b", "engine.max_model_len=4224"}),
            "--set engine.max_model_len=4224: engine.max_model_len: must be in [2, 4096], got "
            "4224");
  EXPECT_EQ(ErrorOf({"engine.enable_chunked_prefill=false", "engine.max_model_len=9000"}),
            "--set engine.max_model_len=9000: engine.max_model_len: with chunked prefill "
            "disabled, max_num_batched_tokens (8192) must be >= max_model_len (9000) so every "
            "prompt fits in one step");
}

TEST(ScenarioTest, RejectsWhatTheHardwareCannotDo) {
  EXPECT_EQ(ErrorOf({"hardware.gpu=a100-sxm-80gb", "engine.precision=fp8"}),
            "--set engine.precision=fp8: engine.precision: a100-sxm-80gb has no FP8 tensor cores "
            "(its hardware file gives no peak_tflops.fp8)");
  const std::string no_fit = ErrorOf({"model=llama-3.1-70b"});
  EXPECT_EQ(no_fit.rfind("--set model=llama-3.1-70b: model: llama-3.1-70b does not fit on "
                         "h100-sxm-80gb: weights need",
                         0),
            0u)
      << no_fit;
  EXPECT_EQ(ErrorOf({"engine.max_model_len=100000", "engine.gpu_memory_utilization=0.3"}),
            "--set engine.max_model_len=100000: engine.max_model_len: 100000 is more than "
            "the KV cache holds (58480 tokens); set it <= 58480 or give the KV cache more memory");
  EXPECT_EQ(
      ErrorOf({"hardware.gpu=l40s-48gb", "engine.gpu_memory_utilization=0.45"}),
      "s.yaml:1:1: engine.max_model_len defaults to the model's context length (131072), "
      "more than the KV cache holds (38816 tokens); set engine.max_model_len <= 38816 or give "
      "the KV cache more memory");
}

// Issue 13: with pp > 1 a replica's KV blocks are split over pp virtual engines and a request
// lives on one of them. This scenario's 14,010-token requests fit the replica's cache but not one
// engine's half: it used to hang (3 requests) or abort on cluster.Idle() (1 request).
TEST(ScenarioTest, MaxModelLenMustFitOnePipelineVirtualEngine) {
  const char* yaml =
      "model: llama-3.1-70b\n"
      "hardware: {gpu: h100-sxm-80gb, num_gpus: 2}\n"
      "parallel: {tp: 1, pp: 2}\n"
      "engine: {max_model_len: 16384}\n"
      "workload: {arrival: {process: poisson, rate: 1}, num_requests: 3, input_tokens: 14000,\n"
      "           output_tokens: 10}\n"
      "seed: 1\n";
  const auto error = [&](const std::vector<std::string>& sets) {
    try {
      ParseScenario(ApplyOverrides(ConfigNode::LoadString(yaml, "pp.yaml"), sets), std::nullopt);
    } catch (const DeploymentError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string e = error({});
  EXPECT_EQ(e.rfind("pp.yaml:4:25: engine.max_model_len: 16384 is more than one pipeline virtual "
                    "engine's KV cache holds (",
                    0),
            0u)
      << e;
  EXPECT_NE(e.find("blocks of 16 tokens are split over pp = 2 virtual engines"), std::string::npos)
      << e;
  EXPECT_NE(e.find("lower parallel.pp, raise parallel.tp or give the KV cache more memory"),
            std::string::npos)
      << e;
  // The capacity it names is what one engine holds, half the replica's blocks.
  const Scenario ok =
      ParseScenario(ApplyOverrides(ConfigNode::LoadString(yaml, "pp.yaml"),
                                   {"engine.max_model_len=2048", "workload.input_tokens=1000"}),
                    std::nullopt);
  const int64_t cap = VirtualEngineKvTokens(ok.memory, 2, 16);
  EXPECT_EQ(cap, ok.memory.num_kv_blocks / 2 * 16);
  EXPECT_LT(cap, 16384);
  EXPECT_GE(ok.memory.kv_capacity_tokens, 14010);  // the replica as a whole would hold it
  EXPECT_NE(e.find(fmt::format("({} tokens:", cap)), std::string::npos) << e;
  EXPECT_EQ(error({fmt::format("engine.max_model_len={}", cap), "workload.input_tokens=1000"}),
            "no error");
  EXPECT_NE(error({fmt::format("engine.max_model_len={}", cap + 1), "workload.input_tokens=1000"})
                .find("is more than one"),
            std::string::npos);
}

TEST(ScenarioTest, DisaggregatedPoolMaxModelLenMustFitOneVirtualEngine) {
  const std::string e =
      ErrorOf({"model=llama-3.1-70b", "disaggregation.prefill.tp=4", "disaggregation.decode.tp=1",
               "disaggregation.decode.pp=2", "engine.max_model_len=16384"});
  EXPECT_NE(e.find(": disaggregation.decode: engine.max_model_len 16384 is more than one "
                   "pipeline virtual engine of this pool holds ("),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("split over pp = 2 virtual engines"), std::string::npos) << e;
}

TEST(ScenarioTest, RejectsUnknownKeysAndNotYetSupportedParallelism) {
  EXPECT_EQ(ErrorOf({"engin.max_num_seqs=4"}),
            "--set engin.max_num_seqs=4: engin: unknown key (did you mean 'engine'?)");
  EXPECT_EQ(ErrorOf({"slo.ttft=5"}),
            "--set slo.ttft=5: slo.ttft: unknown key (did you mean 'ttft_ms'?)");
}

TEST(ScenarioTest, ParallelismAndReplicasAreConsistent) {
  Scenario s = Load({"hardware.num_gpus=8", "parallel.tp=2"});
  EXPECT_EQ(s.replicas, 4);
  EXPECT_EQ(s.engine.shape.tp, 2);
  s = Load({"parallel.replicas=3", "parallel.pp=2"});
  EXPECT_EQ(s.num_gpus, 6);
  EXPECT_EQ(s.router, "round_robin");
  EXPECT_EQ(Load({"router.policy=least_kv_usage", "hardware.num_gpus=2"}).router, "least_kv_usage");
  EXPECT_EQ(ErrorOf({"parallel.tp=3"}),
            "--set parallel.tp=3: parallel.tp: must divide the model's 32 attention heads, got 3");
  EXPECT_EQ(ErrorOf({"parallel.tp=16"}), "no error");  // 8 KV heads replicated twice
  EXPECT_EQ(ErrorOf({"parallel.pp=33"}),
            "--set parallel.pp=33: parallel.pp: must be <= the model's 32 layers, got 33");
  EXPECT_EQ(ErrorOf({"hardware.num_gpus=3", "parallel.tp=2"}),
            "--set hardware.num_gpus=3: hardware.num_gpus: must be a multiple of parallel.tp x "
            "parallel.pp (2), got 3");
  EXPECT_EQ(ErrorOf({"hardware.num_gpus=4", "parallel.replicas=3"}),
            "--set hardware.num_gpus=4: hardware.num_gpus: must equal parallel.replicas x tp x pp "
            "= 3 x 1 = 3, got 4");
  EXPECT_EQ(ErrorOf({"router.policy=jsq"}),
            "--set router.policy=jsq: router.policy: must be one of round_robin, "
            "least_outstanding, least_kv_usage, random, session_affinity, got 'jsq'");
}

TEST(ScenarioTest, AGroupSpanningNodesNeedsANetwork) {
  // A hardware file without an `interconnect:` section is one node of 8 with no network.
  // (A directory per process: the file must be named after its `name`.)
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("servesim_nonet_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "servesim_nonet.yaml").string();
  std::ofstream(path) << "name: servesim_nonet\ndisplay_name: x\nsource: test\nmemory_gib: 80\n"
                         "memory_bandwidth_gb_s: 3350\npeak_tflops: {bf16: 989}\n"
                         "scaleup: {link: NVLink4, bandwidth_gb_s: 900}\n"
                         "host_link: {name: PCIe, bandwidth_gb_s: 128}\ntdp_w: 700\n"
                         "price: {usd_per_gpu_hour: 1, source: test}\n";
  EXPECT_EQ(ErrorOf({"hardware.gpu=" + path, "parallel.tp=16", "hardware.num_gpus=16"}),
            "--set parallel.tp=16: parallel: a replica of tp x pp = 16 GPUs spans 2 nodes of 8 "
            "GPUs, but servesim_nonet has no network between nodes (set "
            "hardware.interconnect.scale_out.bandwidth_gb_s)");
  EXPECT_EQ(ErrorOf({"hardware.gpu=" + path, "parallel.tp=8", "hardware.num_gpus=8"}), "no error");
  std::filesystem::remove_all(dir);
}

TEST(ScenarioTest, SeedOverrideWins) {
  const Scenario s = ParseScenario(
      ApplyOverrides(ConfigNode::LoadString(kBase, "s.yaml"), {"seed=5"}), uint64_t{9});
  EXPECT_EQ(s.seed, 9u);
}

}  // namespace
}  // namespace servesim

namespace servesim {
namespace {

const char* kEagle = "engine.speculative={method: eagle, num_tokens: 3, acceptance_rate: 0.7}";

TEST(ScenarioTest, SpeculativeDecodingIsParsedAndSizesTheKvCache) {
  const Scenario plain = Load({});
  const Scenario s = Load({kEagle});
  EXPECT_TRUE(s.engine.speculative.enabled);
  EXPECT_EQ(s.engine.batching.speculative.num_tokens, 3);
  EXPECT_EQ(s.engine.batching.speculative.acceptance, (std::vector<double>{0.7, 0.7, 0.7}));
  EXPECT_NEAR(s.engine.speculative.ExpectedTokensPerStep(), 1 + 0.7 + 0.49 + 0.343, 1e-12);
  // The EAGLE head's layer and its KV take memory from the cache.
  EXPECT_GT(s.memory.weight_bytes, plain.memory.weight_bytes);
  EXPECT_GT(s.memory.kv_bytes_per_token, plain.memory.kv_bytes_per_token);
  EXPECT_LT(s.memory.num_kv_blocks, plain.memory.num_kv_blocks);
  const Scenario d =
      Load({"engine.speculative={method: draft, num_tokens: 2, "
            "acceptance_rate: [0.8, 0.6], draft_model: llama-3-8b}"});
  ASSERT_TRUE(d.engine.speculative.drafter.has_value());
  EXPECT_EQ(d.engine.speculative.drafter->name, "llama-3-8b");
  EXPECT_EQ(d.engine.batching.speculative.acceptance, (std::vector<double>{0.8, 0.6}));
}

// With engine.speculative in the file, so that errors inside it are located in the file.
std::string SpeculativeErrorOf(const std::vector<std::string>& sets) {
  const std::string text = std::string(kBase) +
                           "engine:\n"
                           "  speculative: {method: eagle, num_tokens: 3, acceptance_rate: 0.7}\n";
  return test_util::InputErrorOf([&] {
    ParseScenario(ApplyOverrides(ConfigNode::LoadString(text, "s.yaml"), sets), std::nullopt);
  });
}

TEST(ScenarioTest, RejectsBadSpeculativeDecodingWithLocatedMessages) {
  EXPECT_EQ(SpeculativeErrorOf({}), "no error");
  EXPECT_EQ(SpeculativeErrorOf({"engine.speculative.method=medusa"}),
            "--set engine.speculative.method=medusa: engine.speculative.method: must be one of "
            "draft, eagle, ngram, got 'medusa'");
  EXPECT_EQ(SpeculativeErrorOf({"engine.speculative.num_tokens=17"}),
            "--set engine.speculative.num_tokens=17: engine.speculative.num_tokens: must be in "
            "[1, 16], got 17");
  EXPECT_EQ(SpeculativeErrorOf({"engine.speculative.acceptance_rate=[0.5,0.5]"}),
            "--set engine.speculative.acceptance_rate=[0.5,0.5]: engine.speculative."
            "acceptance_rate: a list needs one rate per draft position, num_tokens = 3, got 2");
  EXPECT_EQ(SpeculativeErrorOf({"engine.speculative.acceptance_rate=1.5"}),
            "--set engine.speculative.acceptance_rate=1.5: engine.speculative.acceptance_rate: "
            "must be in [0, 1], got 1.5");
  EXPECT_EQ(SpeculativeErrorOf({"engine.speculative.draft_model=llama-3-8b"}),
            "--set engine.speculative.draft_model=llama-3-8b: engine.speculative.draft_model: "
            "only used by method draft (method eagle has no separate draft model)");
  EXPECT_EQ(SpeculativeErrorOf({"engine.speculative.method=draft"}),
            "s.yaml:5:16: engine.speculative.draft_model: missing required key");
  EXPECT_EQ(SpeculativeErrorOf(
                {"engine.speculative.method=draft", "engine.speculative.draft_model=llama-2-7b"}),
            "--set engine.speculative.draft_model=llama-2-7b: engine.speculative.draft_model: the "
            "draft model's vocabulary (32000 tokens) must be the target's (128256 tokens of "
            "'llama-3.1-8b'): the target verifies the draft's token ids");
  EXPECT_EQ(SpeculativeErrorOf({"engine.scheduler=sglang"}),
            "s.yaml:5:25: engine.speculative.method: speculative decoding is modelled for "
            "schedulers vllm, sarathi and trtllm, not sglang");
  EXPECT_EQ(SpeculativeErrorOf({"engine.max_num_seqs=256", "engine.max_num_batched_tokens=512"}),
            "s.yaml:5:44: engine.speculative.num_tokens: max_num_seqs x (num_tokens + 1) = 256 x "
            "4 = 1024 query rows exceed the token budget (512): every running sequence verifies "
            "its drafts in each step; lower num_tokens or max_num_seqs, or raise the budget");
  EXPECT_EQ(SpeculativeErrorOf({"hardware.num_gpus=2", "parallel.pp=2"}),
            "s.yaml:5:25: engine.speculative.method: not with pipeline parallelism (pp = 2): the "
            "proposer would wait for the last stage");
  EXPECT_EQ(SpeculativeErrorOf({"engine.speculative.colour=1"}),
            "--set engine.speculative.colour=1: engine.speculative.colour: unknown key");
}

}  // namespace
}  // namespace servesim
