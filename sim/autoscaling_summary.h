// The autoscaling part of a run's Summary: GPU-hours booked against what static peak
// provisioning (max_replicas all along) books, the replica timeline, and how each report window
// of the run was served (SLO attainment, p99 TTFT, replicas). Filled only for runs with an
// autoscaler, so that the output of every other run is unchanged.
#pragma once

#include "sim/config/scenario.h"
#include "sim/core/time.h"
#include "sim/report/summary.h"
#include "sim/serving/autoscaler.h"
#include "sim/serving/request.h"

namespace servesim {

// `end`: the run's end, its last completion (the span the engine statistics cover).
void SummarizeAutoscaling(const Autoscaler& autoscaler, const Scenario& scenario,
                          const RequestTable& requests, SimTime end, Summary* s);

}  // namespace servesim
