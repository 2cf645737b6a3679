// The HTML page of a report (sim/studies/report.h): sections of tables and figures with their
// captions, a style sheet and a small inline script that sorts every table by a clicked column
// (`index.html#sort=TABLE_ID:COLUMN[:desc]` sorts on load). Self-contained: no network
// resources, only the SVG files beside it.
#pragma once

#include <string>
#include <vector>

#include "sim/studies/report_plots.h"
#include "sim/studies/report_tables.h"

namespace servesim {

// The marker of a page written by `servesim report` (what --force looks for before it clears a
// directory).
inline constexpr const char* kReportGenerator =
    "<meta name=\"generator\" content=\"servesim report\">";

struct ReportSection {
  std::string id;     // anchor ("section-...": distinct from the tables' ids)
  std::string title;  // the h2
  std::string intro;  // plain sentences, may be empty
  std::vector<HtmlTable> tables;
  std::vector<NamedPlot> plots;  // drawn ones only
};

std::string ReportPage(const std::vector<std::string>& inputs,
                       const std::vector<ReportSection>& sections);

}  // namespace servesim
