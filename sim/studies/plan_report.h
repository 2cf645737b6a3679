// Renders a plan result (sim/studies/plan.h): JSON (`options`, ranked, with gpu, num_gpus,
// deployment, cost_per_hour, cost_per_million_tokens, ...; `sensitivity`) and the console table.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "sim/studies/plan.h"

namespace servesim {

nlohmann::ordered_json PlanToJson(const PlanResult& r, const PlanSpec& spec);

// The headline numbers per candidate ("options.<name>.cost_per_hour", ...): what the
// replications summarise.
nlohmann::ordered_json PlanReplicationMetrics(const PlanResult& r);

// The --csv header (sim/studies/json_csv.h): rank, name, gpu, feasible, infeasible_reason,
// unit_gpus, num_gpus, ..., deployment.*, engine.*, costs, verified.*, trust.* (without
// error_bands), price.*.
std::vector<std::string> PlanCsvColumns();
// One object per option (ranked) for --csv: the options of PlanToJson's `doc` without their
// shapes and variants; an infeasible one gets `infeasible_reason` (its shapes' distinct skip
// reasons).
std::vector<nlohmann::ordered_json> PlanCsvRows(const nlohmann::ordered_json& doc);

void PrintPlan(const PlanResult& r, const PlanSpec& spec, std::ostream& out);

}  // namespace servesim
