#include "sim/validation/validation_cases.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

#include "sim/config/config_node.h"
#include "sim/config/input_error.h"
#include "sim/core/check.h"

namespace servesim {
namespace {

using CaseKey = std::tuple<std::string, std::string, int64_t, int64_t, int64_t, std::string,
                           int64_t, int64_t, int64_t, double, std::string, int64_t>;

CaseKey KeyOf(const ValidationRow& r) {
  const double rate = r.request_rate ? *r.request_rate : std::numeric_limits<double>::infinity();
  return {r.model, r.gpu, r.num_gpus,     r.tp, r.pp,      r.precision,
          r.isl,   r.osl, r.num_requests, rate, r.backend, r.concurrency};
}

std::string RateText(const ValidationRow& r) {
  return r.request_rate ? fmt::format("{}", *r.request_rate) : std::string("inf");
}

std::string ArrivalYaml(const ValidationRow& r) {
  if (!r.request_rate) return "{process: burst}";
  return fmt::format("{{process: poisson, rate: {}}}", *r.request_rate);
}

// The settings of the benchmark harness that measured a backend's concurrency sweeps, as far as
// the sources say (docs/validation.md, "Concurrency sweeps"): the vLLM rows are SemiAnalysis
// InferenceMAX runs (vllm serve --kv-cache-dtype fp8 --async-scheduling --max-num-seqs C);
// nothing is known of the TensorRT-LLM and SGLang harnesses beyond the engine defaults.
std::string HarnessEngineYaml(const ValidationRow& r) {
  if (r.backend != "vllm") return "";
  std::string yaml = fmt::format("  max_num_seqs: {}\n  overlap_scheduling: true\n", r.concurrency);
  if (r.precision == "fp8") yaml += "  kv_cache_precision: fp8\n";
  return yaml;
}

std::string LengthYaml(int64_t tokens, double ratio) {
  if (ratio >= 1) return fmt::format("{}", tokens);
  const auto lo = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(tokens) * ratio));
  return fmt::format("{{dist: uniform, min: {}, max: {}}}", lo, tokens);
}

// The model, deployment and engine of a row's scenario (everything but name and workload).
std::string DeploymentYaml(const ValidationRow& r) {
  return fmt::format(
      "model: {}\n"
      "hardware: {{gpu: {}, num_gpus: {}}}\n"
      "parallel: {{tp: {}, pp: {}}}\n"
      "engine:\n"
      "{}",
      r.model, r.gpu, r.num_gpus, r.tp, r.pp, ValidationEngineYaml(r));
}

std::string ClosedLoopScenarioYaml(const ValidationRow& r, const ClosedLoopHarness& h) {
  const double ratio = h.range_ratio ? *h.range_ratio : ConcurrencyHarnessRangeRatio(r.backend);
  std::string warmup;
  if (h.warmup_per_client > 0) {
    warmup = fmt::format("  warmup_requests: {}\n", h.warmup_per_client * r.concurrency);
  }
  return fmt::format(
      "name: {}-{}-{}-tp{}-pp{}-{}-{}x{}-c{}\n"
      "{}"
      "workload:\n"
      "  concurrency: {}\n"
      "  num_requests: {}\n"
      "{}"
      "  input_tokens: {}\n"
      "  output_tokens: {}\n"
      "seed: 1\n",
      r.backend, r.model, r.gpu, r.tp, r.pp, r.precision, r.isl, r.osl, r.concurrency,
      DeploymentYaml(r), r.concurrency, h.requests_per_client * r.concurrency, warmup,
      LengthYaml(r.isl, ratio), LengthYaml(r.osl, ratio));
}

}  // namespace

std::vector<ValidationCase> GroupValidationRows(const std::vector<ValidationRow>& rows) {
  std::vector<ValidationCase> cases;
  std::map<CaseKey, size_t> index;  // key -> position in `cases`
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto [it, inserted] = index.emplace(KeyOf(rows[i]), cases.size());
    if (inserted) cases.emplace_back();
    cases[it->second].rows.push_back(i);
  }
  return cases;
}

std::string ValidationPreset(const ValidationRow& row) {
  if (row.schema == TableSchema::kPublished) return "trtllm-0.13";
  if (row.backend == "trtllm") {
    return row.backend_version.rfind("0.", 0) == 0 ? "trtllm-0.13" : "trtllm-1";
  }
  return row.backend == "vllm" ? "vllm-v1" : "sglang";
}

double ConcurrencyHarnessRangeRatio(const std::string& backend) {
  // InferenceMAX's client: --random-range-ratio 0.8, lengths uniform in [0.8 x len, len]
  // (kimbochen/bench_serving, sample_random_requests).
  return backend == "vllm" ? 0.8 : 1.0;
}

// Published rows: the trtllm-0.13 preset (trtllm-bench's C++ executor) plus what the published
// runs state: the row's precision (FP8 engines with an FP8 KV cache), engines built for
// max_seq_len = isl + osl, kv_cache_free_gpu_mem_fraction 0.95. Concurrency rows: the backend's
// preset, the row's precision, max_model_len = isl + osl, and the harness settings. Sources and
// rationale: docs/validation.md.
std::string ValidationEngineYaml(const ValidationRow& row) {
  if (row.schema == TableSchema::kPublished) {
    return fmt::format(
        "  preset: trtllm-0.13\n"
        "  precision: {}\n"
        "  kv_cache_precision: auto\n"
        "  kv_cache_free_gpu_mem_fraction: 0.95\n"
        "  max_model_len: {}\n",
        row.precision, row.isl + row.osl);
  }
  return fmt::format("  preset: {}\n  precision: {}\n  max_model_len: {}\n{}",
                     ValidationPreset(row), row.precision, row.isl + row.osl,
                     HarnessEngineYaml(row));
}

std::string ValidationScenarioYaml(const ValidationRow& row, const ClosedLoopHarness& harness) {
  if (row.schema == TableSchema::kConcurrency) return ClosedLoopScenarioYaml(row, harness);
  return fmt::format(
      "name: {}-{}-tp{}-pp{}-{}gpu-{}-{}x{}-rate-{}\n"
      "{}"
      "workload:\n"
      "  arrival: {}\n"
      "  num_requests: {}\n"
      "  input_tokens: {}\n"
      "  output_tokens: {}\n"
      "seed: 1\n",
      row.model, row.gpu, row.tp, row.pp, row.num_gpus, row.precision, row.isl, row.osl,
      RateText(row), DeploymentYaml(row), ArrivalYaml(row), row.num_requests, row.isl, row.osl);
}

Scenario BuildValidationScenario(const ValidationRow& row, const std::vector<std::string>& sets,
                                 const ClosedLoopHarness& harness) {
  try {
    const ConfigNode doc = ConfigNode::LoadString(ValidationScenarioYaml(row, harness), "scenario");
    return ParseScenario(ApplyOverrides(doc, sets), std::nullopt);
  } catch (const DeploymentError& e) {
    throw DeploymentError(fmt::format("{}:{}: row '{}': cannot build its scenario: {}", row.file,
                                      row.line, row.id, e.what()),
                          e.reason());
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}:{}: row '{}': cannot build its scenario: {}", row.file,
                                 row.line, row.id, e.what()));
  }
}

double PredictedMetric(const Summary& s, const std::string& metric) {
  if (metric == "output_throughput") return s.output_throughput;
  if (metric == "request_throughput") return s.request_throughput;
  if (metric == "mean_ttft_ms") return s.ttft.mean_ms;
  if (metric == "mean_tpot_ms") return s.tpot.mean_ms;
  SERVESIM_CHECK(metric == "mean_itl_ms");
  return s.itl.mean_ms;
}

}  // namespace servesim
