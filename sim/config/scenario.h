// Scenario: everything one simulation run needs, loaded from a scenario YAML file (plus
// "--set key=value" overrides) and validated in full before anything runs. Key names are an
// interface (docs/config.md); vLLM's names are used where vLLM has one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/hardware_spec.h"
#include "models/memory_model.h"
#include "models/model_spec.h"
#include "models/step_model.h"
#include "sim/config/disaggregation.h"
#include "sim/config/engine_config.h"
#include "sim/serving/autoscaler_config.h"
#include "sim/serving/scheduler.h"
#include "sim/workload/workload.h"

namespace servesim {

// Largest deployments a scenario may describe (hardware.num_gpus, parallel.replicas).
inline constexpr int64_t kMaxGpus = 1'000'000;
inline constexpr int64_t kMaxReplicas = 100'000;

struct SloConfig {
  std::optional<double> ttft_ms;
  std::optional<double> tpot_ms;
};

struct Scenario {
  std::string file;  // as given
  std::string name;  // `name:` or the file stem
  ModelSpec model;
  HardwareSpec hardware;
  int64_t num_gpus = 1;  // all GPUs: replicas x tp x pp
  int64_t pp = 1;        // == engine.shape.pp (kept for readability at call sites)
  int64_t replicas = 1;
  std::string router = "round_robin";
  EngineConfig engine;
  MemoryPlan memory;  // derived: weights, KV blocks
  WorkloadConfig workload;
  SloConfig slo;
  uint64_t seed = 0;
  std::string calibration_path;  // `calibration:` (resolved); empty = roofline only
  // Prefill/decode pools; when set, hardware/parallel above describe no deployment of their own.
  std::optional<DisaggregationConfig> disaggregation;
  // `autoscaler:` (colocated only): replicas/num_gpus above are then its max_replicas, the most
  // it may use.
  std::optional<AutoscalerConfig> autoscaler;
  // `prefix_caching.host_offload_gib` (0: no KV offload); its blocks: engine.batching.
  double host_offload_gib = 0;
};

// Loads, applies overrides, validates. `seed_override` (from --seed) replaces `seed:`.
// Throws InputError with file:line:col, dotted key and rule on any problem.
Scenario LoadScenario(const std::string& path, const std::vector<std::string>& sets,
                      std::optional<uint64_t> seed_override = std::nullopt);

// Rejects a tp/pp the model cannot be split by (errors located at node.tp / node.pp).
void CheckParallelShape(const ConfigNode& node, const ModelSpec& model, int64_t tp, int64_t pp);

// The KV tokens one sequence can use: with pp > 1 a replica's blocks are split evenly over pp
// virtual engines (vLLM) and a request lives on one of them.
int64_t VirtualEngineKvTokens(const MemoryPlan& memory, int64_t pp, int64_t block_size);
// The longest sequence (input + output) the engine can ever serve: VirtualEngineKvTokens, less
// the token SGLang keeps free when it admits a request.
int64_t SequenceKvTokens(const MemoryPlan& memory, int64_t pp, const SchedulerConfig& batching);
// ", of which sglang keeps ..." for messages about that limit ("" for other schedulers).
std::string SglangFreeTokenNote(const EngineConfig& e);
// "the replica's N blocks of B tokens are split over pp = P virtual engines, ..." for messages.
std::string VirtualEngineSplit(const MemoryPlan& memory, int64_t pp, int64_t block_size);

// Same, from an already parsed document (tests, sweeps).
Scenario ParseScenario(const ConfigNode& root, std::optional<uint64_t> seed_override);

}  // namespace servesim
