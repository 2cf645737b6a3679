// Runner: builds the entities of one scenario (workload driver, replica, scheduler, step model,
// metrics) on a fresh Simulation, runs it to the end and summarises. One call = one independent,
// deterministic run: no wall clock, no threads, no environment.
#pragma once

#include <functional>
#include <memory>

#include "models/step_model.h"
#include "sim/config/scenario.h"
#include "sim/report/summary.h"
#include "sim/serving/request.h"
#include "sim/serving/step_trace.h"

namespace servesim {

// How to simulate (never what: results do not depend on these).
struct RunOptions {
  // Complete and relaunch steps inline while nothing else can happen in between (Replica).
  // false: one event per step, the reference the fast path is tested against.
  bool fast_forward = true;
  // Called with the number of requests finished so far, every `progress_every` completions (an
  // observer for progress displays; it cannot change the run).
  std::function<void(int64_t finished)> on_progress;
  int64_t progress_every = 4096;
};

struct RunResult {
  Summary summary;
  RequestTable requests;
  // Of summary.events, those fast-forward processed inline (never queued).
  uint64_t events_inlined = 0;
};

// Runs `scenario` with the step models it asks for (roofline or calibration profile; one per
// pool when disaggregated). With `step_trace`, every replica reports each step it launches.
RunResult RunScenario(const Scenario& scenario, StepTraceSink* step_trace = nullptr,
                      const RunOptions& options = {});
// Runs `scenario` with a given step model for every replica (tests use fakes with fixed step
// times).
RunResult RunScenario(const Scenario& scenario, const StepModel& step_model,
                      StepTraceSink* step_trace = nullptr, const RunOptions& options = {});

}  // namespace servesim
