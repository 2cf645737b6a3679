// The plots of a report, one function per kind of input (sim/studies/report_inputs.h). Pure:
// inputs in, Plot descriptions and their captions out; drawing is sim/studies/gnuplot.h's job.
// Sweeps have their own file (sim/studies/report_sweep_plots.h), so do scaling and plan results
// (sim/studies/report_study_plots.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/studies/gnuplot.h"
#include "sim/studies/report_inputs.h"

namespace servesim {

struct NamedPlot {
  std::string file;  // SVG file name inside the report directory
  Plot plot;
  std::string caption;  // what the plot shows and how to read it, plain sentences
};

// Latency vs offered load from a capacity curve: one plot per SLO key with its limit and the
// knee (max_rate), plus goodput and throughput vs load.
std::vector<NamedPlot> CapacityPlots(const CapacityCurve& c, int index);
// CDFs of TTFT, TPOT and E2E latency, one line per requests file.
std::vector<NamedPlot> CdfPlots(const std::vector<RequestLatencies>& files);
// Load over time, one line per requests file with at least kMinRequestsOverTime measured
// requests: the arrival rate and the p99 TTFT of the requests arriving in each of about 60
// windows of the run (time-varying load, bursts, queues building up and draining).
std::vector<NamedPlot> LoadOverTimePlots(const std::vector<RequestLatencies>& files);
// Batch size and KV utilisation over time, one line per replica.
std::vector<NamedPlot> TimelinePlots(const StepTimeline& t, int index);

// "ttft_p99_ms" (an SLO key) -> "p99_ttft_ms" (the Summary JSON key).
std::string SummaryKeyOfSlo(const std::string& slo_key);
// The statistic limits of a result's "slo" object ({key: limit_ms, ..., "attainment": a}), in
// its order, without "attainment".
std::vector<std::pair<std::string, double>> SloLimits(const nlohmann::ordered_json& slo);
// Log y when the values (and reference lines) are positive and span more than 30x: latency
// near and past the knee grows by orders of magnitude.
void AutoLogY(Plot* p);

}  // namespace servesim
