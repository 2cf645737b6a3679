// Engine presets (`engine.preset`): the defaults a serving engine ships with, as one set of
// default values for the engine keys. A preset names the scheduler policy, the batching limits,
// memory settings, CUDA-graph capture, host/GPU overlap and host costs of one engine release;
// every key the scenario gives explicitly overrides the preset's value. Without a preset the
// defaults depend on `engine.scheduler` alone (the behaviour before presets existed). Each value,
// its source and the engine version it follows: docs/config.md, "Engine presets".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/hardware_spec.h"
#include "models/step_model.h"

namespace servesim {

// How the captured CUDA-graph sizes of an engine are generated up to a largest size.
enum class CaptureRule {
  kVllm,    // vLLM V1: 1, 2, 4, then every multiple of 8
  kTrtllm,  // TensorRT-LLM 1.0 without padding: 1..31, then powers of two
  kSglang,  // SGLang 0.5: 1, 2, 4, 8, then every multiple of 8 from 16
};

// Captured sizes up to `max_size` (inclusive), ascending; none above `max_tokens`.
std::vector<int64_t> CaptureSizes(CaptureRule rule, int64_t max_size, int64_t max_tokens);

// How the KV cache is sized (models/memory_model.h).
enum class MemorySemantics {
  kVllm,    // gpu_memory_utilization x memory - weights - activation reserve
  kTrtllm,  // kv_cache_free_gpu_mem_fraction x (memory - weights - activation reserve)
  kSglang,  // mem_fraction_static x memory - weights - runtime
};

struct EngineDefaults {
  std::string preset;  // "" when none was named
  std::string scheduler = "vllm";
  int64_t max_num_seqs = 256;
  int64_t max_num_batched_tokens = 8192;
  bool enable_chunked_prefill = true;
  int64_t block_size = 16;
  MemorySemantics memory = MemorySemantics::kVllm;
  double gpu_memory_utilization = 0.9;
  double kv_free_fraction = 0.9;
  // TensorRT-LLM's C++ decoder buffers (sampling workspace for max_batch_size slots).
  bool trt_decoder_buffers = false;
  StepModelParams cost;
  // CUDA graphs (`engine.cuda_graphs`); not modelled unless a preset or the scenario says so.
  bool graphs_modelled = false;
  bool graphs_enabled = false;
  CaptureRule capture_rule = CaptureRule::kVllm;
  // Largest captured size; 0: derived (vLLM: min(2 x max_num_seqs, 512); SGLang: by GPU memory,
  // capped at max_num_seqs).
  int64_t graph_max_size = 0;
  bool graph_padding = true;
  bool graph_mixed_batches = false;
  bool overlap = false;
  int64_t max_prefill_tokens = 16384;  // sglang
  // sglang's mem_fraction_static: derived from the GPU memory and tp x pp when not given.
  bool sglang_max_running_from_kv = false;
};

// The names `engine.preset` accepts, in documentation order.
const std::vector<std::string>& EnginePresetNames();

// The defaults of preset `preset` on `hw`, or (preset empty) of `scheduler` alone.
// REQUIRES: preset is empty or one of EnginePresetNames().
EngineDefaults DefaultsFor(const std::string& preset, const std::string& scheduler,
                           const HardwareSpec& hw);

// The scheduler a preset runs ("" for no preset: none implied).
std::string PresetScheduler(const std::string& preset);

// SGLang's mem_fraction_static default (v0.5.2 ServerArgs): what is left after reserving
// (9.5 + tp x pp / 2) GiB, as a fraction of the GPU's memory.
double SglangMemFractionStatic(const HardwareSpec& hw, int64_t tp, int64_t pp);

// SGLang's cuda_graph_max_bs default for a GPU (v0.5.2): 160 up to 90 GiB, 256 up to 160 GiB,
// 512 above; 8 below 35 GiB.
int64_t SglangGraphMaxBatch(const HardwareSpec& hw);

}  // namespace servesim
