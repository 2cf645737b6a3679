#include "sim/config/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "models/topology.h"
#include "sim/config/input_error.h"
#include "sim/config/run_estimate.h"
#include "sim/config/zoo.h"
#include "sim/serving/router.h"

namespace servesim {
namespace {

const std::vector<std::string> kTopKeys = {
    "name",     "description", "model", "hardware",    "engine",         "parallel",      "router",
    "workload", "slo",         "seed",  "calibration", "disaggregation", "prefix_caching"};
const std::vector<std::string> kCostKeys = {
    "gemm_compute_efficiency",     "gemm_memory_efficiency",        "attention_compute_efficiency",
    "attention_memory_efficiency", "elementwise_memory_efficiency", "kernel_launch_overhead_us",
    "host_overhead_per_step_us",   "host_overhead_per_seq_us",      "tp_collective_latency_us",
    "moe_imbalance_factor"};

std::vector<std::string> EngineKeys() {
  std::vector<std::string> keys = {
      "scheduler",      "max_num_seqs",           "max_num_batched_tokens",
      "max_batch_size", "max_num_tokens",         "enable_chunked_prefill",
      "block_size",     "gpu_memory_utilization", "kv_cache_free_gpu_mem_fraction",
      "precision",      "kv_cache_precision",     "max_model_len",
      "chunk_size"};
  keys.insert(keys.end(), kCostKeys.begin(), kCostKeys.end());
  return keys;
}

// Reads a key that has a vLLM name and a TensorRT-LLM name; either may be used, not both.
int64_t GetAliased(const ConfigNode& engine, const char* vllm_key, const char* trt_key, int64_t def,
                   Range range) {
  const bool has_vllm = engine.Has(vllm_key), has_trt = engine.Has(trt_key);
  if (has_vllm && has_trt) {
    engine.Child(trt_key).Fail(fmt::format("give either {} or {}, not both", vllm_key, trt_key));
  }
  if (has_trt) return engine.Child(trt_key).AsInt(range);
  return engine.GetInt(vllm_key, def, range);
}

StepModelParams ParseCost(const ConfigNode& engine) {
  StepModelParams p;  // defaults: models/step_model.h
  p.gemm_compute_efficiency =
      engine.GetDouble("gemm_compute_efficiency", p.gemm_compute_efficiency, Fraction());
  p.gemm_memory_efficiency =
      engine.GetDouble("gemm_memory_efficiency", p.gemm_memory_efficiency, Fraction());
  p.attention_compute_efficiency =
      engine.GetDouble("attention_compute_efficiency", p.attention_compute_efficiency, Fraction());
  p.attention_memory_efficiency =
      engine.GetDouble("attention_memory_efficiency", p.attention_memory_efficiency, Fraction());
  p.elementwise_memory_efficiency = engine.GetDouble("elementwise_memory_efficiency",
                                                     p.elementwise_memory_efficiency, Fraction());
  p.kernel_launch_overhead_s =
      1e-6 * engine.GetDouble("kernel_launch_overhead_us", 1e6 * p.kernel_launch_overhead_s,
                              Between(0, 1e6));
  p.host_overhead_per_step_s =
      1e-6 * engine.GetDouble("host_overhead_per_step_us", 1e6 * p.host_overhead_per_step_s,
                              Between(0, 1e7));
  p.host_overhead_per_seq_s =
      1e-6 * engine.GetDouble("host_overhead_per_seq_us", 1e6 * p.host_overhead_per_seq_s,
                              Between(0, 1e6));
  p.tp_collective_latency_s =
      1e-6 * engine.GetDouble("tp_collective_latency_us", 1e6 * p.tp_collective_latency_s,
                              Between(0, 1e6));
  p.moe_imbalance_factor =
      engine.GetDouble("moe_imbalance_factor", p.moe_imbalance_factor, Between(1, 1e3));
  return p;
}

void ParsePrecisions(const ConfigNode& engine, const HardwareSpec& hw, DeploymentShape* shape) {
  const std::string precision = engine.GetEnum("precision", "bf16", PrecisionNames());
  shape->weight_precision = ParsePrecision(precision);
  // FP8 checkpoints keep activations between kernels in 16 bits.
  shape->activation_precision =
      shape->weight_precision == Precision::kFp16 ? Precision::kFp16 : Precision::kBf16;
  std::vector<std::string> kv_choices = PrecisionNames();
  kv_choices.push_back("auto");
  const std::string kv = engine.GetEnum("kv_cache_precision", "auto", kv_choices);
  shape->kv_precision = kv == "auto" ? shape->weight_precision : ParsePrecision(kv);
  if (shape->weight_precision == Precision::kFp8 && hw.peak_flops_fp8 <= 0) {
    engine.Child("precision")
        .FailDeployment(
            fmt::format("{} has no FP8 tensor cores (its hardware file gives no peak_tflops.fp8)",
                        hw.name),
            /*depends_on_shape=*/false);
  }
}

SchedulerPolicy PolicyOf(const std::string& scheduler) {
  if (scheduler == "trtllm") return SchedulerPolicy::kTrtllm;
  if (scheduler == "orca") return SchedulerPolicy::kOrca;
  if (scheduler == "sarathi") return SchedulerPolicy::kSarathi;
  if (scheduler == "static") return SchedulerPolicy::kStatic;
  return SchedulerPolicy::kVllm;
}

// orca and static never chunk; sarathi always does, with engine.chunk_size as its token budget.
void ParseChunking(const ConfigNode& engine, const std::string& scheduler, SchedulerConfig* b) {
  if (scheduler != "sarathi" && engine.Has("chunk_size")) {
    engine.Child("chunk_size").Fail("only used by scheduler sarathi (its per-step token budget)");
  }
  if (scheduler == "sarathi") {
    for (const char* key : {"max_num_batched_tokens", "max_num_tokens"}) {
      if (engine.Has(key)) {
        engine.Child(key).Fail("not used by scheduler sarathi; its token budget is chunk_size");
      }
    }
    b->max_num_batched_tokens = engine.GetInt("chunk_size", 512, Between(1, 1e8));
  }
  const bool always = scheduler == "sarathi", never = scheduler == "orca" || scheduler == "static";
  if ((always || never) && engine.Has("enable_chunked_prefill") &&
      engine.GetBool("enable_chunked_prefill", always) != always) {
    engine.Child("enable_chunked_prefill")
        .Fail(
            fmt::format("scheduler {} {} chunks prompts", scheduler, always ? "always" : "never"));
  }
  if (always || never) b->enable_chunked_prefill = always;
}

void ParseBatching(const ConfigNode& engine, const std::string& scheduler, SchedulerConfig* b) {
  const bool trtllm = scheduler == "trtllm";
  b->policy = PolicyOf(scheduler);
  // Defaults: vLLM max_num_seqs 256 and V1's 8192-token budget; TensorRT-LLM BuildConfig
  // max_batch_size 2048 and max_num_tokens 8192, tokens_per_block 64, no chunked context.
  b->max_num_seqs =
      GetAliased(engine, "max_num_seqs", "max_batch_size", trtllm ? 2048 : 256, Between(1, 1e6));
  b->max_num_batched_tokens =
      GetAliased(engine, "max_num_batched_tokens", "max_num_tokens", 8192, Between(1, 1e8));
  b->enable_chunked_prefill = engine.GetBool("enable_chunked_prefill", !trtllm);
  b->block_size = engine.GetInt("block_size", trtllm ? 64 : 16, Between(1, 1 << 20));
  ParseChunking(engine, scheduler, b);
  if (b->max_num_batched_tokens < b->max_num_seqs) {
    // Point at whichever of the two keys the user gave (the token budget if both).
    const char* budget_key = scheduler == "sarathi"         ? "chunk_size"
                             : engine.Has("max_num_tokens") ? "max_num_tokens"
                                                            : "max_num_batched_tokens";
    const char* seqs_key = engine.Has("max_batch_size") ? "max_batch_size" : "max_num_seqs";
    if (engine.Has(budget_key)) {
      engine.Child(budget_key)
          .Fail(fmt::format(
              "must be >= {} ({}) so every running sequence can decode each step, got {}", seqs_key,
              b->max_num_seqs, b->max_num_batched_tokens));
    }
    engine.Child(seqs_key).Fail(
        fmt::format("must be <= {} ({}) so every running sequence can decode each step, got {}",
                    budget_key, b->max_num_batched_tokens, b->max_num_seqs));
  }
}

void ParseMemoryKnobs(const ConfigNode& engine, bool trtllm, EngineConfig* e) {
  if (trtllm && engine.Has("gpu_memory_utilization")) {
    engine.Child("gpu_memory_utilization")
        .Fail("not used by scheduler trtllm; use kv_cache_free_gpu_mem_fraction");
  }
  if (!trtllm && engine.Has("kv_cache_free_gpu_mem_fraction")) {
    engine.Child("kv_cache_free_gpu_mem_fraction")
        .Fail("only used by scheduler trtllm; vllm uses gpu_memory_utilization");
  }
  e->gpu_memory_utilization = engine.GetDouble("gpu_memory_utilization", 0.9, Fraction());
  e->kv_free_fraction =
      trtllm ? engine.GetDouble("kv_cache_free_gpu_mem_fraction", 0.9, Fraction()) : 0.0;
}

EngineConfig ParseEngine(const ConfigNode& engine, const ModelSpec& model, const HardwareSpec& hw) {
  if (engine.Defined()) engine.CheckKeys(EngineKeys());
  EngineConfig e;
  e.scheduler =
      engine.GetEnum("scheduler", "vllm", {"vllm", "trtllm", "orca", "sarathi", "static"});
  const bool trtllm = e.scheduler == "trtllm";
  ParseBatching(engine, e.scheduler, &e.batching);
  ParsePrecisions(engine, hw, &e.shape);
  ParseMemoryKnobs(engine, trtllm, &e);
  // vLLM refuses a max_model_len beyond the model's context length. TensorRT-LLM builds the
  // engine for any max_seq_len (its published benchmarks run Llama 2, 4096 positions, with 4224
  // and 5500 tokens per sequence): the cost of serving does not depend on the positions the
  // model was trained for.
  e.max_model_len =
      engine.GetInt("max_model_len", model.max_position_embeddings,
                    Between(2, trtllm ? 1e8 : static_cast<double>(model.max_position_embeddings)));
  // vLLM refuses this configuration at start-up; TensorRT-LLM instead refuses prompts longer than
  // max_num_tokens at arrival (see the runner).
  if (e.scheduler == "vllm" && !e.batching.enable_chunked_prefill &&
      e.batching.max_num_batched_tokens < e.max_model_len) {
    const char* key = engine.Has("max_num_batched_tokens") ? "max_num_batched_tokens"
                      : engine.Has("max_model_len")        ? "max_model_len"
                                                           : "enable_chunked_prefill";
    engine.Child(key).Fail(
        fmt::format("with chunked prefill disabled, max_num_batched_tokens ({}) must be >= "
                    "max_model_len ({}) so every prompt fits in one step",
                    e.batching.max_num_batched_tokens, e.max_model_len));
  }
  e.cost = ParseCost(engine);
  return e;
}

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
  const int64_t cap = VirtualEngineKvTokens(s.memory, s.pp, block_size);
  const int64_t len = s.engine.max_model_len;
  if (len <= cap) return;
  const std::string holder =
      s.pp > 1 ? fmt::format("one pipeline virtual engine's KV cache holds ({} tokens: {})", cap,
                             VirtualEngineSplit(s.memory, s.pp, block_size))
               : fmt::format("the KV cache holds ({} tokens)", cap);
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
  MemoryRequest req;
  req.shape = s->engine.shape;
  req.gpu_memory_utilization = s->engine.gpu_memory_utilization;
  req.kv_free_fraction = s->engine.kv_free_fraction;
  req.block_size_tokens = s->engine.batching.block_size;
  req.max_num_batched_tokens = s->engine.batching.max_num_batched_tokens;
  req.max_num_seqs = s->engine.batching.max_num_seqs;
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

bool ParsePrefixCaching(const ConfigNode& root) {
  const ConfigNode node = root.Child("prefix_caching");
  if (!node.Defined()) return false;
  node.CheckKeys({"enabled"});
  return node.GetBool("enabled", false);
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
  if (root.Has("disaggregation")) {
    if (s.engine.scheduler == "static") {
      root.Child("engine")
          .Child("scheduler")
          .Fail(
              "not with disaggregation: a static batch prefills and decodes its members together");
    }
    s.disaggregation = ParseDisaggregation(root, s);
  } else {
    ParseParallel(root, &s);
    ParseDeployment(root, &s);
    PlanKvCache(root, &s);
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
