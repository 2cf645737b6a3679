// Validate: runs every case of a set of validation rows (one simulation per distinct
// configuration, in parallel on `jobs` threads; results do not depend on the thread count) and
// compares the predictions with the published numbers, row by row and summarised per table,
// metric and GPU. Rendering: console tables, JSON and per-row CSV (validation_report.h).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/validation/error_stats.h"
#include "sim/validation/validation_cases.h"
#include "sim/validation/validation_table.h"

namespace servesim {

struct ValidationOptions {
  int jobs = 1;                   // threads running simulations
  std::vector<std::string> sets;  // "dotted.key=value" applied to every generated scenario
  ClosedLoopHarness harness;      // how concurrency-sweep rows are run
};

struct ValidationRowResult {
  ValidationRow row;
  double predicted = 0;
  double rel_error = 0;  // (predicted - measured) / measured
  // Why the model cannot run the row's deployment (DeploymentError::reason(): the weights do not
  // fit, no room for one sequence's KV cache, a precision the GPU lacks); "" when it can. A
  // prediction failure, not bad input: the published system did run it.
  std::string cannot_run;
  bool Simulated() const { return cannot_run.empty(); }
};

struct ValidationSummaryRow {
  std::string table;
  std::string metric;
  std::string gpu;  // "all" for every GPU of the table together
  // The --by columns and their values as parsed, in text ({"tp", "8"}, {"request_rate", "2.5"} or
  // "inf"); empty for the overall rows.
  std::vector<std::pair<std::string, std::string>> group;
  ErrorStats stats;
};

struct ValidationResult {
  std::vector<ValidationRowResult> rows;  // in input order
  int64_t num_cases = 0;                  // simulations run
  int64_t num_cannot_run = 0;             // rows the model cannot run (not in the summary)
};

// Runs the cases of `rows`. Throws InputError (naming the row) if a case's scenario is invalid;
// a case whose deployment the model cannot run (DeploymentError) marks its rows `cannot_run`.
ValidationResult RunValidation(const std::vector<ValidationRow>& rows,
                               const ValidationOptions& options);

// The configuration columns a summary can be split by (`--by`): model, num_gpus, tp, pp,
// precision, isl, osl, num_requests, request_rate, backend, concurrency (the GPU is always a
// summary key).
const std::vector<std::string>& ValidationGroupColumns();

// "tp,precision" -> {"tp", "precision"}. Throws InputError naming the flag for an empty list, an
// unknown or repeated column.
std::vector<std::string> ParseValidationGroupColumns(const std::string& list);

// Error statistics of the simulated rows per (table, metric, GPU), plus a GPU "all" row per (table,
// metric) when the table has several GPUs. Ordered by table (first appearance), metric
// (ValidationMetricNames() order), then GPU name with "all" first. With `by` columns, each
// (table, metric) is followed by one row per (GPU, values of the `by` columns), in the order the
// combinations first appear in the input. A concurrency-sweep table is always also split by
// (backend, model) and then by (backend, model, tp), before any `by` split.
std::vector<ValidationSummaryRow> SummarizeValidation(const ValidationResult& result,
                                                      const std::vector<std::string>& by = {});

}  // namespace servesim
