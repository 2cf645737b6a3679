// The --csv of capacity, scaling and plan: a fixed header per command line, one row per load
// point / GPU count / option, and cells equal to the values of the --json of the same run; the
// flattening itself (sim/studies/json_csv.h); a bad --csv path writes nothing (exit code 2).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/studies/capacity_study.h"
#include "sim/studies/json_csv.h"
#include "sim/studies/plan_report.h"
#include "sim/studies/scaling_report.h"
#include "sim/studies/slo.h"
#include "sim/studies/table_text.h"
#include "tests/sim/studies/study_test_util.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

struct Csv {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
};

// Parses a study CSV (no newline inside a field); every line must have the header's width.
Csv ParseCsv(const std::string& text) {
  Csv csv;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  csv.header = SplitCsvLine(line);
  while (std::getline(lines, line)) {
    const std::vector<std::string> fields = SplitCsvLine(line);
    EXPECT_EQ(fields.size(), csv.header.size()) << line;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < fields.size() && i < csv.header.size(); ++i) {
      row[csv.header[i]] = fields[i];
    }
    csv.rows.push_back(std::move(row));
  }
  return csv;
}

std::string Joined(const std::vector<std::string>& columns) {
  std::string line;
  for (const std::string& c : columns) line += (line.empty() ? "" : ",") + c;
  return line;
}

// Every scalar leaf of `j` (below `prefix`) equals its CSV cell: numbers as numbers (the same
// double), strings and booleans as text, null as an empty cell. Returns how many were compared.
int ExpectCellsMatch(const std::map<std::string, std::string>& row, const Json& j,
                     const std::string& prefix) {
  int compared = 0;
  for (const auto& [key, value] : j.items()) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object()) {
      compared += ExpectCellsMatch(row, value, name);
      continue;
    }
    if (value.is_array()) continue;
    if (value.is_null() && !row.count(name)) {  // a null object: its columns are empty
      bool any = false;
      for (const auto& [column, cell] : row) {
        if (column.rfind(name + ".", 0) != 0) continue;
        any = true;
        EXPECT_EQ(cell, "") << column;
      }
      EXPECT_TRUE(any) << "no column " << name;
      continue;
    }
    const auto it = row.find(name);
    if (it == row.end()) {
      ADD_FAILURE() << "no column " << name;
      continue;
    }
    ++compared;
    if (value.is_null()) {
      EXPECT_EQ(it->second, "") << name;
    } else if (value.is_number()) {
      EXPECT_EQ(std::stod(it->second), value.get<double>()) << name;
    } else if (value.is_boolean()) {
      EXPECT_EQ(it->second, value.get<bool>() ? "true" : "false") << name;
    } else {
      EXPECT_EQ(it->second, value.get<std::string>()) << name;
    }
  }
  return compared;
}

TEST(JsonCsvTest, FixedHeaderNullsEmptyListsJoinedAndQuoted) {
  const Json probe =
      Json::parse(R"({"a": 0, "b": {"x": 0, "y": "s"}, "l": ["x"], "objs": [{"k": 1}], "n": 0})");
  const std::vector<std::string> columns = CsvColumnsOf(probe);
  EXPECT_EQ(Joined(columns), "a,b.x,b.y,l,n");
  const std::vector<Json> rows = {
      Json::parse(R"({"n": 1.5, "a": 2, "b": {"x": 0.1, "y": "p, \"q\""}, "l": ["u", 3]})"),
      Json::parse(R"({"a": null, "b": null, "l": [], "objs": [], "n": true})")};
  EXPECT_EQ(JsonRowsToCsv(columns, rows),
            "a,b.x,b.y,l,n\n"
            "2,0.1,\"p, \"\"q\"\"\",u; 3,1.5\n"
            ",,,,true\n");
  EXPECT_EQ(JsonRowsToCsv(columns, {}), "a,b.x,b.y,l,n\n");
}

TEST(JsonCsvTest, AColumnTheHeaderLacksIsABug) {
  EXPECT_DEATH(JsonRowsToCsv({"a"}, {Json::parse(R"({"a": 1, "b": 2})")}), "");
}

class StudyCsvTest : public testing::ScratchDirTest {};

TEST_F(StudyCsvTest, CapacityRowsAreTheSimulatedRatesWithTheJsonValues) {
  const fs::path scenario = Write("s.yaml", testing::kSmallScenario);
  const std::string json = (dir_ / "cap.json").string(), csv = (dir_ / "cap.csv").string();
  const std::string cmd = "capacity " + scenario.string() +
                          " --slo ttft_p99_ms=500,tpot_p99_ms=30 --tolerance 0.05 --quiet";
  const auto o = Servesim(cmd + " --json " + json + " --csv " + csv);
  ASSERT_EQ(o.code, 0) << o.err;
  const Json j = Json::parse(testing::Slurp(json));
  const std::string text = testing::Slurp(csv);
  const Csv c = ParseCsv(text);
  EXPECT_EQ(
      Joined(c.header),
      Joined(CapacityCsvColumns(ParseCapacitySlo("ttft_p99_ms=500,tpot_p99_ms=30", std::nullopt))));
  EXPECT_EQ(text.rfind("rate,holds,slo_met,in_search,in_curve,max_rate,fail_rate,"
                       "slo.ttft_p99_ms.limit_ms,slo.ttft_p99_ms.value_ms,slo.ttft_p99_ms.pass,"
                       "slo.tpot_p99_ms.limit_ms,slo.tpot_p99_ms.value_ms,slo.tpot_p99_ms.pass,"
                       "steady_state.steady,",
                       0),
            0u)
      << text;
  // One row per distinct simulated rate (search and curve), ascending.
  std::map<double, std::pair<bool, bool>> rates;  // rate -> (in search, in curve)
  for (const Json& p : j["search"]) rates[p["rate"].get<double>()].first = true;
  for (const Json& p : j["curve"]) rates[p["rate"].get<double>()].second = true;
  ASSERT_EQ(c.rows.size(), rates.size());
  auto rate = rates.begin();
  int max_rows = 0, fail_rows = 0;
  for (const auto& row : c.rows) {
    EXPECT_EQ(std::stod(row.at("rate")), rate->first);
    EXPECT_EQ(row.at("in_search"), rate->second.first ? "true" : "false");
    EXPECT_EQ(row.at("in_curve"), rate->second.second ? "true" : "false");
    ++rate;
    // Each SLO term says whether it passed; slo_met is all of them.
    const bool all_pass =
        row.at("slo.ttft_p99_ms.pass") == "true" && row.at("slo.tpot_p99_ms.pass") == "true";
    EXPECT_EQ(row.at("slo_met"), all_pass ? "true" : "false") << row.at("rate");
    EXPECT_EQ(row.at("slo.ttft_p99_ms.value_ms"), row.at("metrics.p99_ttft_ms"));
    EXPECT_EQ(row.at("slo.ttft_p99_ms.limit_ms"), "500.0");
    if (row.at("max_rate") == "true") {
      ++max_rows;
      EXPECT_EQ(std::stod(row.at("rate")), j["max_rate"].get<double>());
      EXPECT_EQ(row.at("holds"), "true");
      EXPECT_GT(ExpectCellsMatch(row, j["summary"], "metrics"), 40);
      ExpectCellsMatch(row, j["steady_state"], "steady_state");
      EXPECT_EQ(std::stod(row.at("metrics.goodput")), j["goodput"].get<double>());
    }
    if (row.at("fail_rate") == "true") {
      ++fail_rows;
      EXPECT_EQ(std::stod(row.at("rate")), j["fail_rate"].get<double>());
      EXPECT_EQ(row.at("holds"), "false");
      // What limits the capacity: a failed SLO term, or a backlog that kept growing.
      EXPECT_TRUE(!all_pass || row.at("steady_state.steady") == "false");
    }
  }
  EXPECT_EQ(max_rows, 1);
  EXPECT_EQ(fail_rows, 1);
  // The curve points' full summaries and verdicts are in their rows.
  for (const Json& p : j["curve"]) {
    for (const auto& row : c.rows) {
      if (std::stod(row.at("rate")) != p["rate"].get<double>()) continue;
      EXPECT_EQ(row.at("holds"), p["holds"].get<bool>() ? "true" : "false");
      EXPECT_GT(ExpectCellsMatch(row, p["metrics"], "metrics"), 40);
    }
  }
  // Deterministic: the same command writes the same bytes.
  ASSERT_EQ(Servesim(cmd + " --csv " + csv + ".2").code, 0);
  EXPECT_EQ(testing::Slurp(csv + ".2"), text);
}

TEST_F(StudyCsvTest, CapacityWithAttainmentHasOneAttainmentTerm) {
  const fs::path scenario = Write("s.yaml", testing::kSmallScenario);
  const auto o = Servesim("capacity " + scenario.string() +
                          " --slo ttft_p99_ms=500,tpot_p99_ms=30 --attainment 0.9 --tolerance 0.1"
                          " --quiet --csv -");
  ASSERT_EQ(o.code, 0) << o.err;
  const Csv c = ParseCsv(o.out);
  EXPECT_EQ(o.out.rfind("rate,holds,slo_met,in_search,in_curve,max_rate,fail_rate,"
                        "slo.attainment.limit,slo.attainment.value,slo.attainment.pass,"
                        "steady_state.steady,",
                        0),
            0u)
      << o.out;
  ASSERT_FALSE(c.rows.empty());
  for (const auto& row : c.rows) {
    EXPECT_EQ(row.at("slo.attainment.value"), row.at("metrics.slo_attainment"));
    EXPECT_EQ(row.at("slo_met"), row.at("slo.attainment.pass"));
  }
}

TEST_F(StudyCsvTest, ScalingRowsAreTheGpuCountsWithTheJsonValues) {
  const fs::path scenario = Write("s.yaml", testing::kSmallScenario);
  const std::string json = (dir_ / "s.json").string(), csv = (dir_ / "s.csv").string();
  const auto o = Servesim("scaling " + scenario.string() +
                          " --gpus 1,2 --strategies tp,dp --slo ttft_p99_ms=500,tpot_p99_ms=30"
                          " --tolerance 0.1 -j 2 --quiet --json " +
                          json + " --csv " + csv);
  ASSERT_EQ(o.code, 0) << o.err;
  const Json j = Json::parse(testing::Slurp(json));
  const Csv c = ParseCsv(testing::Slurp(csv));
  EXPECT_EQ(Joined(c.header), Joined(ScalingCsvColumns()));
  ASSERT_EQ(c.rows.size(), j["points"].size() + j["extrapolated"].size());
  for (size_t i = 0; i < j["points"].size(); ++i) {
    const Json& p = j["points"][i];
    const auto& row = c.rows[i];
    EXPECT_EQ(row.at("extrapolated"), "false");
    Json flat = p;
    flat.erase("candidates");
    EXPECT_GT(ExpectCellsMatch(row, flat, ""), 60);
    for (const char* cause : {"communication", "pipeline_bubbles", "kv_limited_batch",
                              "compute_saturation", "queueing", "routing_imbalance"}) {
      EXPECT_EQ(std::stod(row.at(std::string("loss.") + cause)), p["loss"][cause].get<double>());
    }
  }
  for (size_t i = 0; i < j["extrapolated"].size(); ++i) {
    const auto& row = c.rows[j["points"].size() + i];
    EXPECT_EQ(row.at("extrapolated"), "true");
    EXPECT_EQ(row.at("deployment.name"), "");
    ExpectCellsMatch(row, j["extrapolated"][i], "");
  }
}

TEST_F(StudyCsvTest, PlanRowsAreTheOptionsWithTheJsonValuesAndWhyOneIsInfeasible) {
  Write("base.yaml", std::string(testing::kSmallScenario) + "engine: {max_model_len: 4096}\n");
  // The L40S may use a fifth of its 48 GiB: less than the 16 GB of weights, so no shape fits.
  const fs::path plan = Write("plan.yaml",
                              "scenario: base.yaml\n"
                              "slo: {ttft_p99_ms: 1000, tpot_p99_ms: 50}\n"
                              "target: {request_rate: 10, peak_factor: 1.5}\n"
                              "max_gpus_per_replica: 1\n"
                              "sensitivity: {step_time_scales: []}\n"
                              "candidates:\n"
                              "  - gpu: h100-sxm-80gb\n"
                              "  - gpu: l40s-48gb\n"
                              "    set: {engine.gpu_memory_utilization: 0.2}\n");
  const std::string json = (dir_ / "p.json").string(), csv = (dir_ / "p.csv").string();
  const auto o =
      Servesim("plan " + plan.string() + " -j 2 --quiet --json " + json + " --csv " + csv);
  ASSERT_EQ(o.code, 0) << o.err;
  const Json j = Json::parse(testing::Slurp(json));
  const Csv c = ParseCsv(testing::Slurp(csv));
  EXPECT_EQ(Joined(c.header), Joined(PlanCsvColumns()));
  ASSERT_EQ(c.rows.size(), 2u);
  ASSERT_EQ(j["options"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    Json flat = j["options"][i];
    flat.erase("shapes");
    flat.erase("engine_variants");
    ExpectCellsMatch(c.rows[i], flat, "");
  }
  const auto& best = c.rows[0];
  EXPECT_EQ(best.at("rank"), "1");
  EXPECT_EQ(best.at("gpu"), "h100-sxm-80gb");
  EXPECT_EQ(best.at("feasible"), "true");
  EXPECT_EQ(best.at("infeasible_reason"), "");
  EXPECT_EQ(best.at("verified.holds"), "true");
  EXPECT_EQ(std::stod(best.at("cost_per_hour")), j["options"][0]["cost_per_hour"].get<double>());
  EXPECT_NE(best.at("deployment.name"), "");
  const auto& none = c.rows[1];
  EXPECT_EQ(none.at("feasible"), "false");
  EXPECT_EQ(none.at("rank"), "");
  EXPECT_EQ(none.at("cost_per_hour"), "");
  const std::string skipped = j["options"][1]["shapes"][0]["skipped"].get<std::string>();
  EXPECT_EQ(none.at("infeasible_reason").rfind("no deployment meets the SLO: " + skipped, 0), 0u)
      << none.at("infeasible_reason");
}

TEST_F(StudyCsvTest, ACsvPathThatCannotBeWrittenWritesNothing) {
  const fs::path scenario = Write("s.yaml", testing::kSmallScenario);
  const std::string json = (dir_ / "cap.json").string();
  const std::string csv = (dir_ / "missing_dir" / "cap.csv").string();
  const auto o =
      Servesim("capacity " + scenario.string() +
               " --slo ttft_p99_ms=500 --tolerance 0.2 --quiet --json " + json + " --csv " + csv);
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err.rfind("servesim: error: " + csv, 0), 0u) << o.err;
  EXPECT_EQ(o.out, "");
  EXPECT_FALSE(fs::exists(json));  // all or nothing
  // Both on stdout is refused before any simulation.
  const auto both =
      Servesim("capacity " + scenario.string() + " --slo ttft_p99_ms=500 --quiet --json - --csv -");
  EXPECT_EQ(both.code, 2);
  EXPECT_EQ(both.err, "servesim: error: --json - and --csv -: only one of them can go to stdout\n");
  EXPECT_EQ(both.out, "");
}

}  // namespace
}  // namespace servesim
