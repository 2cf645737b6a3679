// The capacity study around FindCapacity (sim/studies/capacity.h): runs a scenario at a given
// Poisson arrival rate (replacing its workload.arrival; lengths, limits and everything else
// unchanged), and renders the result as JSON (`max_rate`, `goodput`, `curve`, ...) and as a
// console table.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "sim/config/scenario.h"
#include "sim/runner.h"
#include "sim/studies/capacity.h"
#include "sim/studies/slo.h"

namespace servesim {

// The scenario at `rate` req/s (Poisson), its per-request SLO targets set from `slo` (TTFT/TPOT
// targets of `slo` replace the scenario's own slo: where given; with --attainment exactly those
// are used). A trace workload keeps its lengths and gets Poisson arrivals.
Scenario ScenarioAtRate(const Scenario& base, double rate_per_s, const CapacitySlo& slo);

// The scenario's workload made `factor` times longer: num_requests, duration_s and a trace's
// repeat count, whichever bound it.
void ExtendWorkload(int64_t factor, Scenario* scenario);

// Runs `base` at `rate` req/s (ScenarioAtRate) with `run` and judges its steady state. When the
// SLO is met but the backlog seems to grow over a window too short to tell warm-up from overload
// (SteadyState::long_enough), the rate is run again with a workload 2, 4, ... up to
// kMaxSteadyStateExtension times longer, and the longest run decides.
RateOutcome RunSteadyAtRate(const Scenario& base, double rate, const CapacitySlo& slo,
                            const std::function<RunResult(const Scenario&)>& run);

// Throws InputError unless the scenario has open-loop arrivals whose rate can be varied.
void CheckCapacityScenario(const Scenario& scenario);

// The first rate tried: the scenario's own arrival rate if it has one, else 1 req/s.
double DefaultStartRate(const Scenario& scenario);

// Runs the search on simulations of `base`; with `progress`, one line per simulation there.
CapacityResult RunCapacity(const Scenario& base, const CapacitySlo& slo,
                           const CapacityOptions& options, std::ostream* progress = nullptr);

nlohmann::ordered_json CapacityToJson(const CapacityResult& r, const CapacitySlo& slo,
                                      const CapacityOptions& options);
// The --csv header (sim/studies/json_csv.h): rate, holds, slo_met, in_search, in_curve,
// max_rate, fail_rate, slo.<key>.{limit_ms,value_ms,pass} per SLO limit (with --attainment:
// slo.attainment.{limit,value,pass}), steady_state.*, metrics.* (every Summary key). Fixed by
// the SLO alone.
std::vector<std::string> CapacityCsvColumns(const CapacitySlo& slo);
// One object per simulated rate (search and curve, by rate, each rate once) for --csv, with the
// columns of CapacityCsvColumns: `max_rate` / `fail_rate` flag the rows of the result's max_rate
// and fail_rate.
std::vector<nlohmann::ordered_json> CapacityCsvRows(const CapacityResult& r,
                                                    const CapacitySlo& slo);
void PrintCapacity(const CapacityResult& r, const CapacitySlo& slo, const CapacityOptions& options,
                   std::ostream& out);

}  // namespace servesim
