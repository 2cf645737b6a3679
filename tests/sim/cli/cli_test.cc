// End-to-end tests of the servesim binary: exit codes, the exact error text on bad input, and
// that a failing command writes nothing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/util/binary_test.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

using test_util::Outcome;
using test_util::Slurp;

class CliTest : public test_util::BinaryTest {};

const char* kScenario =
    "model: llama-3.1-8b\n"
    "hardware: {gpu: h100-sxm-80gb}\n"
    "workload:\n"
    "  arrival: {process: poisson, rate: 5}\n"
    "  num_requests: 50\n"
    "  input_tokens: 200\n"
    "  output_tokens: 50\n";

TEST_F(CliTest, RunPrintsASummaryAndWritesJsonAndCsv) {
  const fs::path scenario = Write("s.yaml", kScenario);
  const Outcome o = Run("run " + scenario.string() + " --json " + (dir_ / "out.json").string() +
                        " --requests-csv " + (dir_ / "req.csv").string());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("Completed requests:"), std::string::npos);
  const auto j = nlohmann::json::parse(Slurp(dir_ / "out.json"));
  for (const char* key : {"completed", "duration", "request_throughput", "output_throughput",
                          "total_token_throughput", "mean_ttft_ms", "median_ttft_ms", "p99_ttft_ms",
                          "mean_tpot_ms", "median_tpot_ms", "p99_tpot_ms", "mean_itl_ms",
                          "median_itl_ms", "p99_itl_ms", "mean_e2el_ms", "p99_e2el_ms", "seed"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["completed"], 50);
  const std::string csv = Slurp(dir_ / "req.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 51);  // header + one row per request
  for (const auto& e : fs::directory_iterator(dir_)) {      // no temporary left behind
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
}

TEST_F(CliTest, SeedFlagOverridesAndIsReported) {
  const fs::path scenario = Write("s.yaml", kScenario);
  const Outcome a = Run("run " + scenario.string() + " --quiet --seed 42 --json -");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(nlohmann::json::parse(a.out)["seed"], 42);
  EXPECT_EQ(Run("run " + scenario.string() + " --quiet --seed 42 --json -").out, a.out);
}

TEST_F(CliTest, UnknownKeyFailsWithLocationAndWritesNothing) {
  const fs::path scenario = Write("s.yaml", std::string(kScenario) + "engine:\n  max_num_seq: 3\n");
  const Outcome o = Run("run " + scenario.string() + " --json " + (dir_ / "out.json").string());
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: " + scenario.string() +
                       ":9:3: engine.max_num_seq: unknown key (did you mean 'max_num_seqs'?)\n");
  EXPECT_FALSE(fs::exists(dir_ / "out.json"));
  EXPECT_EQ(o.out, "");
}

TEST_F(CliTest, BadOverrideIsLocatedAtTheFlag) {
  const fs::path scenario = Write("s.yaml", kScenario);
  const Outcome o = Run("run " + scenario.string() + " --set engine.max_num_seqs=-3");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err,
            "servesim: error: --set engine.max_num_seqs=-3: engine.max_num_seqs: must be in [1, "
            "1000000], got -3\n");
}

TEST_F(CliTest, ModelThatDoesNotFitIsAClearError) {
  const fs::path scenario = Write("s.yaml", kScenario);
  const Outcome o = Run("run " + scenario.string() + " --set model=llama-3.1-70b");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("llama-3.1-70b does not fit on h100-sxm-80gb"), std::string::npos) << o.err;
}

TEST_F(CliTest, MissingScenarioFileAndUsageErrorsExitWithTwo) {
  Outcome o = Run("run " + (dir_ / "nope.yaml").string());
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: " + (dir_ / "nope.yaml").string() + ": cannot open file\n");
  o = Run("rnu x.yaml");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(
      o.err.rfind("servesim: error: servesim: unknown command 'rnu' (did you mean 'run'?)", 0), 0u)
      << o.err;
  o = Run("run");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("missing SCENARIO.yaml"), std::string::npos);
  o = Run("run s.yaml --bogus");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("unrecognised option '--bogus'"), std::string::npos) << o.err;
}

TEST_F(CliTest, SeedFlagHasTheSameRangeAsTheKey) {
  const fs::path scenario = Write("s.yaml", kScenario);
  Outcome o = Run("run " + scenario.string() + " --seed abc");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: --seed abc: expected an integer, got 'abc'\n");
  o = Run("run " + scenario.string() + " --seed=-1");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: --seed -1: must be in [0, 9000000000000000], got -1\n");
}

TEST_F(CliTest, OneUnwritableOutputMeansNoOutputAtAll) {
  const fs::path scenario = Write("s.yaml", kScenario);
  const Outcome o = Run("run " + scenario.string() + " --json " + (dir_ / "out.json").string() +
                        " --requests-csv " + (dir_ / "missing_dir/req.csv").string());
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: " + (dir_ / "missing_dir/req.csv").string() +
                       ": cannot write file (No such file or directory)\n");
  EXPECT_FALSE(fs::exists(dir_ / "out.json"));
  for (const auto& e : fs::directory_iterator(dir_)) {  // no temporary left behind
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
  EXPECT_EQ(o.out, "");  // nothing printed either
}

TEST_F(CliTest, ModelsAndHardwareListTheZoo) {
  Outcome o = Run("models");
  ASSERT_EQ(o.code, 0);
  EXPECT_NE(o.out.find("llama-3.1-405b"), std::string::npos);
  EXPECT_NE(o.out.find("mixtral-8x7b"), std::string::npos);
  EXPECT_NE(o.out.find("gpt-j-6b             6.1B      28    4096     16   16   16384  plain"),
            std::string::npos)
      << o.out;
  o = Run("hardware");
  ASSERT_EQ(o.code, 0);
  EXPECT_NE(o.out.find("h200-sxm-141gb"), std::string::npos);
  EXPECT_NE(o.out.find("mi300x-192gb"), std::string::npos);
}

}  // namespace
}  // namespace servesim
