// Compare: a user's own measurement, the JSON that vLLM's benchmark_serving.py (--save-result) or
// `vllm bench serve` writes, against a simulation of the same workload. The workload comes from
// the file where it says (num_prompts, mean lengths from the token totals, request_rate,
// burstiness, max_concurrency) and from the scenario otherwise; every metric both sides have is
// compared. Malformed files are InputErrors naming the file and the key.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/config/config_node.h"
#include "sim/report/summary.h"

namespace servesim {

struct MeasuredRun {
  std::string path;
  nlohmann::json doc;  // the whole file (a JSON object)
  // The workload as far as the file states it.
  std::optional<int64_t> num_requests;      // num_prompts, else completed
  std::optional<int64_t> input_tokens;      // round(total_input_tokens / completed)
  std::optional<int64_t> output_tokens;     // round(total_output_tokens / completed)
  std::optional<std::string> request_rate;  // "inf" or the number as YAML text
  std::optional<double> burstiness;         // gamma shape; 1 = Poisson
  std::optional<int64_t> max_concurrency;
  std::vector<std::string> notes;  // what could not be reproduced exactly
};

// Reads the file. Throws InputError: cannot open, invalid JSON (with line and column), not an
// object, or a known key of the wrong type ("PATH: key 'completed': expected an integer >= 0,
// got \"x\"").
MeasuredRun ReadMeasuredRun(const std::string& path);
MeasuredRun ParseMeasuredRun(std::string_view text, const std::string& path);

// Overrides (located at the file) that give a scenario the measured workload.
std::vector<Override> MeasuredWorkloadOverrides(const MeasuredRun& run);

struct ComparedMetric {
  std::string key;  // vLLM's name ("mean_ttft_ms")
  double measured = 0;
  double predicted = 0;
  std::optional<double> rel_error;  // (predicted - measured) / measured; none if measured == 0
};

// Every metric present (and not null) in the file that the summary also has, in a fixed order:
// counts and throughputs, then mean / median / p90 / p99 of ttft, tpot, itl, e2el.
std::vector<ComparedMetric> CompareWithSummary(const MeasuredRun& run, const Summary& summary);

}  // namespace servesim
