// BuildReport: `servesim report RESULTS... --html DIR`. Loads every result file first (so bad
// input writes nothing), draws the plots with gnuplot into DIR/*.svg, and writes DIR/index.html
// that shows them with a short table per capacity result.
#pragma once

#include <string>
#include <vector>

namespace servesim {

struct ReportOutput {
  std::string html;               // DIR/index.html
  std::vector<std::string> svgs;  // paths, in page order
};

ReportOutput BuildReport(const std::vector<std::string>& inputs, const std::string& out_dir);

}  // namespace servesim
