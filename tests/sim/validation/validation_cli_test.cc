// End-to-end tests of `servesim validate` and `servesim compare`: exit codes, output files, and
// the exact error text for bad input (nothing is written when a command fails).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/studies/table_text.h"
#include "tests/util/binary_test.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

using test_util::Outcome;
using test_util::Slurp;

class ValidationCliTest : public test_util::BinaryTest {};

const char* kTable =
    "id,model,gpu,num_gpus,tp,pp,precision,isl,osl,num_requests,request_rate,metric,measured,"
    "source\n"
    "a,llama-3.1-8b,h100-sxm-80gb,1,1,1,fp8,128,128,50,inf,output_throughput,9000,\"x, y\"\n"
    "b,llama-3.1-8b,h100-sxm-80gb,1,1,1,bf16,200,50,40,4,mean_itl_ms,8,z\n";

TEST_F(ValidationCliTest, WritesCsvAndJsonAndPrintsTheSummary) {
  const fs::path table = Write("t.csv", kTable);
  const fs::path csv = dir_ / "rows.csv", json = dir_ / "rows.json";
  const Outcome o = Run("validate " + table.string() + " -j 2 --csv " + csv.string() + " --json " +
                        json.string());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("2 rows, 2 simulations (trtllm-0.13 preset, seed 1)"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("output_throughput"), std::string::npos);
  const std::string rows = Slurp(csv);
  EXPECT_EQ(rows.rfind("id,model,gpu,num_gpus,tp,pp,precision,isl,osl,num_requests,request_rate,"
                       "metric,measured,source,predicted,rel_error,note\n"
                       "a,llama-3.1-8b,h100-sxm-80gb,1,1,1,fp8,128,128,50,inf,output_throughput,"
                       "9000,\"x, y\",",
                       0),
            0u)
      << rows;
  EXPECT_EQ(std::count(rows.begin(), rows.end(), '\n'), 3);
  const auto j = nlohmann::json::parse(Slurp(json));
  EXPECT_EQ(j["rows"].size(), 2u);
  EXPECT_EQ(j["rows"][1]["metric"], "mean_itl_ms");
  EXPECT_EQ(j["summary"].size(), 2u);
}

// --csv has one row per table row, in order, with the JSON's values: the inputs as written,
// `predicted` (6 significant digits in both) and `rel_error` (4 decimals in the CSV, 6
// significant digits in the JSON). A --csv path that cannot be written: exit 2, no file.
TEST_F(ValidationCliTest, CsvRowsAgreeWithTheJsonRows) {
  const fs::path table = Write("t.csv", kTable);
  const fs::path csv = dir_ / "rows.csv", json = dir_ / "rows.json";
  const Outcome o = Run("validate " + table.string() + " --quiet --csv " + csv.string() +
                        " --json " + json.string());
  ASSERT_EQ(o.code, 0) << o.err;
  const auto j = nlohmann::json::parse(Slurp(json));
  std::istringstream lines(Slurp(csv));
  std::string line;
  std::getline(lines, line);
  const std::vector<std::string> header = SplitCsvLine(line);
  size_t i = 0;
  for (; std::getline(lines, line); ++i) {
    ASSERT_LT(i, j["rows"].size());
    const nlohmann::json& row = j["rows"][i];
    const std::vector<std::string> fields = SplitCsvLine(line);
    ASSERT_EQ(fields.size(), header.size()) << line;
    std::map<std::string, std::string> cell;
    for (size_t c = 0; c < header.size(); ++c) cell[header[c]] = fields[c];
    for (const char* key : {"id", "model", "gpu", "precision", "request_rate", "metric"}) {
      EXPECT_EQ(cell[key], row[key].get<std::string>()) << key;
    }
    for (const char* key :
         {"num_gpus", "tp", "pp", "isl", "osl", "num_requests", "measured", "predicted"}) {
      EXPECT_EQ(std::stod(cell[key]), row[key].get<double>()) << key;
    }
    EXPECT_NEAR(std::stod(cell["rel_error"]), row["rel_error"].get<double>(), 0.5e-4);
    EXPECT_EQ(cell["note"], "");
  }
  EXPECT_EQ(i, j["rows"].size());
  const fs::path bad = dir_ / "missing_dir" / "rows.csv", json2 = dir_ / "rows2.json";
  const Outcome b = Run("validate " + table.string() + " --quiet --csv " + bad.string() +
                        " --json " + json2.string());
  EXPECT_EQ(b.code, 2);
  EXPECT_EQ(b.err.rfind("servesim: error: " + bad.string(), 0), 0u) << b.err;
  EXPECT_FALSE(fs::exists(json2));
}

// A 70B model in bf16 on one 80 GB GPU does not fit: the row is reported, not an error.
TEST_F(ValidationCliTest, RowTheModelCannotRunIsReportedNotFatal) {
  const fs::path table =
      Write("t.csv", std::string(kTable) +
                         "c,llama-3.1-70b,h100-sxm-80gb,1,1,1,bf16,128,128,10,inf,"
                         "output_throughput,1000,s\n");
  const fs::path csv = dir_ / "rows.csv", json = dir_ / "rows.json";
  const Outcome o = Run("validate " + table.string() + " --quiet --by tp --csv " + csv.string() +
                        " --json " + json.string());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("3 rows, 2 simulations (trtllm-0.13 preset, seed 1); 1 row the model cannot "
                       "run (not in the summary)\ncannot run (1 row): model: llama-3.1-70b does "
                       "not fit on h100-sxm-80gb: weights need"),
            std::string::npos)
      << o.out;
  EXPECT_NE(Slurp(csv).find(",output_throughput,1000,s,,,cannot run: model: llama-3.1-70b does not "
                            "fit on h100-sxm-80gb: weights need"),
            std::string::npos)
      << Slurp(csv);
  const auto j = nlohmann::json::parse(Slurp(json));
  EXPECT_EQ(j["cannot_run_rows"], 1);
  EXPECT_TRUE(j["rows"][2]["predicted"].is_null());
  EXPECT_NE(j["rows"][2]["cannot_run"].get<std::string>().find("does not fit"), std::string::npos);
  for (const auto& s : j["summary"]) EXPECT_EQ(s["count"], 1) << s.dump();  // a, b; never c
}

TEST_F(ValidationCliTest, MalformedTableExitsWithTwoAndWritesNothing) {
  const fs::path table =
      Write("t.csv", std::string(kTable) +
                         "c,llama-3.1-8b,h100-sxm-80gb,1,x,1,fp8,1,1,1,inf,mean_itl_ms,1,s\n");
  const Outcome o = Run("validate " + table.string() + " --csv " + (dir_ / "rows.csv").string());
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: " + table.string() +
                       ":4: column 'tp': expected an integer in [1, 1000000000], got 'x'\n");
  EXPECT_FALSE(fs::exists(dir_ / "rows.csv"));
  EXPECT_EQ(Run("validate").code, 2);
}

const std::string kExamples = SERVESIM_SOURCE_DIR "/configs/examples/";

TEST_F(ValidationCliTest, CompareTheIllustrativeExample) {
  const Outcome o = Run("compare --scenario " + kExamples + "vllm-llama-3.1-8b-h100.yaml" +
                        " --measured " + kExamples + "vllm-bench-result-illustrative.json" +
                        " --json " + (dir_ / "c.json").string());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("200 requests (from the measurement)"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("mean_ttft_ms"), std::string::npos);
  const auto j = nlohmann::json::parse(Slurp(dir_ / "c.json"));
  EXPECT_EQ(j["metrics"].size(), 19u);
}

TEST_F(ValidationCliTest, CompareRejectsMalformedJsonAndMissingFlags) {
  const fs::path bad = Write("r.json", "{\"completed\": }");
  const Outcome o = Run("compare --scenario " + kExamples + "vllm-llama-3.1-8b-h100.yaml" +
                        " --measured " + bad.string());
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: " + bad.string() +
                       ": invalid JSON: parse error at line 1, column 15: syntax error while "
                       "parsing value - unexpected '}'; expected '[', '{', or a literal\n");
  const Outcome missing = Run("compare --measured " + bad.string());
  EXPECT_EQ(missing.code, 2);
  EXPECT_EQ(missing.err.rfind("servesim: error: servesim compare: need --scenario SCENARIO.yaml "
                              "and --measured RESULT.json\n",
                              0),
            0u);
}

}  // namespace
}  // namespace servesim
