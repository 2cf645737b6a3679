#include "sim/validation/validate.h"

#include <algorithm>
#include <map>

#include "sim/runner.h"
#include "sim/studies/ordered_parallel.h"
#include "sim/validation/validation_cases.h"

namespace servesim {
namespace {

// Signed errors of one (table, metric) grouped by GPU.
using ErrorsByGpu = std::map<std::string, std::vector<double>>;

std::vector<ValidationSummaryRow> SummarizeTableMetric(const std::string& table,
                                                       const std::string& metric,
                                                       const ErrorsByGpu& by_gpu) {
  std::vector<ValidationSummaryRow> out;
  if (by_gpu.size() > 1) {
    std::vector<double> all;
    for (const auto& [gpu, errors] : by_gpu) all.insert(all.end(), errors.begin(), errors.end());
    out.push_back({table, metric, "all", ComputeErrorStats(all)});
  }
  for (const auto& [gpu, errors] : by_gpu) {
    out.push_back({table, metric, gpu, ComputeErrorStats(errors)});
  }
  return out;
}

}  // namespace

ValidationResult RunValidation(const std::vector<ValidationRow>& rows,
                               const ValidationOptions& options) {
  std::vector<ValidationCase> cases;
  ValidationResult result;
  result.rows.resize(rows.size());
  for (ValidationCase& c : GroupValidationRows(rows)) {
    const std::string skip = SkipReason(rows[c.rows[0]]);
    if (skip.empty()) {
      cases.push_back(std::move(c));
      continue;
    }
    for (size_t r : c.rows) result.rows[r] = {rows[r], 0, 0, skip};
    result.num_skipped += static_cast<int64_t>(c.rows.size());
  }
  std::vector<Summary> summaries(cases.size());
  RunOrdered(
      static_cast<int64_t>(cases.size()), std::max(1, options.jobs),
      [&](int64_t i) {
        const ValidationCase& c = cases[static_cast<size_t>(i)];
        const Scenario scenario = BuildValidationScenario(rows[c.rows[0]], options.sets);
        summaries[static_cast<size_t>(i)] = RunScenario(scenario).summary;
      },
      [](int64_t) {});
  result.num_cases = static_cast<int64_t>(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    for (size_t r : cases[i].rows) {
      const double predicted = PredictedMetric(summaries[i], rows[r].metric);
      result.rows[r] = {rows[r], predicted, RelativeError(predicted, rows[r].measured), ""};
    }
  }
  return result;
}

std::vector<ValidationSummaryRow> SummarizeValidation(const ValidationResult& result) {
  std::vector<std::string> tables;
  std::map<std::string, std::map<std::string, ErrorsByGpu>> errors;  // table -> metric -> gpu
  for (const ValidationRowResult& r : result.rows) {
    if (!r.skipped.empty()) continue;
    if (std::find(tables.begin(), tables.end(), r.row.table) == tables.end()) {
      tables.push_back(r.row.table);
    }
    errors[r.row.table][r.row.metric][r.row.gpu].push_back(r.rel_error);
  }
  std::vector<ValidationSummaryRow> out;
  for (const std::string& table : tables) {
    for (const std::string& metric : ValidationMetricNames()) {
      const auto it = errors[table].find(metric);
      if (it == errors[table].end()) continue;
      for (ValidationSummaryRow& s : SummarizeTableMetric(table, metric, it->second)) {
        out.push_back(std::move(s));
      }
    }
  }
  return out;
}

}  // namespace servesim
