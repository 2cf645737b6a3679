#include "sim/studies/json_csv.h"

#include <map>
#include <utility>

#include "sim/core/check.h"
#include "sim/studies/table_text.h"

namespace servesim {
namespace {

using Json = nlohmann::ordered_json;

std::string Cell(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// The non-null scalar leaves of `j` and its non-empty lists of scalars (joined), nested keys
// joined with '.'. Null and [] are skipped (an empty cell): a list's kind is known only from its
// elements, so probe rows give every list one.
void Flatten(const Json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>* out) {
  for (const auto& [key, value] : j.items()) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.is_null() || (value.is_array() && value.empty())) continue;
    if (value.is_object()) {
      Flatten(value, name, out);
    } else if (value.is_array()) {
      std::string joined;
      bool scalars = true;
      for (const Json& e : value) {
        if (e.is_object() || e.is_array()) scalars = false;
        if (!scalars) break;
        if (!joined.empty()) joined += "; ";
        if (!e.is_null()) joined += Cell(e);
      }
      if (scalars) out->emplace_back(name, joined);
    } else {
      out->emplace_back(name, Cell(value));
    }
  }
}

}  // namespace

std::vector<std::string> CsvColumnsOf(const Json& probe) {
  std::vector<std::pair<std::string, std::string>> flat;
  Flatten(probe, "", &flat);
  std::vector<std::string> columns;
  for (auto& [key, value] : flat) columns.push_back(std::move(key));
  return columns;
}

Summary FullSummaryProbe() {
  Summary s;
  for (LatencyStats* st : {&s.ttft, &s.tpot, &s.itl, &s.e2el}) st->count = 1;
  s.slo_ttft_ms = 0;
  s.slo_tpot_ms = 0;
  s.prefix_caching = true;
  s.pp = 2;
  s.ep = 2;
  s.num_replicas = 2;
  s.replicas.resize(2);
  s.pools.resize(2);
  s.coverage = CoverageLedger{};
  s.preset = "probe";
  return s;
}

std::string JsonRowsToCsv(const std::vector<std::string>& columns, const std::vector<Json>& rows) {
  std::map<std::string, size_t> index;
  std::string csv;
  for (size_t c = 0; c < columns.size(); ++c) {
    SERVESIM_CHECK(index.emplace(columns[c], c).second);
    if (c) csv += ',';
    csv += CsvField(columns[c]);
  }
  csv += '\n';
  for (const Json& row : rows) {
    std::vector<std::pair<std::string, std::string>> flat;
    Flatten(row, "", &flat);
    std::vector<std::string> cells(columns.size());
    for (auto& [key, value] : flat) {
      const auto it = index.find(key);
      SERVESIM_CHECK(it != index.end());  // the command's columns must name every value
      cells[it->second] = std::move(value);
    }
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c) csv += ',';
      csv += CsvField(cells[c]);
    }
    csv += '\n';
  }
  return csv;
}

}  // namespace servesim
