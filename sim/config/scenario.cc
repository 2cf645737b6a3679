#include "sim/config/scenario.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "models/topology.h"
#include "sim/config/engine_preset.h"
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
    "moe_imbalance_factor",        "eager_kernel_launch_us",        "fp8_kv_read_speedup"};

const std::vector<std::string> kSchedulers = {"vllm",    "trtllm", "orca",
                                              "sarathi", "static", "sglang"};

std::vector<std::string> EngineKeys() {
  std::vector<std::string> keys = {"preset",
                                   "scheduler",
                                   "max_num_seqs",
                                   "max_batch_size",
                                   "max_running_requests",
                                   "max_num_batched_tokens",
                                   "max_num_tokens",
                                   "chunked_prefill_size",
                                   "enable_chunked_prefill",
                                   "block_size",
                                   "tokens_per_block",
                                   "page_size",
                                   "gpu_memory_utilization",
                                   "kv_cache_free_gpu_mem_fraction",
                                   "mem_fraction_static",
                                   "precision",
                                   "kv_cache_precision",
                                   "max_model_len",
                                   "chunk_size",
                                   "max_prefill_tokens",
                                   "cuda_graphs",
                                   "overlap_scheduling"};
  keys.insert(keys.end(), kCostKeys.begin(), kCostKeys.end());
  return keys;
}

// Reads a key that has names in several engines (vLLM's first); at most one may be given.
int64_t GetAliased(const ConfigNode& engine, const std::vector<const char*>& names, int64_t def,
                   Range range) {
  const char* given = nullptr;
  for (const char* name : names) {
    if (!engine.Has(name)) continue;
    if (given != nullptr) {
      engine.Child(name).Fail(fmt::format("give only one of {}", fmt::join(names, ", ")));
    }
    given = name;
  }
  return given != nullptr ? engine.Child(given).AsInt(range) : def;
}

// The key of `names` the scenario gave, or the first one.
const char* GivenName(const ConfigNode& engine, const std::vector<const char*>& names) {
  for (const char* name : names) {
    if (engine.Has(name)) return name;
  }
  return names.front();
}

const std::vector<const char*> kSeqsKeys = {"max_num_seqs", "max_batch_size",
                                            "max_running_requests"};
const std::vector<const char*> kBudgetKeys = {"max_num_batched_tokens", "max_num_tokens",
                                              "chunked_prefill_size"};
const std::vector<const char*> kBlockKeys = {"block_size", "tokens_per_block", "page_size"};

double GetUs(const ConfigNode& engine, const char* key, double def_s, double max_us) {
  return 1e-6 * engine.GetDouble(key, 1e6 * def_s, Between(0, max_us));
}

StepModelParams ParseCost(const ConfigNode& engine, const StepModelParams& defaults) {
  StepModelParams p = defaults;
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
      GetUs(engine, "kernel_launch_overhead_us", p.kernel_launch_overhead_s, 1e6);
  p.eager_kernel_launch_s = GetUs(engine, "eager_kernel_launch_us", p.eager_kernel_launch_s, 1e6);
  p.host_overhead_per_step_s =
      GetUs(engine, "host_overhead_per_step_us", p.host_overhead_per_step_s, 1e7);
  p.host_overhead_per_seq_s =
      GetUs(engine, "host_overhead_per_seq_us", p.host_overhead_per_seq_s, 1e6);
  p.tp_collective_latency_s =
      GetUs(engine, "tp_collective_latency_us", p.tp_collective_latency_s, 1e6);
  p.moe_imbalance_factor =
      engine.GetDouble("moe_imbalance_factor", p.moe_imbalance_factor, Between(1, 1e3));
  p.fp8_kv_read_speedup =
      engine.GetDouble("fp8_kv_read_speedup", p.fp8_kv_read_speedup, Between(1, 2));
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
  if (scheduler == "sglang") return SchedulerPolicy::kSglang;
  return SchedulerPolicy::kVllm;
}

// orca and static never chunk; sarathi and sglang always do; sarathi's budget is chunk_size.
void ParseChunking(const ConfigNode& engine, const std::string& scheduler, SchedulerConfig* b) {
  if (scheduler != "sarathi" && engine.Has("chunk_size")) {
    engine.Child("chunk_size").Fail("only used by scheduler sarathi (its per-step token budget)");
  }
  if (scheduler == "sarathi") {
    for (const char* key : kBudgetKeys) {
      if (engine.Has(key)) {
        engine.Child(key).Fail("not used by scheduler sarathi; its token budget is chunk_size");
      }
    }
    b->max_num_batched_tokens = engine.GetInt("chunk_size", 512, Between(1, 1e8));
  }
  const bool always = scheduler == "sarathi" || scheduler == "sglang";
  const bool never = scheduler == "orca" || scheduler == "static";
  if ((always || never) && engine.Has("enable_chunked_prefill") &&
      engine.GetBool("enable_chunked_prefill", always) != always) {
    engine.Child("enable_chunked_prefill")
        .Fail(
            fmt::format("scheduler {} {} chunks prompts", scheduler, always ? "always" : "never"));
  }
  if (always || never) b->enable_chunked_prefill = always;
}

void ParseBatching(const ConfigNode& engine, const EngineDefaults& d, EngineConfig* e) {
  SchedulerConfig* b = &e->batching;
  const std::string& scheduler = e->scheduler;
  b->policy = PolicyOf(scheduler);
  b->max_num_seqs = GetAliased(engine, kSeqsKeys, d.max_num_seqs, Between(1, 1e6));
  e->derive_max_num_seqs = d.sglang_max_running_from_kv && scheduler == "sglang" &&
                           !engine.Has("max_num_seqs") && !engine.Has("max_batch_size") &&
                           !engine.Has("max_running_requests");
  b->max_num_batched_tokens =
      GetAliased(engine, kBudgetKeys, d.max_num_batched_tokens, Between(1, 1e8));
  b->enable_chunked_prefill = engine.GetBool("enable_chunked_prefill", d.enable_chunked_prefill);
  b->block_size = GetAliased(engine, kBlockKeys, d.block_size, Between(1, 1 << 20));
  ParseChunking(engine, scheduler, b);
  if (scheduler == "sglang") {
    b->sglang.max_prefill_tokens =
        engine.GetInt("max_prefill_tokens", d.max_prefill_tokens, Between(1, 1e8));
    return;  // decode batches run apart from prefill batches: no shared token budget
  }
  if (engine.Has("max_prefill_tokens")) {
    engine.Child("max_prefill_tokens").Fail("only used by scheduler sglang");
  }
  if (b->max_num_batched_tokens < b->max_num_seqs) {
    // Point at whichever of the two keys the user gave (the token budget if both).
    const char* budget_key = scheduler == "sarathi" ? "chunk_size" : GivenName(engine, kBudgetKeys);
    const char* seqs_key = GivenName(engine, kSeqsKeys);
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

// "scheduler trtllm" without a preset (the messages tests pin), "preset sglang" with one.
std::string SemanticsOwner(const EngineDefaults& d) {
  return d.preset.empty() ? "scheduler " + d.scheduler : "preset " + d.preset;
}

void ParseMemoryKnobs(const ConfigNode& engine, const EngineDefaults& d, EngineConfig* e) {
  struct Knob {
    const char* key;
    MemorySemantics semantics;
    const char* meaning;
  };
  const Knob knobs[] = {
      {"gpu_memory_utilization", MemorySemantics::kVllm, "gpu_memory_utilization"},
      {"kv_cache_free_gpu_mem_fraction", MemorySemantics::kTrtllm,
       "kv_cache_free_gpu_mem_fraction"},
      {"mem_fraction_static", MemorySemantics::kSglang, "mem_fraction_static"}};
  const char* own = "";
  for (const Knob& k : knobs) {
    if (k.semantics == d.memory) own = k.meaning;
  }
  for (const Knob& k : knobs) {
    if (k.semantics == d.memory || !engine.Has(k.key)) continue;
    if (d.preset.empty() && d.memory == MemorySemantics::kTrtllm) {
      engine.Child(k.key).Fail(
          fmt::format("not used by scheduler trtllm; use kv_cache_free_gpu_mem_fraction"));
    }
    if (d.preset.empty() && d.memory == MemorySemantics::kVllm &&
        k.semantics == MemorySemantics::kTrtllm) {
      engine.Child(k.key).Fail("only used by scheduler trtllm; vllm uses gpu_memory_utilization");
    }
    engine.Child(k.key).Fail(
        fmt::format("not used by {}; its KV cache is sized by {}", SemanticsOwner(d), own));
  }
  e->memory = d.memory;
  e->gpu_memory_utilization =
      engine.GetDouble("gpu_memory_utilization", d.gpu_memory_utilization, Fraction());
  e->kv_free_fraction =
      d.memory == MemorySemantics::kTrtllm
          ? engine.GetDouble("kv_cache_free_gpu_mem_fraction", d.kv_free_fraction, Fraction())
          : 0.0;
  if (engine.Has("mem_fraction_static")) {
    e->mem_fraction_static = engine.Child("mem_fraction_static").AsDouble(Fraction());
  }
  e->trt_decoder_buffers = d.trt_decoder_buffers;
}

// engine.cuda_graphs: which steps replay captured CUDA graphs. REQUIRES: batching parsed.
void ParseCudaGraphs(const ConfigNode& engine, const EngineDefaults& d, EngineConfig* e) {
  CudaGraphPolicy& g = e->batching.cuda_graphs;
  const ConfigNode node = engine.Child("cuda_graphs");
  if (node.Defined())
    node.CheckKeys({"enabled", "max_batch_size", "sizes", "padding", "mixed_batches"});
  g.modelled = d.graphs_modelled || node.Defined();
  if (!g.modelled) return;
  const bool enabled = node.GetBool("enabled", node.Defined() || d.graphs_enabled);
  g.padding = node.GetBool("padding", d.graph_padding);
  g.mixed_batches = node.GetBool("mixed_batches", d.graph_mixed_batches);
  if (!enabled) {
    for (const char* key : {"max_batch_size", "sizes", "padding", "mixed_batches"}) {
      if (node.Has(key)) node.Child(key).Fail("not used when cuda_graphs.enabled is false");
    }
    return;  // every step runs eagerly
  }
  const SchedulerConfig& b = e->batching;
  // What a graph is sized by: tokens for piecewise graphs of mixed steps, sequences otherwise.
  const int64_t most = g.mixed_batches ? b.max_num_batched_tokens : b.max_num_seqs;
  if (node.Has("sizes")) {
    const ConfigNode sizes = node.Child("sizes");
    if (node.Has("max_batch_size")) {
      node.Child("max_batch_size").Fail("give either cuda_graphs.sizes or max_batch_size");
    }
    if (!sizes.IsSequence() || sizes.Elements().empty()) {
      sizes.Fail("must be a non-empty list of captured sizes, ascending");
    }
    for (const ConfigNode& n : sizes.Elements()) {
      const int64_t v = n.AsInt(Between(1, 1e6));
      if (!g.sizes.empty() && v <= g.sizes.back()) {
        n.Fail(fmt::format("sizes must be ascending without repeats; {} follows {}", v,
                           g.sizes.back()));
      }
      g.sizes.push_back(v);
    }
    return;
  }
  int64_t max_size = d.graph_max_size;
  if (d.capture_rule == CaptureRule::kVllm && max_size == 0) {
    max_size = std::min<int64_t>(2 * b.max_num_seqs, 512);  // vLLM: min(2 x max_num_seqs, 512)
  }
  if (max_size == 0) max_size = 512;
  if (d.capture_rule == CaptureRule::kSglang && !e->derive_max_num_seqs) {
    max_size = std::min(max_size, b.max_num_seqs);  // capped at max_running_requests
  }
  max_size = node.GetInt("max_batch_size", max_size, Between(1, 1e6));
  g.sizes = CaptureSizes(d.capture_rule, max_size, most);
}

void ParseOverlap(const ConfigNode& engine, const EngineDefaults& d, EngineConfig* e) {
  e->batching.overlap = engine.GetBool("overlap_scheduling", d.overlap);
  if (e->batching.overlap && e->scheduler == "static") {
    engine.Child(engine.Has("overlap_scheduling") ? "overlap_scheduling" : "scheduler")
        .Fail(
            "scheduler static runs request-level batches; overlap_scheduling needs an "
            "iteration-level scheduler");
  }
  e->cost.overlap_host = e->batching.overlap;
}

EngineConfig ParseEngine(const ConfigNode& engine, const ModelSpec& model, const HardwareSpec& hw) {
  if (engine.Defined()) engine.CheckKeys(EngineKeys());
  EngineConfig e;
  std::vector<std::string> presets = EnginePresetNames();
  e.preset = engine.Has("preset") ? engine.Child("preset").AsEnum(presets) : "";
  const std::string implied = PresetScheduler(e.preset);
  e.scheduler = engine.GetEnum("scheduler", implied.empty() ? "vllm" : implied, kSchedulers);
  const EngineDefaults d = DefaultsFor(e.preset, e.scheduler, hw);
  const bool trtllm = e.scheduler == "trtllm";
  ParseBatching(engine, d, &e);
  ParsePrecisions(engine, hw, &e.shape);
  ParseMemoryKnobs(engine, d, &e);
  ParseCudaGraphs(engine, d, &e);
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
  e.cost = ParseCost(engine, d.cost);
  ParseOverlap(engine, d, &e);
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

}  // namespace

void CheckOverlapWithPipeline(const ConfigNode& root, int64_t pp, EngineConfig* e) {
  if (!e->batching.overlap || pp == 1) return;
  // Engines turn overlap off with pipeline stages (vLLM refuses async scheduling with them;
  // SGLang disables its overlap schedule; TensorRT-LLM runs its pipeline loop without it).
  const ConfigNode engine = root.Child("engine");
  if (engine.Has("overlap_scheduling")) {
    engine.Child("overlap_scheduling")
        .Fail(fmt::format("not with pipeline parallelism (pp = {}): engines run pipeline "
                          "stages without host/GPU overlap",
                          pp));
  }
  e->batching.overlap = false;
  e->cost.overlap_host = false;
}

namespace {

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
  const MemoryRequest req =
      EngineMemoryRequest(s->engine, s->hardware, s->engine.shape.tp, s->engine.shape.pp);
  if (s->engine.memory == MemorySemantics::kSglang &&
      (req.static_fraction <= 0 || req.static_fraction > 1)) {
    root.Child("engine").FailDeployment(fmt::format(
        "SGLang's default mem_fraction_static on {} with tp x pp = {} is {:.3f}, which leaves "
        "nothing for weights and KV cache; set engine.mem_fraction_static",
        s->hardware.name, s->engine.shape.tp * s->engine.shape.pp, req.static_fraction));
  }
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
  // Captured sizes stop at max_running_requests, which SGLang then captures itself.
  const int64_t most = s->engine.batching.max_num_seqs;
  if (g.modelled && !g.sizes.empty() && g.sizes.back() > most) {
    while (!g.sizes.empty() && g.sizes.back() > most) g.sizes.pop_back();
    g.sizes.push_back(most);
  }
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

MemoryRequest EngineMemoryRequest(const EngineConfig& e, const HardwareSpec& hw, int64_t tp,
                                  int64_t pp) {
  MemoryRequest req;
  req.shape = e.shape;
  req.shape.tp = tp;
  req.shape.pp = pp;
  req.gpu_memory_utilization = e.gpu_memory_utilization;
  req.kv_free_fraction = e.kv_free_fraction;
  if (e.memory == MemorySemantics::kSglang) {
    req.static_fraction =
        e.mem_fraction_static > 0 ? e.mem_fraction_static : SglangMemFractionStatic(hw, tp, pp);
  }
  using Sampling = MemoryRequest::Sampling;
  req.sampling = e.memory == MemorySemantics::kTrtllm
                     ? (e.trt_decoder_buffers ? Sampling::kTrtDecoder : Sampling::kNone)
                     : Sampling::kAuto;
  req.block_size_tokens = e.batching.block_size;
  req.max_num_batched_tokens = e.batching.max_num_batched_tokens;
  req.max_num_seqs = e.batching.max_num_seqs;
  return req;
}

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
    CheckOverlapWithPipeline(
        root, std::max(s.disaggregation->prefill.pp, s.disaggregation->decode.pp), &s.engine);
    DeriveMaxRunning(std::min(s.disaggregation->prefill.memory.kv_capacity_tokens,
                              s.disaggregation->decode.memory.kv_capacity_tokens),
                     &s);
  } else {
    ParseParallel(root, &s);
    ParseDeployment(root, &s);
    PlanKvCache(root, &s);
    DeriveMaxRunning(s.memory.kv_capacity_tokens, &s);
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
