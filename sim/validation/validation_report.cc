#include "sim/validation/validation_report.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>

#include "sim/config/input_error.h"
#include "sim/studies/table_text.h"
#include "sim/validation/validation_cases.h"
#include "sim/validation/validation_table.h"

namespace servesim {
namespace {

std::string Rate(const ValidationRow& r) {
  return r.request_rate ? fmt::format("{:g}", *r.request_rate) : std::string("inf");
}

// Predictions rounded for files: 6 significant digits (stable text, enough for a %-level check).
double Rounded(double v) { return std::stod(fmt::format("{:.6g}", v)); }

bool Sweep(const ValidationRow& r) { return r.schema == TableSchema::kConcurrency; }

nlohmann::ordered_json RowJson(const ValidationRowResult& r) {
  nlohmann::ordered_json j;
  j["id"] = r.row.id;
  j["table"] = r.row.table;
  if (Sweep(r.row)) {
    j["backend"] = r.row.backend;
    j["backend_version"] = r.row.backend_version;
  }
  j["preset"] = ValidationPreset(r.row);
  j["model"] = r.row.model;
  j["gpu"] = r.row.gpu;
  j["num_gpus"] = r.row.num_gpus;
  j["tp"] = r.row.tp;
  j["pp"] = r.row.pp;
  j["precision"] = r.row.precision;
  j["isl"] = r.row.isl;
  j["osl"] = r.row.osl;
  if (Sweep(r.row)) {
    j["concurrency"] = r.row.concurrency;
  } else {
    j["num_requests"] = r.row.num_requests;
    j["request_rate"] = Rate(r.row);
  }
  j["metric"] = r.row.metric;
  j["measured"] = r.row.measured;
  if (!r.Simulated()) {
    j["predicted"] = nullptr;
    j["rel_error"] = nullptr;
    j["cannot_run"] = r.cannot_run;
    return j;
  }
  j["predicted"] = Rounded(r.predicted);
  j["rel_error"] = Rounded(r.rel_error);
  return j;
}

// Why a row has no prediction.
std::string NotRunNote(const ValidationRowResult& r) { return "cannot run: " + r.cannot_run; }

// "tp=8 precision=fp16".
std::string GroupText(const std::vector<std::pair<std::string, std::string>>& group) {
  std::string text;
  for (const auto& [column, value] : group) {
    text += fmt::format("{}{}={}", text.empty() ? "" : " ", column, value);
  }
  return text;
}

// "rate" column: the offered rate, or the clients of a concurrency sweep ("c64").
std::string Load(const ValidationRow& r) {
  return Sweep(r) ? fmt::format("c{}", r.concurrency) : Rate(r);
}

// "id" column: a sweep row's backend is part of what it is.
std::string Label(const ValidationRow& r) {
  return Sweep(r) ? fmt::format("{} {}", r.backend, ShownValue(r.id, 24)) : r.id;
}

}  // namespace

void PrintValidationRows(const ValidationResult& result, std::ostream& out) {
  fmt::print(out,
             "{:<16} {:<14} {:<14} {:>3} {:>3} {:<5} {:>11} {:>5} {:<19} {:>11} {:>11} {:>8}\n",
             "id", "model", "gpu", "tp", "gpus", "prec", "isl/osl", "load", "metric", "measured",
             "predicted", "error");
  for (const ValidationRowResult& r : result.rows) {
    const ValidationRow& w = r.row;
    if (!r.Simulated()) {
      fmt::print(out, "{:<16} {:<14} {:<14} {:>3} {:>3} {:<5} {:>11} {:>5} {:<19} {:>11.2f} {}\n",
                 Label(w), w.model, w.gpu, w.tp, w.num_gpus, w.precision,
                 fmt::format("{}/{}", w.isl, w.osl), Load(w), w.metric, w.measured, NotRunNote(r));
      continue;
    }
    fmt::print(out,
               "{:<16} {:<14} {:<14} {:>3} {:>3} {:<5} {:>11} {:>5} {:<19} {:>11.2f} {:>11.2f} "
               "{:>+7.1f}%\n",
               Label(w), w.model, w.gpu, w.tp, w.num_gpus, w.precision,
               fmt::format("{}/{}", w.isl, w.osl), Load(w), w.metric, w.measured, r.predicted,
               100 * r.rel_error);
  }
}

void PrintValidationSummary(const std::vector<ValidationSummaryRow>& summary, std::ostream& out) {
  const bool grouped = std::any_of(summary.begin(), summary.end(),
                                   [](const ValidationSummaryRow& s) { return !s.group.empty(); });
  fmt::print(out, "{:<36} {:<19} {:<14} {:>5} {:>9} {:>8} {:>8} {:>8}{}\n", "table", "metric",
             "gpu", "rows", "median|e|", "p90|e|", "max|e|", "bias", grouped ? "  group" : "");
  for (const ValidationSummaryRow& s : summary) {
    fmt::print(out, "{:<36} {:<19} {:<14} {:>5} {:>8.1f}% {:>7.1f}% {:>7.1f}% {:>+7.1f}%{}\n",
               s.table, s.metric, s.gpu, s.stats.count, 100 * s.stats.median_abs,
               100 * s.stats.p90_abs, 100 * s.stats.max_abs, 100 * s.stats.bias,
               s.group.empty() ? "" : "  " + GroupText(s.group));
  }
}

std::vector<std::string> ValidationPresetsUsed(const ValidationResult& result) {
  std::vector<std::string> presets;
  for (const ValidationRowResult& r : result.rows) {
    const std::string p = ValidationPreset(r.row);
    if (std::find(presets.begin(), presets.end(), p) == presets.end()) presets.push_back(p);
  }
  return presets;
}

nlohmann::ordered_json ValidationToJson(const ValidationResult& result,
                                        const std::vector<ValidationSummaryRow>& summary) {
  nlohmann::ordered_json j;
  j["presets"] = ValidationPresetsUsed(result);
  j["seed"] = 1;
  j["cases"] = result.num_cases;
  j["cannot_run_rows"] = result.num_cannot_run;
  j["rows"] = nlohmann::ordered_json::array();
  for (const ValidationRowResult& r : result.rows) j["rows"].push_back(RowJson(r));
  j["summary"] = nlohmann::ordered_json::array();
  for (const ValidationSummaryRow& s : summary) {
    nlohmann::ordered_json e;
    e["table"] = s.table;
    e["metric"] = s.metric;
    e["gpu"] = s.gpu;
    if (!s.group.empty()) {
      e["group"] = nlohmann::ordered_json::object();
      for (const auto& [column, value] : s.group) e["group"][column] = value;
    }
    e["count"] = s.stats.count;
    e["median_abs_error"] = Rounded(s.stats.median_abs);
    e["p90_abs_error"] = Rounded(s.stats.p90_abs);
    e["max_abs_error"] = Rounded(s.stats.max_abs);
    e["bias"] = Rounded(s.stats.bias);
    j["summary"].push_back(e);
  }
  return j;
}

// Concurrency sweeps: one line per (id, metric) with the run's configuration.
std::string SweepCsv(const ValidationResult& result) {
  std::string out =
      "id,backend,model,gpu,tp,concurrency,metric,measured,predicted,rel_error,isl,osl,preset,"
      "source,note\n";
  for (const ValidationRowResult& r : result.rows) {
    const ValidationRow& w = r.row;
    out += fmt::format("{},{},{},{},{},{},{},{},", CsvField(w.id), w.backend, w.model, w.gpu, w.tp,
                       w.concurrency, w.metric, fmt::format("{:.6g}", w.measured));
    out += r.Simulated() ? fmt::format("{:.6g},{:.4f},", r.predicted, r.rel_error) : ",,";
    out += fmt::format("{},{},{},{},{}\n", w.isl, w.osl, ValidationPreset(w), CsvField(w.source),
                       r.Simulated() ? "" : CsvField(NotRunNote(r)));
  }
  return out;
}

void CheckOneCsvSchema(const std::vector<ValidationRow>& rows) {
  for (const ValidationRow& r : rows) {
    if (r.schema != rows.front().schema) {
      throw InputError(
          "--csv: the tables have different schemas (published rows and concurrency sweeps); "
          "write their CSVs in separate runs");
    }
  }
}

std::string ValidationCsv(const ValidationResult& result) {
  std::vector<ValidationRow> rows;
  rows.reserve(result.rows.size());
  for (const ValidationRowResult& r : result.rows) rows.push_back(r.row);
  CheckOneCsvSchema(rows);
  if (!rows.empty() && Sweep(rows.front())) return SweepCsv(result);
  std::string out;
  for (const std::string& c : ValidationColumns()) out += c + ",";
  out += "predicted,rel_error,note\n";
  for (const ValidationRowResult& r : result.rows) {
    for (const std::string& f : r.row.fields) out += CsvField(f) + ",";
    if (!r.Simulated()) {
      out += ",," + CsvField(NotRunNote(r)) + "\n";
      continue;
    }
    out += fmt::format("{:.6g},{:.4f},\n", r.predicted, r.rel_error);
  }
  return out;
}

}  // namespace servesim
