// Prefill/decode disaggregation (`disaggregation:`): two pools of replicas, one that only runs
// prefills and one that only decodes, each with its own GPU type, count and parallelism. A
// finished prefill's KV cache moves to a decode replica over the network between the pools.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "models/hardware_spec.h"
#include "models/memory_model.h"
#include "sim/config/config_node.h"

namespace servesim {

struct Scenario;
struct EngineConfig;

struct PoolSpec {
  std::string role;  // "prefill" or "decode"
  HardwareSpec hardware;
  int64_t num_gpus = 1;
  int64_t replicas = 1;
  int64_t tp = 1;
  int64_t pp = 1;
  MemoryPlan memory;
};

struct DisaggregationConfig {
  PoolSpec prefill;
  PoolSpec decode;
  // The KV transfer link: per GPU, per direction; a replica sends or receives over all its GPUs'
  // links at once. One transfer at a time per replica link (FIFO), so transfers contend.
  double transfer_bandwidth_bytes_per_s = 0;
  double transfer_latency_s = 0;
  double kv_bytes_per_token = 0;  // all layers and KV heads of the model: what one token moves
};

// Parses `disaggregation:` against the scenario's model, hardware and engine (already parsed).
// Throws InputError (located) for bad pools, pools larger than the cluster, or models that do
// not fit a pool.
DisaggregationConfig ParseDisaggregation(const ConfigNode& root, const Scenario& scenario);

}  // namespace servesim
