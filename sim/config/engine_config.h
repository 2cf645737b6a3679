// EngineConfig: the serving engine of a scenario (`engine:`): scheduler and its batching limits,
// precisions, memory semantics, CUDA-graph and overlap behaviour, cost-model parameters. Parsed
// from YAML with an optional preset (engine_preset.h) whose values every explicit key overrides;
// every rule is checked here with located errors (docs/config.md, "engine").
#pragma once

#include <cstdint>
#include <string>

#include "models/hardware_spec.h"
#include "models/memory_model.h"
#include "models/model_spec.h"
#include "models/step_model.h"
#include "sim/config/config_node.h"
#include "sim/config/engine_preset.h"
#include "sim/config/speculative_config.h"
#include "sim/serving/scheduler.h"

namespace servesim {

struct EngineConfig {
  std::string preset;              // engine.preset; "" when none
  std::string scheduler = "vllm";  // vllm | trtllm | orca | sarathi | static | sglang
  SchedulerConfig batching;        // max_num_seqs, token budget, chunking, block size
  DeploymentShape shape;           // precisions, tp
  MemorySemantics memory = MemorySemantics::kVllm;
  double gpu_memory_utilization = 0.9;  // vllm semantics
  double kv_free_fraction = 0;          // trtllm semantics: kv_cache_free_gpu_mem_fraction
  // sglang semantics: mem_fraction_static; 0 = derived from the GPU and tp x pp.
  double mem_fraction_static = 0;
  bool trt_decoder_buffers = false;  // TensorRT-LLM's C++ decoder buffers in the reserve
  // sglang: max_num_seqs (max_running_requests) derived from the KV pool after the memory plan.
  bool derive_max_num_seqs = false;
  bool graph_sizes_given = false;  // engine.cuda_graphs.sizes written (never rewritten)
  int64_t max_model_len = 0;       // longest input + output served
  StepModelParams cost;
  SpeculativeConfig speculative;  // engine.speculative; batching.speculative mirrors it
};

// The memory request of one replica of `tp` x `pp` GPUs of `hw` running engine `e`. Throws a
// DeploymentError located at `at` when SGLang's default mem_fraction_static leaves nothing.
MemoryRequest EngineMemoryRequest(const ConfigNode& at, const EngineConfig& e,
                                  const HardwareSpec& hw, int64_t tp, int64_t pp);

// Parses `engine:` (may be undefined: all defaults) for `model` on `hw`. Throws InputError
// (file:line:col, dotted key, rule) or DeploymentError (e.g. fp8 on a GPU without fp8).
EngineConfig ParseEngine(const ConfigNode& engine, const ModelSpec& model, const HardwareSpec& hw);

// Overlap scheduling with pipeline stages: an explicit engine.overlap_scheduling is an error;
// a preset's overlap is turned off, as the engines do.
void CheckOverlapWithPipeline(const ConfigNode& root, int64_t pp, EngineConfig* e);

}  // namespace servesim
