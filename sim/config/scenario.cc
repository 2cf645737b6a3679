#include "sim/config/scenario.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "models/topology.h"
#include "sim/config/autoscaler_config.h"
#include "sim/config/engine_config.h"
#include "sim/config/input_error.h"
#include "sim/config/run_estimate.h"
#include "sim/config/zoo.h"
#include "sim/serving/router.h"

namespace servesim {
namespace {

const std::vector<std::string> kTopKeys = {
    "name",        "description",    "model",          "hardware",  "engine",
    "parallel",    "router",         "workload",       "slo",       "seed",
    "calibration", "disaggregation", "prefix_caching", "autoscaler"};

}  // namespace

void CheckParallelShape(const ConfigNode& node, const ModelSpec& m, int64_t tp, int64_t pp) {
  const std::string tp_rule = m.TensorParallelViolation(tp);
  if (!tp_rule.empty()) node.Child("tp").Fail(tp_rule);
  if (pp > m.num_layers) {
    node.Child("pp").Fail(
        fmt::format("must be <= the model's {} layers, got {}", m.num_layers, pp));
  }
}

namespace {

// parallel.ep: the routed experts spread over ep GPUs of each stage's tensor-parallel group
// (docs/config.md#parallel); engine.moe_imbalance_factor is checked here, where ep is known.
// REQUIRES: s->engine.shape.tp is set.
void ParseExpertParallel(const ConfigNode& root, Scenario* s) {
  const ModelSpec& m = s->model;
  const ConfigNode parallel = root.Child("parallel");
  const int64_t ep = parallel.GetInt("ep", 1, Between(1, 1024));
  const int64_t tp = s->engine.shape.tp;
  if (ep > 1 && !m.IsMoe()) {
    parallel.Child("ep").Fail(fmt::format("only for MoE models ({} is dense), got {}", m.name, ep));
  }
  if (ep > 1 && m.moe_num_experts % ep != 0) {
    parallel.Child("ep").Fail(
        fmt::format("must divide the model's {} experts, got {}", m.moe_num_experts, ep));
  }
  if (tp % ep != 0) {
    parallel.Child("ep").Fail(fmt::format(
        "must divide parallel.tp ({}): the experts are spread over the GPUs of a tensor-parallel "
        "group, got {}",
        tp, ep));
  }
  s->engine.shape.ep = ep;
  const ConfigNode factor = root.Child("engine").Child("moe_imbalance_factor");
  if (!factor.Defined()) return;
  if (!m.IsMoe()) factor.Fail(fmt::format("only for MoE models ({} is dense)", m.name));
  // The busiest GPU computes at most every token's rows for its experts: top_k or its
  // num_experts / ep experts per token, whichever is fewer, against top_k / ep on average.
  // With ep == 1 the factor has no effect (every GPU computes a slice of every expert).
  const double most = std::min(static_cast<double>(ep), static_cast<double>(m.moe_num_experts) /
                                                            static_cast<double>(m.moe_top_k));
  if (ep > 1 && s->engine.cost.moe_imbalance_factor > most) {
    factor.Fail(fmt::format(
        "must be <= min(parallel.ep, experts / top_k) = {:g} (the busiest GPU cannot get more "
        "than every token's rows for its experts), got {}",
        most, factor.AsString()));
  }
}

void ParseParallel(const ConfigNode& root, Scenario* s) {
  const ConfigNode parallel = root.Child("parallel");
  if (parallel.Defined()) parallel.CheckKeys({"tp", "pp", "ep", "replicas"});
  const int64_t tp = parallel.GetInt("tp", 1, Between(1, 1024));
  const int64_t pp = parallel.GetInt("pp", 1, Between(1, 1024));
  CheckParallelShape(parallel, s->model, tp, pp);
  s->engine.shape.tp = tp;
  s->engine.shape.pp = s->pp = pp;
  CheckOverlapWithPipeline(root, pp, &s->engine);
  ParseExpertParallel(root, s);
}

void ParseHardware(const ConfigNode& root, Scenario* s) {
  const ConfigNode hw = root.Require("hardware");
  hw.CheckKeys({"gpu", "num_gpus", "gpus_per_node", "interconnect"});
  s->hardware = LoadHardware(hw.Require("gpu"));
  ApplyInterconnectOverrides(hw, &s->hardware);
}

// hardware.num_gpus = parallel.replicas x tp x pp; either may be given, or both if consistent.
void ParseDeployment(const ConfigNode& root, Scenario* s) {
  const ConfigNode num_gpus = root.Child("hardware").Child("num_gpus");
  const ConfigNode replicas = root.Child("parallel").Child("replicas");
  const int64_t per_replica = s->engine.shape.tp * s->pp;
  if (replicas.Defined()) {
    s->replicas = replicas.AsInt(Between(1, static_cast<double>(kMaxReplicas)));
    s->num_gpus = s->replicas * per_replica;
    if (num_gpus.Defined() &&
        num_gpus.AsInt(Between(1, static_cast<double>(kMaxGpus))) != s->num_gpus) {
      num_gpus.Fail(fmt::format("must equal parallel.replicas x tp x pp = {} x {} = {}, got {}",
                                s->replicas, per_replica, s->num_gpus, num_gpus.AsInt()));
    }
  } else {
    s->num_gpus = num_gpus.Defined() ? num_gpus.AsInt(Between(1, static_cast<double>(kMaxGpus)))
                                     : per_replica;
    if (s->num_gpus % per_replica != 0) {
      num_gpus.Fail(fmt::format("must be a multiple of parallel.tp x parallel.pp ({}), got {}",
                                per_replica, s->num_gpus));
    }
    s->replicas = s->num_gpus / per_replica;
  }
  const Topology topo = TopologyFor(s->hardware);
  if (topo.NodesFor(per_replica) > 1 && topo.scale_out.bandwidth_bytes_per_s <= 0) {
    root.Child("parallel")
        .Fail(fmt::format("a replica of tp x pp = {} GPUs spans {} nodes of {} GPUs, but {} has no "
                          "network between "
                          "nodes (set hardware.interconnect.scale_out.bandwidth_gb_s)",
                          per_replica, topo.NodesFor(per_replica), topo.gpus_per_node,
                          s->hardware.name));
  }
  const ConfigNode router = root.Child("router");
  if (router.Defined()) router.CheckKeys({"policy"});
  s->router = router.GetEnum("policy", "round_robin", RouterPolicyNames());
}

}  // namespace

int64_t VirtualEngineKvTokens(const MemoryPlan& memory, int64_t pp, int64_t block_size) {
  return memory.num_kv_blocks / pp * block_size;
}

int64_t SequenceKvTokens(const MemoryPlan& memory, int64_t pp, const SchedulerConfig& batching) {
  // SGLang admits a request only while its sequence leaves a token free (PlanSglangPrefill).
  const int64_t strict = batching.policy == SchedulerPolicy::kSglang ? 1 : 0;
  return VirtualEngineKvTokens(memory, pp, batching.block_size) - strict;
}

std::string SglangFreeTokenNote(const EngineConfig& e) {
  return e.batching.policy == SchedulerPolicy::kSglang
             ? " for a sequence: sglang admits one only while it leaves a token of the cache free"
             : "";
}

std::string VirtualEngineSplit(const MemoryPlan& memory, int64_t pp, int64_t block_size) {
  return fmt::format(
      "the replica's {} blocks of {} tokens are split over pp = {} virtual engines, {} blocks "
      "each, as vLLM does, and a request lives on one of them",
      memory.num_kv_blocks, block_size, pp, memory.num_kv_blocks / pp);
}

namespace {

// engine.max_model_len <= what one sequence can hold: the KV cache, or with pp > 1 one virtual
// engine's share of it (a longer request could never be admitted).
void CheckMaxModelLenFits(const ConfigNode& root, const Scenario& s) {
  const int64_t block_size = s.engine.batching.block_size;
  const int64_t cap = SequenceKvTokens(s.memory, s.pp, s.engine.batching);
  const int64_t len = s.engine.max_model_len;
  if (len <= cap) return;
  const std::string holder =
      s.pp > 1
          ? fmt::format("one pipeline virtual engine's KV cache holds ({} tokens: {})", cap,
                        VirtualEngineSplit(s.memory, s.pp, block_size))
          : fmt::format("the KV cache holds ({} tokens{})", cap, SglangFreeTokenNote(s.engine));
  const std::string remedy = s.pp > 1 ? "lower parallel.pp, raise parallel.tp or give the KV "
                                        "cache more memory"
                                      : "give the KV cache more memory";
  const ConfigNode engine = root.Child("engine");
  if (engine.Has("max_model_len")) {
    engine.Child("max_model_len")
        .FailDeployment(
            fmt::format("{} is more than {}; set it <= {} or {}", len, holder, cap, remedy));
  }
  root.FailDeployment(
      fmt::format("engine.max_model_len defaults to the model's context length ({}), more than "
                  "{}; set engine.max_model_len <= {} or {}",
                  len, holder, cap, remedy));
}

void PlanKvCache(const ConfigNode& root, Scenario* s) {
  const MemoryRequest req = EngineMemoryRequest(root.Child("engine"), s->engine, s->hardware,
                                                s->engine.shape.tp, s->engine.shape.pp);
  s->memory = PlanMemory(s->model, s->hardware, req);
  if (!s->memory.fits) {
    root.Child("model").FailDeployment(fmt::format("{} does not fit on {}: {}", s->model.name,
                                                   s->hardware.name, s->memory.reason));
  }
  s->engine.batching.num_blocks = s->memory.num_kv_blocks;
  CheckMaxModelLenFits(root, *s);
}

// A workload whose shortest possible request is refused at arrival (longer than
// engine.max_model_len, or a prompt beyond the token budget without chunked prefill) could
// complete nothing. Trace lengths are not known at load and are checked per request.
void CheckSomeRequestFits(const ConfigNode& root, const Scenario& s) {
  const WorkloadConfig& w = s.workload;
  if (!w.input_tokens || !w.output_tokens) return;
  const ConfigNode input = root.Child("workload").Child("input_tokens");
  // A session's first prompt carries the system prompt on top of its message.
  const int64_t prompt = w.input_tokens->Min() + (w.sessions ? w.shared_prefix_tokens : 0);
  const int64_t output = w.output_tokens->Min();
  const int64_t max_len = s.engine.max_model_len;
  if (prompt + output > max_len) {
    input.Fail(fmt::format(
        "the shortest possible request has input + output = {} + {} = {} tokens, more than "
        "engine.max_model_len ({}): every request would be refused at arrival and none served; "
        "shorten the requests or raise engine.max_model_len",
        prompt, output, prompt + output, max_len));
  }
  const SchedulerConfig& b = s.engine.batching;
  if (!b.enable_chunked_prefill && prompt > b.max_num_batched_tokens) {
    input.Fail(fmt::format(
        "the shortest possible prompt has {} tokens, more than engine.max_num_batched_tokens "
        "({}) with chunked prefill off: every request would be refused at arrival and none "
        "served; shorten the prompts or raise the token budget",
        prompt, b.max_num_batched_tokens));
  }
}

// A run that cannot fit in this machine's memory is refused before it starts, at the key that
// makes it large: the request count (or duration) or the number of GPUs.
void CheckRunFitsInMemory(const ConfigNode& root, const Scenario& s) {
  const std::optional<double> requests = ExpectedRequests(s.workload);
  const int64_t replicas =
      s.disaggregation ? s.disaggregation->prefill.replicas + s.disaggregation->decode.replicas
                       : s.replicas;
  const std::string refusal = MemoryRefusal(requests.value_or(0), replicas);
  if (refusal.empty()) return;
  const ConfigNode w = root.Child("workload");
  const bool by_requests = requests.value_or(0) * kRunBytesPerRequest >=
                           static_cast<double>(replicas) * kRunBytesPerReplica;
  const ConfigNode at =
      by_requests                              ? (w.Has("num_requests") ? w.Child("num_requests")
                                                  : w.Has("duration_s") ? w.Child("duration_s")
                                                                        : w)
      : root.Child("hardware").Has("num_gpus") ? root.Child("hardware").Child("num_gpus")
      : root.Child("parallel").Has("replicas") ? root.Child("parallel").Child("replicas")
                                               : root.Child("hardware");
  at.Fail(fmt::format("{}; lower it", refusal));
}

// SGLang's max_running_requests when not given (v0.5.2 tp_worker.py and model_runner.py):
// min(KV tokens / 2, the request pool), the pool being KV tokens / context length x 512 clamped to
// [2048, 4096].
void DeriveMaxRunning(int64_t kv_tokens, Scenario* s) {
  if (!s->engine.derive_max_num_seqs) return;
  const double kv = static_cast<double>(kv_tokens);
  const double pool =
      std::clamp(kv / static_cast<double>(s->engine.max_model_len) * 512, 2048.0, 4096.0);
  s->engine.batching.max_num_seqs =
      std::max<int64_t>(1, static_cast<int64_t>(std::min(std::floor(kv / 2), pool)));
  CudaGraphPolicy& g = s->engine.batching.cuda_graphs;
  // Captured sizes stop at max_running_requests, which SGLang then captures itself (sizes the
  // scenario wrote stay as written).
  const int64_t most = s->engine.batching.max_num_seqs;
  if (g.modelled && !s->engine.graph_sizes_given && !g.sizes.empty() && g.sizes.back() > most) {
    while (!g.sizes.empty() && g.sizes.back() > most) g.sizes.pop_back();
    g.sizes.push_back(most);
  }
}

bool ParsePrefixCaching(const ConfigNode& root) {
  const ConfigNode node = root.Child("prefix_caching");
  if (!node.Defined()) return false;
  node.CheckKeys({"enabled", "host_offload_gib"});
  const bool enabled = node.GetBool("enabled", false);
  if (node.Has("host_offload_gib") && !enabled) {
    node.Child("host_offload_gib")
        .Fail(
            "needs prefix_caching.enabled: true: the host tier holds the prefix cache's evicted "
            "blocks");
  }
  return enabled;
}

// KV offload (prefix_caching.host_offload_gib, GiB of host memory per GPU): the host tier's
// blocks, each one GPU's share of a block (the GPU's KV bytes per token x block size).
// REQUIRES: the memory plan is made (colocated deployment).
void PlanHostOffload(const ConfigNode& root, Scenario* s) {
  const ConfigNode node = root.Child("prefix_caching").Child("host_offload_gib");
  if (!node.Defined()) return;
  const double gib = node.AsDouble(Between(0, 1e6));
  if (gib == 0) return;  // off
  if (s->pp > 1) {       // a shape without stages can run it: studies skip this shape
    node.FailDeployment(fmt::format(
        "not with pipeline parallelism (pp = {}): loads are priced for one stage's step", s->pp));
  }
  const double block_bytes =
      static_cast<double>(s->engine.batching.block_size) * s->memory.kv_bytes_per_token;
  constexpr double kBytesPerGiB = 1024.0 * 1024.0 * 1024.0;
  const double blocks = std::floor(gib * kBytesPerGiB / block_bytes);
  if (blocks < 1) {
    node.Fail(fmt::format("holds no KV block: one block takes {:.4f} GiB per GPU, got {}",
                          block_bytes / kBytesPerGiB, gib));
  }
  s->engine.batching.host_offload_blocks = static_cast<int64_t>(std::min(blocks, 1e15));
  s->host_offload_gib = gib;
}

SloConfig ParseSlo(const ConfigNode& root) {
  SloConfig slo;
  const ConfigNode node = root.Child("slo");
  if (!node.Defined()) return slo;
  node.CheckKeys({"ttft_ms", "tpot_ms"});
  if (node.Has("ttft_ms")) slo.ttft_ms = node.Child("ttft_ms").AsDouble(Positive());
  if (node.Has("tpot_ms")) slo.tpot_ms = node.Child("tpot_ms").AsDouble(Positive());
  return slo;
}

}  // namespace

Scenario ParseScenario(const ConfigNode& root, std::optional<uint64_t> seed_override) {
  root.CheckKeys(kTopKeys);
  Scenario s;
  s.file = root.Source().file;
  s.name = root.GetString("name", std::filesystem::path(s.file).stem().string());
  s.model = LoadModel(root.Require("model"));
  ParseHardware(root, &s);
  s.engine = ParseEngine(root.Child("engine"), s.model, s.hardware);
  s.engine.batching.prefix_caching = ParsePrefixCaching(root);
  if (s.engine.batching.prefix_caching && s.engine.scheduler == "sglang") {
    root.Child("prefix_caching")
        .Child("enabled")
        .Fail(
            "not with scheduler sglang: SGLang's radix cache (token-granular, LRU) is not "
            "modelled; use preset vllm-v1 or trtllm-1 for prefix-cache studies");
  }
  if (root.Has("disaggregation")) {
    if (root.Child("prefix_caching").Has("host_offload_gib")) {
      root.Child("prefix_caching")
          .Child("host_offload_gib")
          .Fail(
              "not with disaggregation: KV offload is modelled for colocated replicas; the "
              "prefill pool's cache is not shared with the decode pool's");
    }
    if (s.engine.speculative.enabled) {
      root.Child("engine")
          .Child("speculative")
          .Child("method")
          .Fail(
              "not with disaggregation: the decode pool's proposer would need the prompt's draft "
              "KV "
              "(or hidden states), which is not modelled");
    }
    if (s.engine.scheduler == "static") {
      root.Child("engine")
          .Child("scheduler")
          .Fail(
              "not with disaggregation: a static batch prefills and decodes its members together");
    }
    s.disaggregation = ParseDisaggregation(root, s);
    CheckOverlapWithPipeline(
        root, std::max(s.disaggregation->prefill.pp, s.disaggregation->decode.pp), &s.engine);
    DeriveMaxRunning(std::min(s.disaggregation->prefill.memory.kv_capacity_tokens,
                              s.disaggregation->decode.memory.kv_capacity_tokens),
                     &s);
  } else {
    ParseParallel(root, &s);
    ParseDeployment(root, &s);
    PlanKvCache(root, &s);
    PlanHostOffload(root, &s);
    DeriveMaxRunning(s.memory.kv_capacity_tokens, &s);
    const EngineConfig& e = s.engine;
    CheckSpeculative(root.Child("engine").Child("speculative"), e.speculative, e.scheduler,
                     e.batching.max_num_seqs, e.batching.max_num_batched_tokens, e.shape.tp,
                     e.shape.pp);
  }
  s.autoscaler = ParseAutoscaler(root, s);
  if (s.autoscaler) {  // the pool holds max_replicas replicas; the autoscaler picks who serves
    s.replicas = s.autoscaler->max_replicas;
    s.num_gpus = s.replicas * s.engine.shape.tp * s.pp;
  }
  s.workload = ParseWorkload(root.Require("workload"));
  CheckSomeRequestFits(root, s);
  s.slo = ParseSlo(root);
  if (root.Has("calibration")) {
    const ConfigNode cal = root.Child("calibration");
    if (!s.model.gated_mlp) {
      cal.Fail(fmt::format("profiles price gated (SwiGLU) MLPs only; model '{}' has a plain MLP",
                           s.model.name));
    }
    s.calibration_path = ResolvePath(cal, cal.AsString());
    std::error_code ec;
    if (!std::filesystem::is_regular_file(s.calibration_path, ec)) {
      cal.Fail(fmt::format("cannot open calibration profile '{}'", s.calibration_path));
    }
  }
  s.seed = seed_override ? *seed_override
                         : static_cast<uint64_t>(root.GetInt("seed", 0, Between(0, 9.0e15)));
  CheckRunFitsInMemory(root, s);
  return s;
}

Scenario LoadScenario(const std::string& path, const std::vector<std::string>& sets,
                      std::optional<uint64_t> seed_override) {
  const ConfigNode doc = ConfigNode::LoadFile(path);
  return ParseScenario(ApplyOverrides(doc, sets), seed_override);
}

}  // namespace servesim
