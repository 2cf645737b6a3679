// The plots of a sweep in a report (sim/studies/report_inputs.h). Pure: the rows of a
// results.csv in, Plot descriptions and captions out.
//   against the load (x: workload.arrival.rate when swept, else the measured request
//   throughput), one line per combination of the other varying inputs: the SLO statistics (or
//   p99 TTFT and TPOT), request throughput, goodput and SLO attainment;
//   on a 2-D grid (the varying inputs fall into two independent dimensions; zipped keys count
//   as one): heatmaps of goodput and p99 TTFT.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/studies/report_inputs.h"
#include "sim/studies/report_plots.h"

namespace servesim {

// The input columns of `s` that take more than one value, in column order.
std::vector<int> VaryingInputs(const SweepResults& s);

// A sweep whose varying inputs form a complete 2-D grid: two dimensions (each one or more
// columns that vary together, like a zip group), every combination present exactly once.
struct SweepGrid {
  std::vector<int> x_columns, y_columns;        // the columns of each dimension
  std::vector<std::string> x_values, y_values;  // axis labels, in order of first appearance
  std::vector<std::vector<size_t>> row;         // [y][x] -> row index of s.rows
};
std::optional<SweepGrid> FindSweepGrid(const SweepResults& s);

// The plots of a sweep. With `slo` (a capacity result), the latency plots are its SLO keys,
// with their limits and its knee.
std::vector<NamedPlot> SweepPlots(const SweepResults& s, const CapacityCurve* slo, int index);

// The sweep's own SLO (the slo_ttft_ms and slo_tpot_ms columns) as words: "TTFT ≤ 1000 ms and
// TPOT ≤ 50 ms per request", "each point's own targets (...)" when they differ, "" without one.
std::string SweepSloText(const SweepResults& s);

// The cell as a number, NaN when empty or not a number.
double SweepNumber(const std::string& cell);

}  // namespace servesim
