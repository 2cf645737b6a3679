// Engine presets. Every value below is documented with its source in docs/config.md ("Engine
// presets"); the source lines were read from the engines' repositories at the versions named.
#include "sim/config/engine_preset.h"

#include <algorithm>
#include <cmath>

#include "sim/core/check.h"

namespace servesim {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// vLLM V1 (v0.10.x-v0.11.0), `vllm serve` (UsageContext.OPENAI_API_SERVER):
// engine/arg_utils.py _set_default_args: on a GPU with >= 70 GiB that is not an A100,
// max_num_batched_tokens 8192 and max_num_seqs 1024; otherwise 2048 and 256. Chunked prefill on,
// block_size 16 (platforms/cuda.py), gpu_memory_utilization 0.9 (config/cache.py). CUDA graphs:
// piecewise compilation, capture sizes [1, 2, 4] + multiples of 8 up to
// min(2 x max_num_seqs, 512) (config/vllm.py), padded (compilation.py bs_to_padded_graph_size),
// mixed prefill/decode steps included (attention runs between the graph pieces). Async scheduling
// off (config/scheduler.py async_scheduling = False).
EngineDefaults VllmV1(const HardwareSpec& hw) {
  EngineDefaults d;
  d.scheduler = "vllm";
  const bool large = hw.memory_bytes >= 70 * kGiB && hw.name.find("a100") == std::string::npos;
  d.max_num_seqs = large ? 1024 : 256;
  d.max_num_batched_tokens = large ? 8192 : 2048;
  d.enable_chunked_prefill = true;
  d.block_size = 16;
  d.memory = MemorySemantics::kVllm;
  d.gpu_memory_utilization = 0.9;
  d.graphs_modelled = d.graphs_enabled = true;
  d.capture_rule = CaptureRule::kVllm;
  d.graph_padding = true;
  d.graph_mixed_batches = true;
  d.overlap = false;
  // An fp8 KV cache doubles capacity but does not make decode attention faster in vLLM of this
  // period: vllm-project/vllm#21716 (FlashInfer fp8 kernels, concurrency 128: 2837 vs 3074 tok/s
  // with an fp8 vs bf16 cache), vllm-project/vllm#42058 (fp8 cache: decode +0.4..5.5%).
  d.cost.fp8_kv_read_speedup = 1.0;
  return d;
}

// TensorRT-LLM 1.0, PyTorch backend as trtllm-serve starts it: BuildConfig max_batch_size 2048
// and max_num_tokens 8192 (builder.py), enable_chunked_prefill False (llmapi/llm_args.py),
// tokens_per_block 32 (PluginConfig), KvCacheConfig.free_gpu_memory_fraction 0.9, capacity policy
// GUARANTEED_NO_EVICT, overlap scheduler on (disable_overlap_scheduler False), CUDA graphs on for
// generation-only batches: CudaGraphConfig max_batch_size 0 -> 128, enable_padding False, sizes
// 1..31, 32, 64, 128 (_generate_cuda_graph_batch_sizes); batches with a context request run
// eagerly.
EngineDefaults Trtllm1() {
  EngineDefaults d;
  d.scheduler = "trtllm";
  d.max_num_seqs = 2048;
  d.max_num_batched_tokens = 8192;
  d.enable_chunked_prefill = false;
  d.block_size = 32;
  d.memory = MemorySemantics::kTrtllm;
  d.kv_free_fraction = 0.9;
  d.trt_decoder_buffers = false;  // TorchSampler: logits per step, no preallocated decoder
  d.graphs_modelled = d.graphs_enabled = true;
  d.capture_rule = CaptureRule::kTrtllm;
  d.graph_max_size = 128;
  d.graph_padding = false;
  d.graph_mixed_batches = false;
  d.overlap = true;
  // XQA decode attention with an fp8 cache: ~40 us vs ~60 us per kernel with fp16 at batch 64
  // on an H100 (NVIDIA/TensorRT-LLM#2372).
  d.cost.fp8_kv_read_speedup = 1.5;
  return d;
}

// SGLang v0.5.2 ServerArgs (python/sglang/srt/server_args.py): chunked_prefill_size 2048 below
// 35 GiB, 8192 below 160 GiB, 16384 above; max_prefill_tokens 16384; page_size 1;
// schedule_policy fcfs; mixed chunking off (prefill and decode batches alternate); overlap
// schedule on; CUDA graphs for decode batches up to cuda_graph_max_bs (SglangGraphMaxBatch),
// padded; max_running_requests from the KV pool (model_runner.py / tp_worker.py, derived after
// the memory plan); mem_fraction_static from SglangMemFractionStatic.
EngineDefaults Sglang(const HardwareSpec& hw) {
  EngineDefaults d;
  d.scheduler = "sglang";
  d.max_num_seqs = 4096;  // replaced by the KV-derived value unless given
  d.sglang_max_running_from_kv = true;
  const double gib = hw.memory_bytes / kGiB;
  d.max_num_batched_tokens = gib < 35 ? 2048 : gib < 160 ? 8192 : 16384;
  d.max_prefill_tokens = 16384;
  d.enable_chunked_prefill = true;
  d.block_size = 1;
  d.memory = MemorySemantics::kSglang;
  d.graphs_modelled = d.graphs_enabled = true;
  d.capture_rule = CaptureRule::kSglang;
  d.graph_max_size = SglangGraphMaxBatch(hw);
  d.graph_padding = true;
  d.graph_mixed_batches = false;
  d.overlap = true;
  // fp8 KV cache quantised by separate kernels per layer and step: decode no faster, slower at
  // small batches than with a bf16 cache on Hopper (sgl-project/sglang#30815, #2087).
  d.cost.fp8_kv_read_speedup = 1.0;
  return d;
}

// TensorRT-LLM v0.12-v0.13 C++ executor as trtllm-bench ran it (the preset `servesim validate`
// used for the published v0.13/v0.14 tables before presets existed; docs/validation.md, "The
// trtllm-0.13 preset"): in-flight batching with GUARANTEED_NO_EVICT, chunked context, blocks of
// 64, no CUDA graphs (launches not modelled: 5 us per kernel), collectives absorbing launch skew
// (30 us), a synchronous host iteration of ~1 ms, GEMMs at 60% of the dense peak.
EngineDefaults Trtllm013() {
  EngineDefaults d;
  d.scheduler = "trtllm";
  d.max_num_seqs = 2048;
  d.max_num_batched_tokens = 8192;
  d.enable_chunked_prefill = true;
  d.block_size = 64;
  d.memory = MemorySemantics::kTrtllm;
  d.kv_free_fraction = 0.9;
  d.trt_decoder_buffers = true;
  // Written as the scenario loader converts microseconds, so that the published-table runs are
  // bit-identical to those made with these values as explicit keys.
  d.cost.kernel_launch_overhead_s = 1e-6 * 5.0;
  d.cost.tp_collective_latency_s = 1e-6 * 30.0;
  d.cost.host_overhead_per_step_s = 1e-6 * 1000.0;
  d.cost.gemm_compute_efficiency = 0.60;
  return d;
}

// Kernel costs shared by the presets of today's engines (PyTorch-based, CUDA graphs), derived
// from whole steps of a Llama-3.1-8B measured on an H200 in CUDA graphs
// (shared/calibration/h200/whole_step_llama-3.1-8b_bf16.csv; the H200 is the H100's die with
// faster memory), never from the validation tables. docs/cost_model.md, "Kernel costs of the
// engine presets", shows the fit row by row.
// - kernel_launch_overhead_us 4: the fixed cost per kernel of our op list inside a graph. With it
//   the decode steps at B = 1..64, KV 1024 are within 3% (2 us leaves them 4-13% fast).
// - gemm_compute_efficiency 0.65: the prefills of 512-8192 tokens are within 4% (0.70 leaves them
//   9-10% fast); the bare 8192^3 GEMM of the same file reaches 72% of the dense peak.
// - attention_memory_efficiency 0.85: the decode steps dominated by KV reads (B x KV = 32 x 4096,
//   64 x 4096, 16 x 16384) are within 1-6% with the contiguous-cache SDPA of the measurement
//   reaching ~0.90; 0.85 allows for the engines' paged caches (block tables, partial blocks).
// - eager_kernel_launch_us 25: host time per kernel launched outside a graph. SGLang measured a
//   Llama-3-8B decode step at batch 1 eager at 8.2-9.3 ms vs 7.1-7.4 ms in graphs
//   (sgl-project/sglang#1401): ~25-28 us per kernel of our ~330-kernel step when launch-bound.
void SetKernelCosts(EngineDefaults* d) {
  d->cost.kernel_launch_overhead_s = 1e-6 * 4.0;
  d->cost.gemm_compute_efficiency = 0.65;
  d->cost.attention_memory_efficiency = 0.85;
  d->cost.eager_kernel_launch_s = 1e-6 * 25.0;
}

// No preset: the defaults of the scheduler policy alone (as before presets existed): launches
// not modelled and no overlap, whatever the scheduler (sglang keeps its batching and memory
// defaults).
EngineDefaults ForScheduler(const std::string& scheduler, const HardwareSpec& hw) {
  if (scheduler == "sglang") {
    EngineDefaults d = Sglang(hw);
    d.graphs_modelled = d.graphs_enabled = false;
    d.overlap = false;
    return d;
  }
  EngineDefaults d;
  d.scheduler = scheduler;
  if (scheduler == "trtllm") {
    d.max_num_seqs = 2048;
    d.enable_chunked_prefill = false;
    d.block_size = 64;
    d.memory = MemorySemantics::kTrtllm;
    d.trt_decoder_buffers = true;
  }
  return d;
}

}  // namespace

std::vector<int64_t> CaptureSizes(CaptureRule rule, int64_t max_size, int64_t max_tokens) {
  std::vector<int64_t> sizes;
  auto add = [&](int64_t n) {
    if (n <= max_size && n <= max_tokens) sizes.push_back(n);
  };
  switch (rule) {
    case CaptureRule::kVllm:
      for (int64_t n : {1, 2, 4}) add(n);
      for (int64_t n = 8; n <= max_size; n += 8) add(n);
      break;
    case CaptureRule::kTrtllm:
      for (int64_t n = 1; n < 32; ++n) add(n);
      for (int64_t n = 32; n <= max_size; n *= 2) add(n);
      break;
    case CaptureRule::kSglang:
      for (int64_t n : {1, 2, 4, 8}) add(n);
      for (int64_t n = 16; n <= std::min<int64_t>(max_size, 256); n += 8) add(n);
      for (int64_t n = 272; n <= max_size; n += 16) add(n);
      break;
  }
  // The largest size itself is always captured (TensorRT-LLM and SGLang append it).
  if (rule != CaptureRule::kVllm && max_size <= max_tokens &&
      (sizes.empty() || sizes.back() < max_size)) {
    sizes.push_back(max_size);
  }
  return sizes;
}

const std::vector<std::string>& EnginePresetNames() {
  static const std::vector<std::string> names = {"vllm-v1", "trtllm-1", "sglang", "trtllm-0.13"};
  return names;
}

std::string PresetScheduler(const std::string& preset) {
  if (preset == "vllm-v1") return "vllm";
  if (preset == "trtllm-1" || preset == "trtllm-0.13") return "trtllm";
  if (preset == "sglang") return "sglang";
  return "";
}

EngineDefaults DefaultsFor(const std::string& preset, const std::string& scheduler,
                           const HardwareSpec& hw) {
  EngineDefaults d;
  if (preset.empty()) {
    d = ForScheduler(scheduler, hw);
  } else if (preset == "vllm-v1") {
    d = VllmV1(hw);
    SetKernelCosts(&d);
  } else if (preset == "trtllm-1") {
    d = Trtllm1();
    SetKernelCosts(&d);
  } else if (preset == "sglang") {
    d = Sglang(hw);
    SetKernelCosts(&d);
  } else {
    SERVESIM_CHECK(preset == "trtllm-0.13");
    d = Trtllm013();
  }
  d.preset = preset;
  d.scheduler = scheduler;
  return d;
}

double SglangMemFractionStatic(const HardwareSpec& hw, int64_t tp, int64_t pp) {
  const double reserved = (9.5 + static_cast<double>(tp * pp) / 2) * kGiB;
  return std::round((hw.memory_bytes - reserved) / hw.memory_bytes * 1000) / 1000;
}

int64_t SglangGraphMaxBatch(const HardwareSpec& hw) {
  const double gib = hw.memory_bytes / kGiB;
  if (gib < 35) return 8;
  if (gib <= 90) return 160;
  if (gib <= 160) return 256;
  return 512;
}

}  // namespace servesim
