// Renders a scaling result (sim/studies/scaling.h): JSON for scripts and reports (`points` with
// num_gpus, deployment, capacity, linear, efficiency, loss; `usl`; `extrapolated`) and the
// console table.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "sim/studies/scaling.h"

namespace servesim {

nlohmann::ordered_json DeploymentToJson(const Deployment& d);

nlohmann::ordered_json ScalingToJson(const ScalingResult& r, const StudyBase& base,
                                     const ScalingOptions& options);

// The headline numbers of a result, one object per point ("points.<i>.capacity", ...): what the
// replications summarise.
nlohmann::ordered_json ScalingReplicationMetrics(const ScalingResult& r);

// The --csv header (sim/studies/json_csv.h): num_gpus, extrapolated, deployment.*, capacity,
// linear, efficiency, loss.<cause>, goodput, output_throughput, steady_state.*, trust.* (without
// error_bands), summary.* (every Summary key).
std::vector<std::string> ScalingCsvColumns();
// One object per GPU count for --csv: the points of ScalingToJson's `doc` (without their
// candidates) and then its extrapolated counts, each with "extrapolated".
std::vector<nlohmann::ordered_json> ScalingCsvRows(const nlohmann::ordered_json& doc);

void PrintScaling(const ScalingResult& r, const StudyBase& base, const ScalingOptions& options,
                  std::ostream& out);

}  // namespace servesim
