#include "sim/validation/validation_cases.h"

#include <fmt/format.h>

#include <limits>
#include <map>
#include <tuple>

#include "sim/config/config_node.h"
#include "sim/config/input_error.h"
#include "sim/core/check.h"

namespace servesim {
namespace {

using CaseKey = std::tuple<std::string, std::string, int64_t, int64_t, int64_t, std::string,
                           int64_t, int64_t, int64_t, double>;

CaseKey KeyOf(const ValidationRow& r) {
  const double rate = r.request_rate ? *r.request_rate : std::numeric_limits<double>::infinity();
  return {r.model, r.gpu, r.num_gpus, r.tp, r.pp, r.precision, r.isl, r.osl, r.num_requests, rate};
}

std::string RateText(const ValidationRow& r) {
  return r.request_rate ? fmt::format("{}", *r.request_rate) : std::string("inf");
}

std::string ArrivalYaml(const ValidationRow& r) {
  if (!r.request_rate) return "{process: burst}";
  return fmt::format("{{process: poisson, rate: {}}}", *r.request_rate);
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

// The trtllm preset. Batching as trtllm-bench (v0.12-v0.13) ran the C++ executor: in-flight
// batching, GUARANTEED_NO_EVICT (KV blocks for the whole sequence reserved at admission), chunked
// context on, FP8 weights with an FP8 KV cache for FP8 engines, kv_cache_free_gpu_mem_fraction
// 0.95, BuildConfig's max_batch_size / max_num_tokens (2048 / 8192), engines built with
// max_seq_len = isl + osl. Runtime costs of that executor (no CUDA graphs by default, one
// synchronous host iteration per step): eager kernel launches (5 us each), all-reduces that
// absorb the launch skew between ranks (30 us), ~1 ms of host work per step. GEMMs at 60% of
// the dense peak (serving shapes, sustained clocks; not engine-specific, see the docs). Sources
// and rationale: docs/validation.md ("The trtllm preset").
std::string TrtllmPresetEngineYaml(const ValidationRow& row) {
  return fmt::format(
      "  scheduler: trtllm\n"
      "  precision: {}\n"
      "  kv_cache_precision: auto\n"
      "  kv_cache_free_gpu_mem_fraction: 0.95\n"
      "  max_batch_size: 2048\n"
      "  max_num_tokens: 8192\n"
      "  enable_chunked_prefill: true\n"
      "  max_model_len: {}\n"
      "  kernel_launch_overhead_us: 5\n"
      "  tp_collective_latency_us: 30\n"
      "  host_overhead_per_step_us: 1000\n"
      "  gemm_compute_efficiency: 0.60\n",
      row.precision, row.isl + row.osl);
}

std::string ValidationScenarioYaml(const ValidationRow& row) {
  return fmt::format(
      "name: {}-{}-tp{}-pp{}-{}gpu-{}-{}x{}-rate-{}\n"
      "model: {}\n"
      "hardware: {{gpu: {}, num_gpus: {}}}\n"
      "parallel: {{tp: {}, pp: {}}}\n"
      "engine:\n"
      "{}"
      "workload:\n"
      "  arrival: {}\n"
      "  num_requests: {}\n"
      "  input_tokens: {}\n"
      "  output_tokens: {}\n"
      "seed: 1\n",
      row.model, row.gpu, row.tp, row.pp, row.num_gpus, row.precision, row.isl, row.osl,
      RateText(row), row.model, row.gpu, row.num_gpus, row.tp, row.pp, TrtllmPresetEngineYaml(row),
      ArrivalYaml(row), row.num_requests, row.isl, row.osl);
}

Scenario BuildValidationScenario(const ValidationRow& row, const std::vector<std::string>& sets) {
  try {
    const ConfigNode doc = ConfigNode::LoadString(ValidationScenarioYaml(row), "scenario");
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
  SERVESIM_CHECK(metric == "mean_itl_ms");
  return s.itl.mean_ms;
}

}  // namespace servesim
