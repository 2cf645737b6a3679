// The tables of a report page, beside the plots: a plan's ranking, a scaling study's capacity
// and losses, a capacity result and its curve, and every point of a sweep with the best point
// per SLO highlighted. Pure: results in, HtmlTable out; RenderTable writes the HTML that the
// page's script makes sortable (a cell's data-v holds the number to sort by).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/studies/report_inputs.h"

namespace servesim {

struct TableCell {
  std::string text;            // shown, escaped when rendered
  std::optional<double> sort;  // the number to sort by; none: sort by the text
  std::string title;           // hover text (e.g. why a deployment is outside validated ground)
};

struct HtmlTable {
  std::string id;       // element id, unique on the page
  std::string caption;  // plain sentences: what the rows are, what is highlighted and why
  std::vector<std::string> headers;  // with units: "capacity (req/s)"
  std::vector<std::vector<TableCell>> rows;
  std::vector<std::string> row_class;  // per row: "", "best" (highlighted) or "muted"
};

std::string RenderTable(const HtmlTable& t);

HtmlTable CapacitySummaryTable(const CapacityCurve& c, int index);
HtmlTable CapacityCurveTable(const CapacityCurve& c, int index);
// Every sweep point. Highlighted: for each SLO the points ran under (their slo_ttft_ms and
// slo_tpot_ms), the point with the highest goodput; with `slo` (a capacity result), the point
// with the highest request throughput whose statistics all meet its limits.
HtmlTable SweepTable(const SweepResults& s, const CapacityCurve* slo, int index);
HtmlTable ScalingTable(const StudyJson& scaling, int index);
HtmlTable PlanTable(const StudyJson& plan, int index);

}  // namespace servesim
