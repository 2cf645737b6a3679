#include "sim/studies/trust.h"

#include <fmt/format.h>

#include <algorithm>

namespace servesim {
namespace {

constexpr const char* kMaxThroughput = "trtllm_v0.13_h100_max_throughput";
constexpr const char* kOnline = "trtllm_v0.14_h100_online";
constexpr const char* kValidatedGpu = "h100-sxm-80gb";
constexpr const char* kValidatedScheduler = "trtllm";

// The models of the two published tables (docs/validation/*.csv).
const std::vector<std::string>& ValidatedModels() {
  static const std::vector<std::string> models = {"llama-2-7b",  "llama-2-70b",  "llama-3-8b",
                                                  "llama-3-70b", "llama-3.1-8b", "llama-3.1-70b",
                                                  "mixtral-8x7b"};
  return models;
}

// The precision as the tables name their groups: the maximum-throughput table has fp8 and fp16
// rows (bf16 engines run the same 16-bit GEMMs), the online table bf16 only.
std::string TableGroup(int64_t tp, const std::string& precision) {
  return fmt::format("tp={} precision={}", tp, precision);
}

}  // namespace

const std::vector<ErrorBand>& ValidatedBands() {
  // docs/validation.md, "Results" (the generated summary block), per tp and precision.
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
  };
  return bands;
}

Trust TrustOf(const Scenario& s) {
  Trust t;
  const std::string precision = PrecisionName(s.engine.shape.weight_precision);
  const int64_t tp = s.engine.shape.tp;
  if (s.engine.scheduler != kValidatedScheduler) {
    t.reasons.push_back(fmt::format(
        "scheduler {}: only TensorRT-LLM (trtllm) has been validated against published numbers",
        s.engine.scheduler));
  }
  if (s.disaggregation) t.reasons.push_back("disaggregated deployments have not been validated");
  if (s.hardware.name != kValidatedGpu) {
    t.reasons.push_back(fmt::format("gpu {}: only {} has published numbers to validate against",
                                    s.hardware.name, kValidatedGpu));
  }
  const std::vector<std::string>& models = ValidatedModels();
  if (std::find(models.begin(), models.end(), s.model.name) == models.end()) {
    t.reasons.push_back(fmt::format("model {}: not in the validation tables", s.model.name));
  }
  if (s.pp > 1) t.reasons.push_back(fmt::format("pp {}: the tables have pp = 1 only", s.pp));
  if (s.engine.shape.ep > 1) {
    t.reasons.push_back(
        fmt::format("ep {}: expert parallelism has not been validated", s.engine.shape.ep));
  }
  if (tp != 1 && tp != 2 && tp != 4 && tp != 8) {
    t.reasons.push_back(fmt::format("tp {}: the tables have tp 1, 2, 4 and 8", tp));
  }
  if (!t.reasons.empty()) return t;
  // 16-bit deployments match the fp16 rows of the maximum-throughput table and the bf16 rows of
  // the online one; fp8 only the former.
  const bool fp8 = precision == "fp8";
  const bool online_model = s.model.name == "llama-3.1-8b" || s.model.name == "llama-3.1-70b";
  for (const ErrorBand& b : ValidatedBands()) {
    if (b.table == std::string(kOnline) && !online_model) continue;
    const std::string want = b.table == std::string(kMaxThroughput)
                                 ? TableGroup(tp, fp8 ? "fp8" : "fp16")
                                 : TableGroup(tp, fp8 ? "fp8" : "bf16");
    if (b.group == want) t.bands.push_back(b);
  }
  if (t.bands.empty()) {
    t.reasons.push_back(fmt::format("tp {} with {}: no validated group", tp, precision));
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
        "measured with the validation's trtllm preset (docs/validation.md, 'The trtllm preset'); "
        "other engine parameters move the error";
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
