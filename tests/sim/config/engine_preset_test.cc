// Engine presets (engine.preset): each preset's defaults as documented in docs/config.md,
// explicit keys overriding them, the captured CUDA-graph sizes, and the located errors of the
// keys that presets and engines bring.
#include "sim/config/engine_preset.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/config/scenario.h"
#include "sim/config/zoo.h"
#include "tests/util/error_of.h"

namespace servesim {
namespace {

std::string Doc(const std::string& engine, const std::string& gpu = "h100-sxm-80gb",
                const std::string& parallel = "{tp: 1}") {
  return "model: llama-3.1-8b\n"
         "hardware: {gpu: " +
         gpu +
         "}\n"
         "parallel: " +
         parallel +
         "\n"
         "engine: " +
         engine +
         "\n"
         "workload: {concurrency: 4, num_requests: 8, input_tokens: 100, output_tokens: 10}\n";
}

Scenario Load(const std::string& engine, const std::string& gpu = "h100-sxm-80gb",
              const std::string& parallel = "{tp: 1}") {
  return ParseScenario(ConfigNode::LoadString(Doc(engine, gpu, parallel), "s.yaml"), std::nullopt);
}

std::string ErrorOf(const std::string& engine, const std::string& parallel = "{tp: 1}") {
  return test_util::InputErrorOf([&] { Load(engine, "h100-sxm-80gb", parallel); });
}

TEST(CaptureSizesTest, FollowEachEnginesRule) {
  EXPECT_EQ(CaptureSizes(CaptureRule::kVllm, 32, 8192),
            (std::vector<int64_t>{1, 2, 4, 8, 16, 24, 32}));
  EXPECT_EQ(CaptureSizes(CaptureRule::kVllm, 512, 8192).size(), 67u);  // vLLM's 67 sizes
  EXPECT_EQ(CaptureSizes(CaptureRule::kVllm, 512, 100).back(), 96);    // none above the budget
  std::vector<int64_t> trt;
  for (int64_t n = 1; n <= 32; ++n) trt.push_back(n);
  trt.push_back(64);
  trt.push_back(128);
  EXPECT_EQ(CaptureSizes(CaptureRule::kTrtllm, 128, 8192), trt);
  EXPECT_EQ(CaptureSizes(CaptureRule::kTrtllm, 100, 8192).back(), 100);  // the max is captured
  const std::vector<int64_t> sg = CaptureSizes(CaptureRule::kSglang, 160, 8192);
  EXPECT_EQ(std::vector<int64_t>(sg.begin(), sg.begin() + 6),
            (std::vector<int64_t>{1, 2, 4, 8, 16, 24}));
  EXPECT_EQ(sg.back(), 160);
  EXPECT_EQ(sg.size(), 23u);  // [1, 2, 4, 8] + range(16, 161, 8)
  EXPECT_EQ(CaptureSizes(CaptureRule::kSglang, 512, 1 << 20).back(), 512);
}

TEST(EnginePresetTest, VllmV1FollowsVllmServeOnTheGpu) {
  const Scenario h100 = Load("{preset: vllm-v1}");
  EXPECT_EQ(h100.engine.scheduler, "vllm");
  EXPECT_EQ(h100.engine.batching.max_num_seqs, 1024);
  EXPECT_EQ(h100.engine.batching.max_num_batched_tokens, 8192);
  EXPECT_EQ(h100.engine.batching.block_size, 16);
  EXPECT_TRUE(h100.engine.batching.enable_chunked_prefill);
  EXPECT_FALSE(h100.engine.batching.overlap);
  const CudaGraphPolicy& g = h100.engine.batching.cuda_graphs;
  EXPECT_TRUE(g.modelled && g.padding && g.mixed_batches);
  EXPECT_EQ(g.sizes.back(), 512);  // min(2 x 1024, 512)
  EXPECT_DOUBLE_EQ(h100.engine.cost.kernel_launch_overhead_s, 4e-6);
  EXPECT_DOUBLE_EQ(h100.engine.cost.fp8_kv_read_speedup, 1.0);
  // An A100 (and any GPU under 70 GiB) gets vLLM's smaller defaults.
  const Scenario a100 = Load("{preset: vllm-v1}", "a100-sxm-80gb");
  EXPECT_EQ(a100.engine.batching.max_num_seqs, 256);
  EXPECT_EQ(a100.engine.batching.max_num_batched_tokens, 2048);
  // max_num_seqs bounds the captured sizes: min(2 x 4, 512) = 8.
  EXPECT_EQ(Load("{preset: vllm-v1, max_num_seqs: 4}").engine.batching.cuda_graphs.sizes,
            (std::vector<int64_t>{1, 2, 4, 8}));
}

TEST(EnginePresetTest, Trtllm1FollowsTrtllmServe) {
  const Scenario s = Load("{preset: trtllm-1}");
  EXPECT_EQ(s.engine.batching.policy, SchedulerPolicy::kTrtllm);
  EXPECT_EQ(s.engine.batching.max_num_seqs, 2048);
  EXPECT_EQ(s.engine.batching.max_num_batched_tokens, 8192);
  EXPECT_FALSE(s.engine.batching.enable_chunked_prefill);
  EXPECT_EQ(s.engine.batching.block_size, 32);
  EXPECT_DOUBLE_EQ(s.engine.kv_free_fraction, 0.9);
  EXPECT_FALSE(s.engine.trt_decoder_buffers);
  EXPECT_TRUE(s.engine.batching.overlap);
  EXPECT_TRUE(s.engine.cost.overlap_host);
  const CudaGraphPolicy& g = s.engine.batching.cuda_graphs;
  EXPECT_FALSE(g.padding);
  EXPECT_FALSE(g.mixed_batches);
  EXPECT_EQ(g.sizes.back(), 128);
}

TEST(EnginePresetTest, SglangDerivesItsLimitsFromTheGpuAndTheKvPool) {
  const Scenario s = Load("{preset: sglang}");
  EXPECT_EQ(s.engine.batching.policy, SchedulerPolicy::kSglang);
  EXPECT_EQ(s.engine.batching.block_size, 1);  // page_size 1
  EXPECT_EQ(s.engine.batching.max_num_batched_tokens, 8192);
  EXPECT_EQ(s.engine.batching.sglang.max_prefill_tokens, 16384);
  EXPECT_TRUE(s.engine.batching.overlap);
  // max_running_requests: min(KV tokens / 2, clamp(KV tokens / context x 512, 2048, 4096)).
  EXPECT_EQ(s.engine.batching.max_num_seqs,
            std::min<int64_t>(s.memory.kv_capacity_tokens / 2, 2048));
  EXPECT_EQ(s.engine.batching.cuda_graphs.sizes.back(), 160);
  // mem_fraction_static: (80 - 9.5 - 0.5) / 80 GiB = 0.875 at tp 1 on an H100.
  EXPECT_DOUBLE_EQ(SglangMemFractionStatic(LoadHardwareFile(std::string(SERVESIM_SOURCE_DIR) +
                                                            "/configs/hardware/h100-sxm-80gb.yaml"),
                                           1, 1),
                   0.875);
  const Scenario given = Load("{preset: sglang, max_running_requests: 64}");
  EXPECT_EQ(given.engine.batching.max_num_seqs, 64);
  EXPECT_EQ(given.engine.batching.cuda_graphs.sizes.back(), 64);  // capped at max_running
}

TEST(EnginePresetTest, Trtllm013MatchesThePublishedTablePreset) {
  const Scenario s = Load("{preset: trtllm-0.13}");
  EXPECT_EQ(s.engine.scheduler, "trtllm");
  EXPECT_TRUE(s.engine.batching.enable_chunked_prefill);
  EXPECT_EQ(s.engine.batching.block_size, 64);
  EXPECT_TRUE(s.engine.trt_decoder_buffers);
  EXPECT_FALSE(s.engine.batching.cuda_graphs.modelled);
  EXPECT_DOUBLE_EQ(s.engine.cost.gemm_compute_efficiency, 0.60);
  EXPECT_DOUBLE_EQ(s.engine.cost.host_overhead_per_step_s, 1e-6 * 1000.0);
}

TEST(EnginePresetTest, ExplicitKeysOverrideThePreset) {
  const Scenario s = Load(
      "{preset: trtllm-1, max_batch_size: 64, enable_chunked_prefill: true, overlap_scheduling: "
      "false, kernel_launch_overhead_us: 3, cuda_graphs: {sizes: [1, 8, 64], padding: true}}");
  EXPECT_EQ(s.engine.batching.max_num_seqs, 64);
  EXPECT_TRUE(s.engine.batching.enable_chunked_prefill);
  EXPECT_FALSE(s.engine.batching.overlap);
  EXPECT_FALSE(s.engine.cost.overlap_host);
  EXPECT_DOUBLE_EQ(s.engine.cost.kernel_launch_overhead_s, 3e-6);
  EXPECT_EQ(s.engine.batching.cuda_graphs.sizes, (std::vector<int64_t>{1, 8, 64}));
  EXPECT_TRUE(s.engine.batching.cuda_graphs.padding);
  // The preset's own scheduler may be named; another one is refused (its defaults would not be
  // the preset's engine).
  EXPECT_EQ(Load("{preset: vllm-v1, scheduler: vllm}").engine.batching.policy,
            SchedulerPolicy::kVllm);
  EXPECT_EQ(ErrorOf("{preset: vllm-v1, scheduler: sarathi}"),
            "s.yaml:4:38: engine.scheduler: preset vllm-v1 runs scheduler vllm; give either the "
            "preset (and its scheduler) or a scheduler without a preset, got sarathi");
  // Without a preset nothing about launches is modelled, as before presets existed.
  EXPECT_FALSE(Load("{scheduler: vllm}").engine.batching.cuda_graphs.modelled);
  EXPECT_TRUE(Load("{cuda_graphs: {max_batch_size: 16}}").engine.batching.cuda_graphs.modelled);
  EXPECT_TRUE(Load("{cuda_graphs: {enabled: false}}").engine.batching.cuda_graphs.sizes.empty());
}

TEST(EnginePresetTest, ASmallTokenBudgetCapsThePresetsSequenceLimit) {
  // vLLM caps max_num_seqs at max_num_batched_tokens: every running sequence decodes each step.
  EXPECT_EQ(Load("{preset: vllm-v1, max_num_batched_tokens: 512}").engine.batching.max_num_seqs,
            512);
  EXPECT_EQ(Load("{preset: vllm-v1}").engine.batching.max_num_seqs, 1024);
  // A limit the scenario gives is its own (and then the token budget check applies as written).
  EXPECT_EQ(Load("{preset: vllm-v1, max_num_batched_tokens: 512, max_num_seqs: 256}")
                .engine.batching.max_num_seqs,
            256);
}

TEST(EnginePresetTest, CapturedSizesStopAtTheLargestStep) {
  EXPECT_EQ(ErrorOf("{preset: trtllm-1, max_batch_size: 64, cuda_graphs: {sizes: [1, 8, 128]}}"),
            "s.yaml:4:76: engine.cuda_graphs.sizes[2]: must be <= max_num_seqs (64): no step is "
            "larger, got 128");
  // Explicit sizes are kept as written, never cut to the sequence limit.
  EXPECT_EQ(Load("{preset: sglang, max_running_requests: 64, cuda_graphs: {sizes: [1, 8, 64]}}")
                .engine.batching.cuda_graphs.sizes,
            (std::vector<int64_t>{1, 8, 64}));
}

TEST(EnginePresetTest, PipelineStagesTurnAPresetsOverlapOff) {
  const Scenario s = Load("{preset: trtllm-1}", "h100-sxm-80gb", "{pp: 2}");
  EXPECT_FALSE(s.engine.batching.overlap);
  EXPECT_FALSE(s.engine.cost.overlap_host);
  EXPECT_EQ(ErrorOf("{preset: trtllm-1, overlap_scheduling: true}", "{pp: 2}"),
            "s.yaml:4:48: engine.overlap_scheduling: not with pipeline parallelism (pp = 2): "
            "engines run pipeline stages without host/GPU overlap");
}

TEST(EnginePresetTest, ErrorsNameTheKeyAndTheRule) {
  EXPECT_EQ(ErrorOf("{preset: vllm-v2}"),
            "s.yaml:4:18: engine.preset: must be one of vllm-v1, trtllm-1, sglang, trtllm-0.13, "
            "got 'vllm-v2' (did you mean 'vllm-v1'?)");
  EXPECT_EQ(ErrorOf("{preset: sglang, gpu_memory_utilization: 0.8}"),
            "s.yaml:4:50: engine.gpu_memory_utilization: not used by preset sglang; its KV cache "
            "is sized by mem_fraction_static");
  EXPECT_EQ(ErrorOf("{preset: vllm-v1, mem_fraction_static: 0.8}"),
            "s.yaml:4:48: engine.mem_fraction_static: not used by preset vllm-v1; its KV cache is "
            "sized by gpu_memory_utilization");
  EXPECT_EQ(ErrorOf("{preset: vllm-v1, max_prefill_tokens: 4096}"),
            "s.yaml:4:47: engine.max_prefill_tokens: only used by scheduler sglang");
  EXPECT_EQ(ErrorOf("{preset: sglang, enable_chunked_prefill: false}"),
            "s.yaml:4:50: engine.enable_chunked_prefill: scheduler sglang always chunks prompts");
  EXPECT_EQ(ErrorOf("{cuda_graphs: {sizes: [1, 8, 4]}}"),
            "s.yaml:4:38: engine.cuda_graphs.sizes[2]: sizes must be ascending without repeats; 4 "
            "follows 8");
  EXPECT_EQ(ErrorOf("{cuda_graphs: {enabled: false, padding: true}}"),
            "s.yaml:4:49: engine.cuda_graphs.padding: not used when cuda_graphs.enabled is false");
  EXPECT_EQ(ErrorOf("{scheduler: static, overlap_scheduling: true}"),
            "s.yaml:4:49: engine.overlap_scheduling: scheduler static runs request-level batches; "
            "overlap_scheduling needs an iteration-level scheduler");
  EXPECT_EQ(ErrorOf("{fp8_kv_read_speedup: 3}"),
            "s.yaml:4:31: engine.fp8_kv_read_speedup: must be in [1, 2], got 3");
}

}  // namespace
}  // namespace servesim
