// The plots of a run summary with an autoscaler (`servesim run --json` of a scenario with
// `autoscaler:`): replicas booked and active over time, and how each report window was served.
#pragma once

#include <vector>

#include "sim/studies/report_inputs.h"
#include "sim/studies/report_plots.h"

namespace servesim {

// Empty when the summary has no replica timeline. `index` numbers the SVG files (1, 2, ...).
std::vector<NamedPlot> AutoscalingPlots(const StudyJson& run, int index);

}  // namespace servesim
