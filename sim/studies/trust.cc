#include "sim/studies/trust.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace servesim {
namespace {

constexpr const char* kMaxThroughput = "trtllm_v0.13_h100_max_throughput";
constexpr const char* kOnline = "trtllm_v0.14_h100_online";
constexpr const char* kSweeps = "aic_silicon_h100_llama31";
constexpr const char* kValidatedGpu = "h100-sxm-80gb";

// The engine a scenario runs, as the validation names it: its preset, or without one its
// scheduler, where a bare trtllm scheduler counts as the published tables' trtllm-0.13 engine
// (the preset only writes its costs out).
std::string EngineOf(const Scenario& s) {
  if (!s.engine.preset.empty()) return s.engine.preset;
  return s.engine.scheduler == "trtllm" ? "trtllm-0.13" : s.engine.scheduler;
}

// What each validated engine was measured on.
struct Territory {
  std::string engine;
  std::vector<std::string> models;
  std::vector<std::string> precisions;  // weight precisions; empty: any
  std::vector<int64_t> tps;
  std::string what;  // for the reasons
};

const std::vector<Territory>& Territories() {
  static const std::vector<Territory> t = {
      {"trtllm-0.13",
       {"llama-2-7b", "llama-2-70b", "llama-3-8b", "llama-3-70b", "llama-3.1-8b", "llama-3.1-70b",
        "mixtral-8x7b"},
       {},
       {1, 2, 4, 8},
       "the published TensorRT-LLM v0.13/v0.14 tables"},
      {"trtllm-1",
       {"llama-3.1-8b"},
       {"bf16", "fp16"},
       {1, 2, 4, 8},
       "TensorRT-LLM 1.0 concurrency sweeps of llama-3.1-8b in bf16"},
      {"vllm-v1",
       {"llama-3.1-70b"},
       {"fp8"},
       {2, 4, 8},
       "vLLM concurrency sweeps of llama-3.1-70b in fp8"},
  };
  return t;
}

std::string TableGroup(int64_t tp, const std::string& precision) {
  return fmt::format("tp={} precision={}", tp, precision);
}

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The reasons `s` at `tp` lies outside `t` (none: inside).
std::vector<std::string> OutsideOf(const Scenario& s, const Territory& t) {
  std::vector<std::string> reasons;
  const std::string precision = PrecisionName(s.engine.shape.weight_precision);
  if (!Contains(t.models, s.model.name)) {
    reasons.push_back(fmt::format("model {}: not in {}", s.model.name, t.what));
  }
  if (!t.precisions.empty() && !Contains(t.precisions, precision)) {
    reasons.push_back(fmt::format("precision {}: not in {}", precision, t.what));
  }
  const int64_t tp = s.engine.shape.tp;
  if (!Contains(t.tps, tp)) {
    std::vector<std::string> tps;
    for (int64_t x : t.tps) tps.push_back(std::to_string(x));
    reasons.push_back(fmt::format("tp {}: {} measured tp {}", tp, t.what, fmt::join(tps, ", ")));
  }
  return reasons;
}

// The bands of `s` inside territory `engine`.
std::vector<ErrorBand> BandsOf(const Scenario& s, const std::string& engine) {
  std::vector<ErrorBand> out;
  const int64_t tp = s.engine.shape.tp;
  const bool fp8 = s.engine.shape.weight_precision == Precision::kFp8;
  if (engine == "trtllm-0.13") {
    // 16-bit deployments match the fp16 rows of the maximum-throughput table and the bf16 rows of
    // the online one; fp8 only the former.
    const bool online_model = s.model.name == "llama-3.1-8b" || s.model.name == "llama-3.1-70b";
    for (const ErrorBand& b : ValidatedBands()) {
      if (b.table == std::string(kOnline) && !online_model) continue;
      const std::string want = b.table == std::string(kMaxThroughput)
                                   ? TableGroup(tp, fp8 ? "fp8" : "fp16")
                                   : TableGroup(tp, fp8 ? "fp8" : "bf16");
      if (b.group == want) out.push_back(b);
    }
    return out;
  }
  const std::string backend = engine == "vllm-v1" ? "vllm" : "trtllm";
  const std::string want = fmt::format("backend={} model={} tp={}", backend, s.model.name, tp);
  for (const ErrorBand& b : ValidatedBands()) {
    if (b.table == std::string(kSweeps) && b.group == want) out.push_back(b);
  }
  return out;
}

}  // namespace

const std::vector<ErrorBand>& ValidatedBands() {
  // docs/validation.md, "Results" (the generated summary block): per tp and precision for the
  // published tables, per backend, model and tp for the concurrency sweeps.
  static const std::vector<ErrorBand> bands = {
      {kMaxThroughput, "output_throughput", "tp=1 precision=fp8", 42, 0.101, 0.189},
      {kMaxThroughput, "output_throughput", "tp=1 precision=fp16", 25, 0.083, 0.119},
      {kMaxThroughput, "output_throughput", "tp=2 precision=fp8", 33, 0.039, 0.143},
      {kMaxThroughput, "output_throughput", "tp=2 precision=fp16", 31, 0.183, 0.306},
      {kMaxThroughput, "output_throughput", "tp=4 precision=fp8", 33, 0.148, 0.238},
      {kMaxThroughput, "output_throughput", "tp=4 precision=fp16", 33, 0.072, 0.280},
      {kMaxThroughput, "output_throughput", "tp=8 precision=fp8", 34, 0.127, 0.449},
      {kMaxThroughput, "output_throughput", "tp=8 precision=fp16", 34, 0.151, 0.713},
      {kOnline, "request_throughput", "tp=4 precision=bf16", 18, 0.032, 0.333},
      {kOnline, "request_throughput", "tp=1 precision=bf16", 18, 0.026, 0.176},
      {kOnline, "mean_ttft_ms", "tp=4 precision=bf16", 18, 0.082, 0.230},
      {kOnline, "mean_ttft_ms", "tp=1 precision=bf16", 18, 0.139, 0.341},
      {kOnline, "mean_itl_ms", "tp=4 precision=bf16", 18, 0.122, 0.281},
      {kOnline, "mean_itl_ms", "tp=1 precision=bf16", 18, 0.116, 0.186},
      {kSweeps, "mean_ttft_ms", "backend=trtllm model=llama-3.1-8b tp=1", 42, 0.388, 1.247},
      {kSweeps, "mean_ttft_ms", "backend=trtllm model=llama-3.1-8b tp=2", 45, 0.355, 0.964},
      {kSweeps, "mean_ttft_ms", "backend=trtllm model=llama-3.1-8b tp=4", 45, 0.370, 0.735},
      {kSweeps, "mean_ttft_ms", "backend=trtllm model=llama-3.1-8b tp=8", 45, 0.539, 0.852},
      {kSweeps, "mean_ttft_ms", "backend=vllm model=llama-3.1-70b tp=4", 15, 0.079, 0.109},
      {kSweeps, "mean_ttft_ms", "backend=vllm model=llama-3.1-70b tp=2", 15, 0.078, 0.819},
      {kSweeps, "mean_ttft_ms", "backend=vllm model=llama-3.1-70b tp=8", 15, 0.133, 0.226},
      {kSweeps, "mean_tpot_ms", "backend=trtllm model=llama-3.1-8b tp=1", 42, 0.041, 0.102},
      {kSweeps, "mean_tpot_ms", "backend=trtllm model=llama-3.1-8b tp=2", 45, 0.040, 0.104},
      {kSweeps, "mean_tpot_ms", "backend=trtllm model=llama-3.1-8b tp=4", 45, 0.068, 0.253},
      {kSweeps, "mean_tpot_ms", "backend=trtllm model=llama-3.1-8b tp=8", 45, 0.147, 0.402},
      {kSweeps, "mean_tpot_ms", "backend=vllm model=llama-3.1-70b tp=4", 15, 0.034, 0.117},
      {kSweeps, "mean_tpot_ms", "backend=vllm model=llama-3.1-70b tp=2", 15, 0.033, 0.100},
      {kSweeps, "mean_tpot_ms", "backend=vllm model=llama-3.1-70b tp=8", 15, 0.128, 0.199},
  };
  return bands;
}

Trust TrustOf(const Scenario& s) {
  Trust t;
  const std::string engine = EngineOf(s);
  const std::vector<Territory>& all = Territories();
  const auto territory =
      std::find_if(all.begin(), all.end(), [&](const Territory& x) { return x.engine == engine; });
  if (territory == all.end()) {
    t.reasons.push_back(fmt::format(
        "engine {}: validated engines are trtllm-0.13 (the published TensorRT-LLM tables), "
        "trtllm-1 and vllm-v1 (measured concurrency sweeps)",
        engine));
  }
  if (s.disaggregation) t.reasons.push_back("disaggregated deployments have not been validated");
  if (s.hardware.name != kValidatedGpu) {
    t.reasons.push_back(fmt::format("gpu {}: only {} has measurements to validate against",
                                    s.hardware.name, kValidatedGpu));
  }
  if (territory != all.end()) {
    for (std::string& r : OutsideOf(s, *territory)) t.reasons.push_back(std::move(r));
  }
  if (s.pp > 1) t.reasons.push_back(fmt::format("pp {}: the measurements have pp = 1 only", s.pp));
  if (s.engine.shape.ep > 1) {
    t.reasons.push_back(
        fmt::format("ep {}: expert parallelism has not been validated", s.engine.shape.ep));
  }
  if (!t.reasons.empty()) return t;
  t.bands = BandsOf(s, engine);
  if (t.bands.empty()) {
    t.reasons.push_back(fmt::format("tp {} with {}: no validated group", s.engine.shape.tp,
                                    PrecisionName(s.engine.shape.weight_precision)));
    return t;
  }
  t.validated = true;
  return t;
}

Trust TrustOf(const Scenario& s, const Deployment& d) {
  Scenario deployed = s;
  deployed.engine.shape.tp = d.tp;
  deployed.engine.shape.pp = deployed.pp = d.pp;
  deployed.engine.shape.ep = d.ep;
  return TrustOf(deployed);
}

nlohmann::ordered_json TrustToJson(const Trust& t) {
  nlohmann::ordered_json j;
  j["validated"] = t.validated;
  j["reasons"] = t.reasons;
  nlohmann::ordered_json bands = nlohmann::ordered_json::array();
  for (const ErrorBand& b : t.bands) {
    bands.push_back({{"table", b.table},
                     {"metric", b.metric},
                     {"group", b.group},
                     {"rows", b.rows},
                     {"median_abs_error", b.median_abs_error},
                     {"p90_abs_error", b.p90_abs_error}});
  }
  j["error_bands"] = std::move(bands);
  j["source"] = "docs/validation.md";
  if (t.validated) {
    j["note"] =
        "measured with the engine preset as docs/validation.md runs it; other engine parameters "
        "move the error";
  }
  return j;
}

std::string DescribeTrust(const Trust& t) {
  if (!t.validated) {
    std::string reasons;
    for (const std::string& r : t.reasons) {
      if (!reasons.empty()) reasons += "; ";
      reasons += r;
    }
    return fmt::format(
        "OUTSIDE validated territory (no measured error band; docs/validation.md): {}", reasons);
  }
  std::string text = "validated territory (docs/validation.md):";
  for (const ErrorBand& b : t.bands) {
    text += fmt::format(" {} {} median {:.1f}%, p90 {:.1f}% ({} rows);", b.metric, b.group,
                        100 * b.median_abs_error, 100 * b.p90_abs_error, b.rows);
  }
  text.pop_back();
  return text;
}

}  // namespace servesim
