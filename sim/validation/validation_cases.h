// Validation cases: the rows of validation tables grouped into one simulation per distinct
// configuration (model, gpu, num_gpus, tp, pp, precision, isl, osl, num_requests, request_rate;
// backend and concurrency for concurrency sweeps), and the scenario each case runs: the engine
// preset of the row (`trtllm-0.13` for the published TensorRT-LLM tables; the backend's preset
// for a concurrency sweep, with the benchmark harness's settings) plus the row's deployment and
// workload. The scenario is a YAML document assembled in memory and loaded with ParseScenario,
// so every rule of a scenario file applies. Presets and harnesses: docs/validation.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/config/scenario.h"
#include "sim/report/summary.h"
#include "sim/validation/validation_table.h"

namespace servesim {

struct ValidationCase {
  std::vector<size_t> rows;  // indices into the row list, in input order; rows[0] defines it
};

// How concurrency-sweep rows are run as closed loops (benchmark clients).
struct ClosedLoopHarness {
  int64_t requests_per_client = 10;  // measured requests: this x concurrency
  int64_t warmup_per_client = 0;     // warm-up requests before them: this x concurrency
  // Client lengths uniform in [ratio x isl, isl] (the benchmark's --random-range-ratio, in its
  // pre-0.9 meaning); unset: the backend's harness default (ConcurrencyHarnessRangeRatio).
  std::optional<double> range_ratio;
};

// The preset a row runs with: trtllm-0.13 for published rows; for a concurrency row its
// backend's (trtllm-1, or trtllm-0.13 for a 0.x backend_version; vllm-v1; sglang).
std::string ValidationPreset(const ValidationRow& row);

// The range ratio of the harness that measured a backend's rows (1 = fixed lengths).
double ConcurrencyHarnessRangeRatio(const std::string& backend);

// Groups rows by configuration, cases in order of their first row.
std::vector<ValidationCase> GroupValidationRows(const std::vector<ValidationRow>& rows);

// The engine section of a row's scenario (YAML, indented under `engine:`).
std::string ValidationEngineYaml(const ValidationRow& row);

// The scenario document of the case `row` belongs to.
std::string ValidationScenarioYaml(const ValidationRow& row, const ClosedLoopHarness& harness = {});

// Loads that document with `sets` ("dotted.key=value") applied. Throws InputError naming the
// row's file, line and id if the scenario is invalid; a DeploymentError (input_error.h) when it is
// well-formed but the model cannot run it (e.g. the weights do not fit).
Scenario BuildValidationScenario(const ValidationRow& row, const std::vector<std::string>& sets,
                                 const ClosedLoopHarness& harness = {});

// The run's value of a validation metric (ValidationMetricNames()).
double PredictedMetric(const Summary& summary, const std::string& metric);

}  // namespace servesim
