// ReportInputs: the result files `servesim report` plots, recognised by their content:
//   a sweep directory or its results.csv      -> latency vs load (one line per other input)
//   capacity JSON (servesim capacity --json)  -> latency vs load with SLO lines and the knee
//   per-request CSV (run --requests-csv)      -> latency CDFs
//   Trace Event JSON (run --chrome-trace)     -> batch size and KV utilisation over time
//   scaling JSON (servesim scaling --json)    -> capacity vs linear, USL, losses by cause
//   plan JSON (servesim plan --json)          -> $/hour and $/M tokens per candidate
//   run JSON with "autoscaling" (run --json)  -> replicas over time, SLO attainment per window
// A new kind gets a struct and a vector here, a recogniser in LoadReportInput and a section in
// report.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "sim/studies/chrome_trace.h"

namespace servesim {

struct SweepResults {
  std::string path;                            // the results.csv
  std::vector<std::string> input_keys;         // swept/set keys, in column order
  std::vector<std::string> columns;            // all columns
  std::vector<std::vector<std::string>> rows;  // cells by column
  // Column index of `name`, or -1.
  int Column(const std::string& name) const;
};

struct CapacityCurve {
  std::string path;
  nlohmann::ordered_json doc;  // as written by `servesim capacity --json`
};

struct RequestLatencies {
  std::string path;
  std::vector<double> ttft_ms, tpot_ms, e2el_ms;  // completed requests
  std::vector<double> arrival_s;                  // every measured request (not warm-up)
  // Completed requests as (arrival_s, ttft_ms), in file order.
  std::vector<std::pair<double, double>> ttft_by_arrival;
};

struct StepTimeline {
  std::string path;
  std::vector<TracedStep> steps;
};

// A scaling or plan result, as written by `servesim scaling|plan --json`.
struct StudyJson {
  std::string path;
  nlohmann::ordered_json doc;
};

struct ReportInputs {
  std::vector<SweepResults> sweeps;
  std::vector<CapacityCurve> capacities;
  std::vector<RequestLatencies> requests;
  std::vector<StepTimeline> timelines;
  std::vector<StudyJson> scalings;
  std::vector<StudyJson> plans;
  std::vector<StudyJson> autoscaled_runs;  // run summaries with an "autoscaling" object
};

// Recognises and loads `path` into `inputs`. Throws InputError "PATH: ..." for a file that is
// none of the kinds above, or malformed.
void LoadReportInput(const std::string& path, ReportInputs* inputs);

}  // namespace servesim
