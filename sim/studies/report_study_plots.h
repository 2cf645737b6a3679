// The plots of scaling and plan results in a report (sim/studies/report_inputs.h). Pure: the
// JSON written by `servesim scaling|plan --json` in, Plot descriptions out.
//   scaling: capacity vs GPU count with linear scaling and the USL fit (dashed beyond the
//            largest simulated count: extrapolated); lost req/s by cause as stacked bars.
//   plan:    $/hour and $ per million output tokens per candidate (bars, ranked), with the
//            sensitivity runs (step times x factor) as points.
#pragma once

#include <vector>

#include "sim/studies/report_inputs.h"
#include "sim/studies/report_plots.h"

namespace servesim {

std::vector<NamedPlot> ScalingPlots(const StudyJson& scaling, int index);
std::vector<NamedPlot> PlanPlots(const StudyJson& plan, int index);

}  // namespace servesim
