// ResultTable: how a sweep's results look on disk. One row per point, keyed by its index
// (`point`), with every input (the overridden dotted keys) and every metric of the point's
// Summary, rendered both as a CSV line and as a JSON line. Columns are fixed before any point
// runs (so shards and resumed runs agree on the header), from the full set of Summary keys.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/config/config_node.h"
#include "sim/report/summary.h"

namespace servesim {

struct ResultRow {
  int64_t point = 0;
  std::string csv;    // one line, with its '\n'
  std::string jsonl;  // one line, with its '\n'
};

class ResultTable {
 public:
  explicit ResultTable(std::vector<std::string> input_keys);

  // "point,<inputs...>,<metrics...>\n".
  std::string CsvHeader() const;
  // Renders point `point`: `inputs` holds the point's overrides (any order).
  ResultRow Render(int64_t point, const std::vector<Override>& inputs, const Summary& s) const;

  // The metric columns: every scalar key SummaryToJson can produce, flattened ("step_time_s.gemm").
  static std::vector<std::string> MetricColumns();

 private:
  std::vector<std::string> input_keys_;
  std::vector<std::string> metric_columns_;
};

// The point index of a results line: the `point` field of a JSON line, the first field of a CSV
// row. Throws InputError "<where>: ..." when the line is not a results row.
int64_t JsonlRowPoint(const std::string& line, const std::string& where);
int64_t CsvRowPoint(const std::string& line, const std::string& where);

}  // namespace servesim
