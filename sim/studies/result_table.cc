#include "sim/studies/result_table.h"

#include <fmt/format.h>

#include <map>

#include "sim/config/input_error.h"
#include "sim/config/whole_number.h"
#include "sim/core/check.h"
#include "sim/studies/table_text.h"

namespace servesim {
namespace {

std::string CsvCell(const nlohmann::ordered_json& v) {
  if (v.is_string()) return CsvField(v.get<std::string>());
  if (v.is_null()) return "";
  return CsvField(v.dump());
}

int64_t ParsePoint(const std::string& text, const std::string& where) {
  const std::optional<int64_t> point = ParseWholeNumber(text);
  if (!point || *point < 0) {
    throw InputError(fmt::format("{}: not a results row (point '{}')", where, text));
  }
  return *point;
}

}  // namespace

ResultTable::ResultTable(std::vector<std::string> input_keys)
    : input_keys_(std::move(input_keys)), metric_columns_(MetricColumns()) {}

std::vector<std::string> ResultTable::MetricColumns() {
  Summary probe;  // every optional part present, so that every key appears
  probe.slo_ttft_ms = 0;
  probe.slo_tpot_ms = 0;
  probe.coverage = CoverageLedger{};
  std::vector<std::string> columns;
  for (const auto& [key, value] : FlattenJson(SummaryToJson(probe))) columns.push_back(key);
  return columns;
}

std::string ResultTable::CsvHeader() const {
  std::string line = "point";
  for (const std::vector<std::string>* keys : {&input_keys_, &metric_columns_}) {
    for (const std::string& k : *keys) {
      line += ',';
      line += CsvField(k);
    }
  }
  line += '\n';
  return line;
}

ResultRow ResultTable::Render(int64_t point, const std::vector<Override>& inputs,
                              const Summary& s) const {
  std::map<std::string, std::string> by_key;
  for (const Override& o : inputs) by_key[o.key] = o.value;
  ResultRow row;
  row.point = point;
  nlohmann::ordered_json in = nlohmann::ordered_json::object();
  row.csv = fmt::format("{}", point);
  for (const std::string& k : input_keys_) {
    const auto it = by_key.find(k);
    SERVESIM_CHECK(it != by_key.end());
    in[k] = YamlTextToJson(it->second);
    row.csv += ',';
    row.csv += CsvField(it->second);
  }
  const nlohmann::ordered_json metrics = SummaryToJson(s);
  std::map<std::string, nlohmann::ordered_json> flat;
  for (auto& [key, value] : FlattenJson(metrics)) flat.emplace(key, value);
  for (const std::string& k : metric_columns_) {
    const auto it = flat.find(k);
    row.csv += ',';
    if (it != flat.end()) row.csv += CsvCell(it->second);
  }
  nlohmann::ordered_json j;
  j["point"] = point;
  j["inputs"] = std::move(in);
  j["metrics"] = metrics;
  row.jsonl = j.dump() + "\n";
  row.csv += '\n';
  SERVESIM_CHECK(row.csv.find('\n') == row.csv.size() - 1);
  return row;
}

int64_t JsonlRowPoint(const std::string& line, const std::string& where) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("point") || !j["point"].is_number_integer()) {
    throw InputError(fmt::format("{}: not a results row (no integer \"point\")", where));
  }
  const int64_t point = j["point"].get<int64_t>();
  if (point < 0) throw InputError(fmt::format("{}: not a results row (point {})", where, point));
  return point;
}

int64_t CsvRowPoint(const std::string& line, const std::string& where) {
  return ParsePoint(line.substr(0, line.find(',')), where);
}

}  // namespace servesim
