// The plots of a report, one function per kind of input (sim/studies/report_inputs.h). Pure:
// inputs in, Plot descriptions out; drawing is sim/studies/gnuplot.h's job.
#pragma once

#include <string>
#include <vector>

#include "sim/studies/gnuplot.h"
#include "sim/studies/report_inputs.h"

namespace servesim {

struct NamedPlot {
  std::string file;  // SVG file name inside the report directory
  Plot plot;
};

// Latency vs offered load from a capacity curve: one plot per SLO key with its limit and the
// knee (max_rate), plus goodput and throughput vs load.
std::vector<NamedPlot> CapacityPlots(const CapacityCurve& c, int index);
// Latency vs load from a sweep: x is workload.arrival.rate when swept, else the measured request
// throughput; one line per combination of the other varying inputs. With `slo` (a capacity
// result), the plotted statistics are its SLO keys, with their limits and its knee.
std::vector<NamedPlot> SweepPlots(const SweepResults& s, const CapacityCurve* slo, int index);
// CDFs of TTFT, TPOT and E2E latency, one line per requests file.
std::vector<NamedPlot> CdfPlots(const std::vector<RequestLatencies>& files);
// Batch size and KV utilisation over time, one line per replica.
std::vector<NamedPlot> TimelinePlots(const StepTimeline& t, int index);

// "ttft_p99_ms" (an SLO key) -> "p99_ttft_ms" (the Summary JSON key).
std::string SummaryKeyOfSlo(const std::string& slo_key);

}  // namespace servesim
