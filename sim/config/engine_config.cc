// Engine configuration: the `engine:` section (with its preset) turned into an EngineConfig, and
// the memory request of a replica running it. The presets' values live in engine_preset.cc.
#include "sim/config/engine_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "sim/config/input_error.h"

namespace servesim {
namespace {

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
                                   "overlap_scheduling",
                                   "speculative"};
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
  // vLLM caps a defaulted max_num_seqs at max_num_batched_tokens, so that every running sequence
  // can decode each step (vllm/engine/arg_utils.py, _set_default_args); a limit the user gave,
  // and TensorRT-LLM's max_batch_size, are checked below instead.
  const bool seqs_given = engine.Has("max_num_seqs") || engine.Has("max_batch_size") ||
                          engine.Has("max_running_requests");
  if (!d.preset.empty() && !seqs_given && scheduler == "vllm") {
    b->max_num_seqs = std::min(b->max_num_seqs, b->max_num_batched_tokens);
  }
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
  };
  const Knob knobs[] = {{"gpu_memory_utilization", MemorySemantics::kVllm},
                        {"kv_cache_free_gpu_mem_fraction", MemorySemantics::kTrtllm},
                        {"mem_fraction_static", MemorySemantics::kSglang}};
  const char* own = "";  // the key that sizes this engine's KV cache
  for (const Knob& k : knobs) {
    if (k.semantics == d.memory) own = k.key;
  }
  for (const Knob& k : knobs) {
    if (k.semantics == d.memory || !engine.Has(k.key)) continue;
    if (d.preset.empty() && d.memory == MemorySemantics::kTrtllm) {
      engine.Child(k.key).Fail("not used by scheduler trtllm; use kv_cache_free_gpu_mem_fraction");
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

// engine.cuda_graphs.sizes, given explicitly: ascending, and no larger than a step can be (a
// larger graph would only ever be replayed by padding).
std::vector<int64_t> ParseGraphSizes(const ConfigNode& node, int64_t most, const char* what) {
  const ConfigNode sizes = node.Child("sizes");
  if (node.Has("max_batch_size")) {
    node.Child("max_batch_size").Fail("give either cuda_graphs.sizes or max_batch_size");
  }
  if (!sizes.IsSequence() || sizes.Elements().empty()) {
    sizes.Fail("must be a non-empty list of captured sizes, ascending");
  }
  std::vector<int64_t> out;
  for (const ConfigNode& n : sizes.Elements()) {
    const int64_t v = n.AsInt(Between(1, 1e6));
    if (!out.empty() && v <= out.back()) {
      n.Fail(fmt::format("sizes must be ascending without repeats; {} follows {}", v, out.back()));
    }
    if (v > most) {
      n.Fail(fmt::format("must be <= {} ({}): no step is larger, got {}", what, most, v));
    }
    out.push_back(v);
  }
  return out;
}

// The preset's captured sizes up to its largest (or cuda_graphs.max_batch_size).
std::vector<int64_t> DefaultGraphSizes(const ConfigNode& node, const EngineDefaults& d,
                                       const EngineConfig& e, int64_t most) {
  const SchedulerConfig& b = e.batching;
  int64_t max_size = d.graph_max_size;
  if (d.capture_rule == CaptureRule::kVllm && max_size == 0) {
    max_size = std::min<int64_t>(2 * b.max_num_seqs, 512);  // vLLM: min(2 x max_num_seqs, 512)
  }
  if (max_size == 0) max_size = 512;
  if (d.capture_rule == CaptureRule::kSglang && !e.derive_max_num_seqs) {
    max_size = std::min(max_size, b.max_num_seqs);  // capped at max_running_requests
  }
  max_size = node.GetInt("max_batch_size", max_size, Between(1, 1e6));
  return CaptureSizes(d.capture_rule, max_size, most);
}

// engine.cuda_graphs: which steps replay captured CUDA graphs. REQUIRES: batching parsed.
void ParseCudaGraphs(const ConfigNode& engine, const EngineDefaults& d, EngineConfig* e) {
  CudaGraphPolicy& g = e->batching.cuda_graphs;
  const ConfigNode node = engine.Child("cuda_graphs");
  if (node.Defined()) {
    node.CheckKeys({"enabled", "max_batch_size", "sizes", "padding", "mixed_batches"});
  }
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
  // What a graph is sized by: tokens for piecewise graphs of mixed steps, sequences otherwise.
  const SchedulerConfig& b = e->batching;
  const int64_t most = g.mixed_batches ? b.max_num_batched_tokens : b.max_num_seqs;
  const char* what = g.mixed_batches ? "the token budget" : "max_num_seqs";
  e->graph_sizes_given = node.Has("sizes");
  g.sizes = e->graph_sizes_given ? ParseGraphSizes(node, most, what)
                                 : DefaultGraphSizes(node, d, *e, most);
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

}  // namespace

EngineConfig ParseEngine(const ConfigNode& engine, const ModelSpec& model, const HardwareSpec& hw) {
  if (engine.Defined()) engine.CheckKeys(EngineKeys());
  EngineConfig e;
  std::vector<std::string> presets = EnginePresetNames();
  e.preset = engine.Has("preset") ? engine.Child("preset").AsEnum(presets) : "";
  const std::string implied = PresetScheduler(e.preset);
  e.scheduler = engine.GetEnum("scheduler", implied.empty() ? "vllm" : implied, kSchedulers);
  if (!implied.empty() && e.scheduler != implied) {
    engine.Child("scheduler")
        .Fail(fmt::format("preset {} runs scheduler {}; give either the preset (and its "
                          "scheduler) or a scheduler without a preset, got {}",
                          e.preset, implied, e.scheduler));
  }
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
  e.speculative = ParseSpeculative(engine.Child("speculative"), model);
  if (e.speculative.enabled) {
    e.batching.speculative.num_tokens = e.speculative.num_tokens;
    e.batching.speculative.acceptance = e.speculative.acceptance;
  }
  return e;
}

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

MemoryRequest EngineMemoryRequest(const ConfigNode& at, const EngineConfig& e,
                                  const HardwareSpec& hw, int64_t tp, int64_t pp) {
  MemoryRequest req;
  req.shape = e.shape;
  req.shape.tp = tp;
  req.shape.pp = pp;
  req.gpu_memory_utilization = e.gpu_memory_utilization;
  req.kv_free_fraction = e.kv_free_fraction;
  if (e.memory == MemorySemantics::kSglang) {
    req.static_fraction =
        e.mem_fraction_static > 0 ? e.mem_fraction_static : SglangMemFractionStatic(hw, tp, pp);
    if (req.static_fraction <= 0) {
      at.FailDeployment(fmt::format(
          "SGLang's default mem_fraction_static on {} with tp x pp = {} is {:.3f}, which leaves "
          "nothing for weights and KV cache; set engine.mem_fraction_static",
          hw.name, tp * pp, req.static_fraction));
    }
  }
  using Sampling = MemoryRequest::Sampling;
  req.sampling = e.memory == MemorySemantics::kTrtllm
                     ? (e.trt_decoder_buffers ? Sampling::kTrtDecoder : Sampling::kNone)
                     : Sampling::kAuto;
  req.block_size_tokens = e.batching.block_size;
  req.max_num_batched_tokens = e.batching.max_num_batched_tokens;
  req.max_num_seqs = e.batching.max_num_seqs;
  if (e.speculative.drafter) {
    const DrafterFootprint f = DrafterMemory(*e.speculative.drafter, req.shape,
                                             e.speculative.draft_method == DraftMethod::kEagle);
    req.drafter_weight_bytes = f.weight_bytes;
    req.drafter_kv_bytes_per_token = f.kv_bytes_per_token;
  }
  return req;
}

}  // namespace servesim
