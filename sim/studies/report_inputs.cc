#include "sim/studies/report_inputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "sim/config/input_error.h"
#include "sim/studies/result_table.h"
#include "sim/studies/table_text.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

void LoadSweep(const std::string& path, const std::vector<std::string>& lines,
               ReportInputs* inputs) {
  SweepResults r;
  r.path = path;
  r.columns = SplitCsvLine(lines[0]);
  const std::vector<std::string> metrics = ResultTable::MetricColumns();
  const std::set<std::string> metric_set(metrics.begin(), metrics.end());
  for (size_t c = 1; c < r.columns.size() && !metric_set.count(r.columns[c]); ++c) {
    r.input_keys.push_back(r.columns[c]);
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    r.rows.push_back(SplitCsvLine(lines[i]));
    if (r.rows.back().size() != r.columns.size()) {
      throw InputError(fmt::format("{}:{}: {} fields, the header has {}", path, i + 1,
                                   r.rows.back().size(), r.columns.size()));
    }
  }
  inputs->sweeps.push_back(std::move(r));
}

double ParseCell(const std::string& cell, const std::string& where) {
  try {
    size_t used = 0;
    const double v = std::stod(cell, &used);
    if (used == cell.size()) return v;
  } catch (const std::exception&) {
  }
  throw InputError(fmt::format("{}: expected a number, got '{}'", where, cell));
}

void LoadRequests(const std::string& path, const std::vector<std::string>& lines,
                  ReportInputs* inputs) {
  const std::vector<std::string> header = SplitCsvLine(lines[0]);
  const auto col = [&](const char* name) {
    return std::find(header.begin(), header.end(), name) - header.begin();
  };
  const size_t ttft = col("ttft_ms"), tpot = col("tpot_ms"), e2el = col("e2el_ms");
  const size_t status = col("status"), arrival = col("arrival_s");
  if (ttft == header.size() || tpot == header.size() || e2el == header.size()) {
    throw InputError(fmt::format("{}: a requests CSV needs ttft_ms, tpot_ms, e2el_ms", path));
  }
  RequestLatencies r;
  r.path = path;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> f = SplitCsvLine(lines[i]);
    const std::string where = fmt::format("{}:{}", path, i + 1);
    if (f.size() != header.size()) throw InputError(fmt::format("{}: wrong field count", where));
    if (status < f.size() && f[status] == "warmup") continue;  // not in the run's statistics
    const double arrival_s = arrival < f.size() ? ParseCell(f[arrival], where) : 0.0;
    if (arrival < f.size()) r.arrival_s.push_back(arrival_s);
    if (f[ttft].empty()) continue;  // rejected or unfinished
    r.ttft_ms.push_back(ParseCell(f[ttft], where));
    if (arrival < f.size()) r.ttft_by_arrival.emplace_back(arrival_s, r.ttft_ms.back());
    r.e2el_ms.push_back(ParseCell(f[e2el], where));
    if (!f[tpot].empty()) r.tpot_ms.push_back(ParseCell(f[tpot], where));
  }
  inputs->requests.push_back(std::move(r));
}

void LoadCsv(const std::string& path, ReportInputs* inputs) {
  std::string tail;
  const std::vector<std::string> lines = CompleteLines(ReadWholeFile(path), &tail);
  if (lines.empty()) throw InputError(fmt::format("{}: empty file", path));
  if (lines[0].rfind("point,", 0) == 0) return LoadSweep(path, lines, inputs);
  if (lines[0].rfind("id,arrival_s,", 0) == 0) return LoadRequests(path, lines, inputs);
  throw InputError(fmt::format(
      "{}: not a sweep results.csv (header 'point,...') or a --requests-csv file (header "
      "'id,arrival_s,...')",
      path));
}

void LoadJson(const std::string& path, ReportInputs* inputs) {
  const nlohmann::ordered_json j =
      nlohmann::ordered_json::parse(ReadWholeFile(path), nullptr, false);
  if (j.is_discarded()) throw InputError(fmt::format("{}: not valid JSON", path));
  if (j.is_object() && j.contains("traceEvents")) {
    inputs->timelines.push_back({path, ReadTracedSteps(j, path)});
    return;
  }
  if (j.is_object() && j.contains("max_rate") && j.contains("curve")) {
    inputs->capacities.push_back({path, j});
    return;
  }
  if (j.is_object() && j.contains("points") && j.contains("usl") && j["points"].is_array()) {
    inputs->scalings.push_back({path, j});
    return;
  }
  if (j.is_object() && j.contains("options") && j.contains("target") && j["options"].is_array()) {
    inputs->plans.push_back({path, j});
    return;
  }
  if (j.is_object() && j.contains("autoscaling") && j["autoscaling"].is_object()) {
    inputs->autoscaled_runs.push_back({path, j});
    return;
  }
  throw InputError(
      fmt::format("{}: not a capacity result (\"max_rate\", \"curve\"), a trace "
                  "(\"traceEvents\"), a scaling result (\"points\", \"usl\"), a plan "
                  "(\"options\", \"target\") or an autoscaled run (\"autoscaling\")",
                  path));
}

}  // namespace

int SweepResults::Column(const std::string& name) const {
  const auto it = std::find(columns.begin(), columns.end(), name);
  return it == columns.end() ? -1 : static_cast<int>(it - columns.begin());
}

void LoadReportInput(const std::string& path, ReportInputs* inputs) {
  if (fs::is_directory(path)) return LoadCsv((fs::path(path) / "results.csv").string(), inputs);
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".csv") return LoadCsv(path, inputs);
  if (ext == ".json") return LoadJson(path, inputs);
  throw InputError(fmt::format(
      "{}: expected a sweep directory, a .csv (sweep results or requests) or a .json (capacity, "
      "trace, scaling or plan)",
      path));
}

}  // namespace servesim
