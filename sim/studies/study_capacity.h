// The capacity search as the scaling and plan studies use it: one deployment, its highest Poisson
// rate at the SLO (sim/studies/capacity.h) with step times adjusted as the study asks, no curve
// around the knee. A search that cannot bracket the SLO is a result ("failed"), not an error: the
// study records it for that deployment and goes on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/config/scenario.h"
#include "sim/report/summary.h"
#include "sim/studies/slo.h"
#include "sim/studies/steady_state.h"
#include "sim/studies/study_step_times.h"

namespace servesim {

struct StudyCapacity {
  double capacity = 0;  // req/s; 0 when failed
  Summary at_capacity;
  std::optional<SteadyState> steady;  // of the run at capacity
  int64_t simulations = 0;
  std::string failed;        // why no capacity was found, or ""
  bool unreachable = false;  // failed because the SLO fails even unloaded (SloUnreachable)
};

// REQUIRES: start_rate > 0, 0 < tolerance < 1.
StudyCapacity SearchCapacity(const Scenario& scenario, const CapacitySlo& slo, double tolerance,
                             double start_rate, const StepTimeAdjust& step_times);

// workload.num_requests x `factor` (rounded up), when the workload is bounded by a request count.
void ScaleRequests(double factor, Scenario* scenario);

}  // namespace servesim
