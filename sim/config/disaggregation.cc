#include "sim/config/disaggregation.h"

#include <fmt/format.h>

#include <algorithm>

#include "models/topology.h"
#include "sim/config/scenario.h"
#include "sim/config/zoo.h"

namespace servesim {
namespace {

PoolSpec ParsePool(const ConfigNode& node, const std::string& role, const Scenario& s) {
  node.Defined() ? node.CheckKeys({"gpu", "num_gpus", "tp", "pp"})
                 : node.Fail("missing required key (a pool: gpu, num_gpus, tp, pp)");
  PoolSpec pool;
  pool.role = role;
  pool.hardware = node.Has("gpu") ? LoadHardware(node.Child("gpu")) : s.hardware;
  if (s.engine.shape.weight_precision == Precision::kFp8 && pool.hardware.peak_flops_fp8 <= 0) {
    (node.Has("gpu") ? node.Child("gpu") : node)
        .FailDeployment(fmt::format("{} has no FP8 tensor cores (its hardware file gives no "
                                    "peak_tflops.fp8) for engine.precision fp8",
                                    pool.hardware.name),
                        /*depends_on_shape=*/false);
  }
  pool.tp = node.GetInt("tp", 1, Between(1, 1024));
  pool.pp = node.GetInt("pp", 1, Between(1, 1024));
  CheckParallelShape(node, s.model, pool.tp, pool.pp);
  pool.num_gpus = node.GetInt("num_gpus", pool.tp * pool.pp, Between(1, 1e6));
  if (pool.num_gpus % (pool.tp * pool.pp) != 0) {
    node.Child("num_gpus")
        .Fail(fmt::format("must be a multiple of tp x pp ({}), got {}", pool.tp * pool.pp,
                          pool.num_gpus));
  }
  pool.replicas = pool.num_gpus / (pool.tp * pool.pp);
  const Topology topo = TopologyFor(pool.hardware);
  if (topo.NodesFor(pool.tp * pool.pp) > 1 && topo.scale_out.bandwidth_bytes_per_s <= 0) {
    node.Fail(fmt::format("a replica of {} GPUs spans nodes but {} has no network between nodes",
                          pool.tp * pool.pp, pool.hardware.name));
  }
  return pool;
}

void PlanPool(const ConfigNode& node, const Scenario& s, PoolSpec* pool) {
  const MemoryRequest req = EngineMemoryRequest(node, s.engine, pool->hardware, pool->tp, pool->pp);
  pool->memory = PlanMemory(s.model, pool->hardware, req);
  if (!pool->memory.fits) {
    node.FailDeployment(fmt::format("{} does not fit on {} with tp {} and pp {}: {}", s.model.name,
                                    pool->hardware.name, pool->tp, pool->pp, pool->memory.reason));
  }
  const int64_t block_size = s.engine.batching.block_size;
  const int64_t cap = SequenceKvTokens(pool->memory, pool->pp, s.engine.batching);
  if (s.engine.max_model_len > cap) {
    if (pool->pp > 1) {
      node.FailDeployment(fmt::format(
          "engine.max_model_len {} is more than one pipeline virtual engine of this pool holds "
          "({} tokens: {}); lower it, lower pp or give the pool more memory",
          s.engine.max_model_len, cap, VirtualEngineSplit(pool->memory, pool->pp, block_size)));
    }
    node.FailDeployment(
        fmt::format("engine.max_model_len {} is more than this pool's KV cache holds ({} "
                    "tokens{}); lower it or give the pool more memory",
                    s.engine.max_model_len, cap, SglangFreeTokenNote(s.engine)));
  }
}

void ParseTransfer(const ConfigNode& node, DisaggregationConfig* d) {
  if (node.Defined()) node.CheckKeys({"bandwidth_gb_s", "latency_us"});
  // Default: the slower of the two pools' network links per GPU.
  const Topology p = TopologyFor(d->prefill.hardware), q = TopologyFor(d->decode.hardware);
  double bw = std::min(p.scale_out.bandwidth_bytes_per_s, q.scale_out.bandwidth_bytes_per_s);
  double latency = std::max(p.scale_out.latency_s, q.scale_out.latency_s);
  bw = 1e9 * node.GetDouble("bandwidth_gb_s", bw / 1e9, Positive());
  latency = 1e-6 * node.GetDouble("latency_us", latency * 1e6, NonNegative());
  if (bw <= 0) {
    node.Fail("the pools' hardware has no network between nodes; set bandwidth_gb_s");
  }
  d->transfer_bandwidth_bytes_per_s = bw;
  d->transfer_latency_s = latency;
}

}  // namespace

DisaggregationConfig ParseDisaggregation(const ConfigNode& root, const Scenario& s) {
  const ConfigNode node = root.Child("disaggregation");
  node.CheckKeys({"prefill", "decode", "transfer"});
  if (root.Has("parallel")) {
    root.Child("parallel")
        .Fail(
            "not used with disaggregation; give tp and pp per pool (disaggregation.prefill.tp, "
            "...)");
  }
  DisaggregationConfig d;
  d.prefill = ParsePool(node.Child("prefill"), "prefill", s);
  d.decode = ParsePool(node.Child("decode"), "decode", s);
  PlanPool(node.Child("prefill"), s, &d.prefill);
  PlanPool(node.Child("decode"), s, &d.decode);
  const ConfigNode cluster = root.Child("hardware").Child("num_gpus");
  const int64_t needed = d.prefill.num_gpus + d.decode.num_gpus;
  if (cluster.Defined() && cluster.AsInt() < needed) {
    cluster.Fail(
        fmt::format("the pools need {} GPUs (prefill {} + decode {}) but the cluster has "
                    "{}",
                    needed, d.prefill.num_gpus, d.decode.num_gpus, cluster.AsInt()));
  }
  ParseTransfer(node.Child("transfer"), &d);
  const ModelSpec& m = s.model;
  d.kv_bytes_per_token = 2.0 * static_cast<double>(m.num_layers * m.num_kv_heads * m.head_dim) *
                         BytesPerElement(s.engine.shape.kv_precision);
  return d;
}

}  // namespace servesim
