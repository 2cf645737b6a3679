// JsonRowsToCsv: the `--csv FILE` of capacity, scaling and plan. Each row is a JSON object (one
// load point, GPU count or plan option) flattened to dotted columns ("deployment.tp",
// "summary.p99_ttft_ms"); lists of scalars become one cell joined with "; ", lists of objects
// are left out (the JSON has them). The header is fixed by the command before it looks at any
// result (CsvColumnsOf a probe row with every part present), so it is the same for every run of
// the same command line, and a cell is empty where the row has null or no such value. Numbers
// are written as the JSON writes them (shortest round trip), so the CSV and the JSON agree.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/report/summary.h"

namespace servesim {

// The dotted columns of `probe`, in document order (as JsonRowsToCsv flattens a row).
std::vector<std::string> CsvColumnsOf(const nlohmann::ordered_json& probe);

// A summary with every optional part present (latencies with samples, SLO, prefix caching,
// pipeline, expert parallelism, replicas, pools, calibration coverage, preset): its JSON has every
// key SummaryToJson can write, for probe rows.
Summary FullSummaryProbe();

// A header of `columns`, then one line per row. REQUIRES: every non-null scalar leaf of every
// row is one of `columns` (a column the header lacks is our bug: SERVESIM_CHECK).
std::string JsonRowsToCsv(const std::vector<std::string>& columns,
                          const std::vector<nlohmann::ordered_json>& rows);

}  // namespace servesim
