#include "sim/validation/validate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "sim/config/input_error.h"
#include "sim/core/check.h"
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
    out.push_back({table, metric, "all", {}, ComputeErrorStats(all)});
  }
  for (const auto& [gpu, errors] : by_gpu) {
    out.push_back({table, metric, gpu, {}, ComputeErrorStats(errors)});
  }
  return out;
}

// The value of one of ValidationGroupColumns() for `r`, as parsed (so "2" and "2.0" agree).
std::string GroupValue(const ValidationRow& r, const std::string& column) {
  if (column == "model") return r.model;
  if (column == "precision") return r.precision;
  if (column == "request_rate") {
    return r.request_rate ? fmt::format("{:g}", *r.request_rate) : std::string("inf");
  }
  if (column == "num_gpus") return std::to_string(r.num_gpus);
  if (column == "tp") return std::to_string(r.tp);
  if (column == "pp") return std::to_string(r.pp);
  if (column == "isl") return std::to_string(r.isl);
  if (column == "osl") return std::to_string(r.osl);
  if (column == "backend") return r.backend;
  if (column == "concurrency") return std::to_string(r.concurrency);
  SERVESIM_CHECK(column == "num_requests");
  return std::to_string(r.num_requests);
}

// Rows per (GPU, values of the `by` columns) of one (table, metric), in order of first appearance.
std::vector<ValidationSummaryRow> SummarizeGroups(const ValidationResult& result,
                                                  const std::string& table,
                                                  const std::string& metric,
                                                  const std::vector<std::string>& by) {
  std::vector<std::vector<std::string>> keys;  // GPU, then the by values; first appearance
  std::map<std::vector<std::string>, std::vector<double>> errors;
  for (const ValidationRowResult& r : result.rows) {
    if (!r.Simulated() || r.row.table != table || r.row.metric != metric) continue;
    std::vector<std::string> key = {r.row.gpu};
    for (const std::string& column : by) key.push_back(GroupValue(r.row, column));
    const auto [it, inserted] = errors.try_emplace(key);
    if (inserted) keys.push_back(key);
    it->second.push_back(r.rel_error);
  }
  std::vector<ValidationSummaryRow> out;
  for (const std::vector<std::string>& key : keys) {
    ValidationSummaryRow s{table, metric, key[0], {}, ComputeErrorStats(errors[key])};
    for (size_t i = 0; i < by.size(); ++i) s.group.emplace_back(by[i], key[i + 1]);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

const std::vector<std::string>& ValidationGroupColumns() {
  static const std::vector<std::string> kColumns = {
      "model", "num_gpus",     "tp",           "pp",      "precision",  "isl",
      "osl",   "num_requests", "request_rate", "backend", "concurrency"};
  return kColumns;
}

std::vector<std::string> ParseValidationGroupColumns(const std::string& list) {
  const std::vector<std::string>& allowed = ValidationGroupColumns();
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      throw InputError(
          fmt::format("--by {}: '{}' is not a column to group by; expected a "
                      "comma-separated list of {}{}",
                      ShownValue(list, 60), ShownValue(name, 40), fmt::join(allowed, ", "),
                      DidYouMean(name, allowed)));
    }
    if (std::find(out.begin(), out.end(), name) != out.end()) {
      throw InputError(
          fmt::format("--by {}: column '{}' is listed twice", ShownValue(list, 60), name));
    }
    out.push_back(name);
  }
  if (out.empty() || list.back() == ',') {
    throw InputError(fmt::format("--by {}: expected a comma-separated list of {}",
                                 ShownValue(list, 60), fmt::join(allowed, ", ")));
  }
  return out;
}

ValidationResult RunValidation(const std::vector<ValidationRow>& rows,
                               const ValidationOptions& options) {
  ValidationResult result;
  result.rows.resize(rows.size());
  // Scenarios are built here, in input order, so that the first invalid row is the one reported
  // whatever the thread count; deployments the model cannot run are results, not errors.
  std::vector<Scenario> scenarios;
  std::vector<ValidationCase> cases;
  for (ValidationCase& c : GroupValidationRows(rows)) {
    try {
      scenarios.push_back(BuildValidationScenario(rows[c.rows[0]], options.sets, options.harness));
      cases.push_back(std::move(c));
    } catch (const DeploymentError& e) {
      for (size_t r : c.rows) result.rows[r] = {rows[r], 0, 0, e.reason()};
      result.num_cannot_run += static_cast<int64_t>(c.rows.size());
    }
  }
  std::vector<Summary> summaries(cases.size());
  RunOrdered(
      static_cast<int64_t>(cases.size()), std::max(1, options.jobs),
      [&](int64_t i) {
        const auto k = static_cast<size_t>(i);
        summaries[k] = RunScenario(scenarios[k]).summary;
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

std::vector<ValidationSummaryRow> SummarizeValidation(const ValidationResult& result,
                                                      const std::vector<std::string>& by) {
  std::vector<std::string> sweep_tables;  // concurrency-sweep tables get backend splits
  for (const ValidationRowResult& r : result.rows) {
    if (r.row.schema == TableSchema::kConcurrency &&
        std::find(sweep_tables.begin(), sweep_tables.end(), r.row.table) == sweep_tables.end()) {
      sweep_tables.push_back(r.row.table);
    }
  }
  std::vector<std::string> tables;
  std::map<std::string, std::map<std::string, ErrorsByGpu>> errors;  // table -> metric -> gpu
  for (const ValidationRowResult& r : result.rows) {
    if (!r.Simulated()) continue;
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
      std::vector<std::vector<std::string>> levels;
      if (std::find(sweep_tables.begin(), sweep_tables.end(), table) != sweep_tables.end()) {
        levels = {{"backend", "model"}, {"backend", "model", "tp"}};
      }
      if (!by.empty()) levels.push_back(by);
      for (const std::vector<std::string>& level : levels) {
        for (ValidationSummaryRow& s : SummarizeGroups(result, table, metric, level)) {
          out.push_back(std::move(s));
        }
      }
    }
  }
  return out;
}

}  // namespace servesim
