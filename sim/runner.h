// Runner: builds the entities of one scenario (workload driver, replica, scheduler, step model,
// metrics) on a fresh Simulation, runs it to the end and summarises. One call = one independent,
// deterministic run: no wall clock, no threads, no environment.
#pragma once

#include <memory>

#include "models/step_model.h"
#include "sim/config/scenario.h"
#include "sim/report/summary.h"
#include "sim/serving/request.h"
#include "sim/serving/step_trace.h"

namespace servesim {

struct RunResult {
  Summary summary;
  RequestTable requests;
};

// Runs `scenario` with the step models it asks for (roofline or calibration profile; one per
// pool when disaggregated). With `step_trace`, every replica reports each step it launches.
RunResult RunScenario(const Scenario& scenario, StepTraceSink* step_trace = nullptr);
// Runs `scenario` with a given step model for every replica (tests use fakes with fixed step
// times).
RunResult RunScenario(const Scenario& scenario, const StepModel& step_model,
                      StepTraceSink* step_trace = nullptr);

}  // namespace servesim
