// Validation cases: the rows of validation tables grouped into one simulation per distinct
// configuration (model, gpu, num_gpus, tp, pp, precision, isl, osl, num_requests, request_rate),
// and the scenario each case runs: the `trtllm` preset (how the published numbers were measured:
// trtllm-bench / Triton in-flight batching) plus the row's deployment and workload. The scenario
// is a YAML document assembled in memory and loaded with ParseScenario, so every rule of a
// scenario file applies. The preset and its sources: docs/validation.md.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sim/config/scenario.h"
#include "sim/report/summary.h"
#include "sim/validation/validation_table.h"

namespace servesim {

struct ValidationCase {
  std::vector<size_t> rows;  // indices into the row list, in input order; rows[0] defines it
};

// Groups rows by configuration, cases in order of their first row.
std::vector<ValidationCase> GroupValidationRows(const std::vector<ValidationRow>& rows);

// The engine section of the trtllm preset for a row (YAML, indented under `engine:`).
std::string TrtllmPresetEngineYaml(const ValidationRow& row);

// The scenario document of the case `row` belongs to.
std::string ValidationScenarioYaml(const ValidationRow& row);

// Loads that document with `sets` ("dotted.key=value") applied. Throws InputError naming the
// row's file, line and id if the scenario is invalid; a DeploymentError (input_error.h) when it is
// well-formed but the model cannot run it (e.g. the weights do not fit).
Scenario BuildValidationScenario(const ValidationRow& row, const std::vector<std::string>& sets);

// The run's value of a validation metric (ValidationMetricNames()).
double PredictedMetric(const Summary& summary, const std::string& metric);

}  // namespace servesim
