#include "sim/studies/json_csv.h"

#include <map>
#include <utility>

#include "sim/studies/table_text.h"

namespace servesim {
namespace {

using Json = nlohmann::ordered_json;

std::string Cell(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

void Flatten(const Json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>* out) {
  for (const auto& [key, value] : j.items()) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object()) {
      Flatten(value, name, out);
    } else if (value.is_array()) {
      std::string joined;
      bool scalars = true;
      for (const Json& e : value) {
        if (e.is_object() || e.is_array()) scalars = false;
        if (!scalars) continue;
        if (!joined.empty()) joined += "; ";
        joined += Cell(e);
      }
      if (scalars) out->emplace_back(name, joined);
    } else {
      out->emplace_back(name, Cell(value));
    }
  }
}

}  // namespace

std::string JsonRowsToCsv(const std::vector<Json>& rows) {
  std::vector<std::string> columns;
  std::map<std::string, size_t> index;
  std::vector<std::map<std::string, std::string>> cells(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    std::vector<std::pair<std::string, std::string>> flat;
    Flatten(rows[r], "", &flat);
    for (auto& [key, value] : flat) {
      if (index.emplace(key, columns.size()).second) columns.push_back(key);
      cells[r][key] = std::move(value);
    }
  }
  std::string csv;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (c) csv += ',';
    csv += CsvField(columns[c]);
  }
  csv += '\n';
  for (const auto& row : cells) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c) csv += ',';
      const auto it = row.find(columns[c]);
      if (it != row.end()) csv += CsvField(it->second);
    }
    csv += '\n';
  }
  return csv;
}

}  // namespace servesim
