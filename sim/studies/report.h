// BuildReport: `servesim report RESULTS... --html DIR [--force]`. Loads every result file first
// (so bad input writes nothing), draws the plots with gnuplot and writes index.html (tables,
// figures, captions) into a fresh directory beside DIR, then renames it to DIR: a failure
// leaves no half-written report. An existing non-empty DIR is refused unless `force`, and even
// then only when it holds a previous report (an index.html written by servesim report), whose
// files are then replaced.
#pragma once

#include <string>
#include <vector>

namespace servesim {

struct ReportOptions {
  bool force = false;  // replace a previous report in the output directory
};

struct ReportOutput {
  std::string html;               // DIR/index.html
  std::vector<std::string> svgs;  // paths, in page order
};

ReportOutput BuildReport(const std::vector<std::string>& inputs, const std::string& out_dir,
                         const ReportOptions& options = {});

}  // namespace servesim
