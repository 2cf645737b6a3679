// Rendering of a validation run: console tables (per row, then the error summary), JSON (rows and
// summary) and the per-row CSV (the input columns plus `predicted` and `rel_error`).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "sim/validation/validate.h"

namespace servesim {

// The engine presets the rows ran with, in order of first use.
std::vector<std::string> ValidationPresetsUsed(const ValidationResult& result);
// One line per row: id, configuration, metric, measured, predicted, error in percent.
void PrintValidationRows(const ValidationResult& result, std::ostream& out);
// One line per summary row: count, median / p90 / max |error| and bias, in percent.
void PrintValidationSummary(const std::vector<ValidationSummaryRow>& summary, std::ostream& out);

nlohmann::ordered_json ValidationToJson(const ValidationResult& result,
                                        const std::vector<ValidationSummaryRow>& summary);

// Throws InputError unless all rows share one schema (a CSV has one header).
void CheckOneCsvSchema(const std::vector<ValidationRow>& rows);
// Header: the table columns, then `predicted`, `rel_error`; one line per row in input order.
std::string ValidationCsv(const ValidationResult& result);

}  // namespace servesim
