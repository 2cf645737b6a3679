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

// Issue 13: `run --quiet` used to print nothing at all and exit 0.
TEST_F(CliTest, QuietSilencesProgressButNeverTheResult) {
  const fs::path scenario = Write("s.yaml", kScenario);
  const Outcome loud = Run("run " + scenario.string());
  const Outcome quiet = Run("run " + scenario.string() + " --quiet");
  ASSERT_EQ(quiet.code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(quiet.out, loud.out);
  EXPECT_NE(quiet.out.find("Completed requests:"), std::string::npos);
}

TEST_F(CliTest, EveryCommandHasHelpAndTheVersionIsEverywhere) {
  Outcome o = Run("run --help");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out.rfind("usage: servesim run SCENARIO.yaml", 0), 0u) << o.out;
  EXPECT_NE(o.out.find("--requests-csv arg"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("--replications arg"), std::string::npos) << o.out;
  EXPECT_EQ(Run("help run").out, o.out);
  EXPECT_EQ(Run("run s.yaml --bogus -h").out, o.out);  // help wins over a bad flag
  for (const char* command : {"capacity", "scaling", "plan", "sweep", "merge", "report", "validate",
                              "compare", "collectives", "models", "hardware"}) {
    o = Run(std::string(command) + " --help");
    EXPECT_EQ(o.code, 0) << command;
    EXPECT_EQ(o.out.rfind(std::string("usage: servesim ") + command, 0), 0u) << o.out;
  }
  o = Run("plan --help");
  EXPECT_NE(o.out.find("--csv arg"), std::string::npos) << o.out;
  o = Run("help rnu");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err.rfind("servesim: error: servesim help: unknown command 'rnu' (did you mean "
                        "'run'?)",
                        0),
            0u)
      << o.err;

  o = Run("--version");
  ASSERT_EQ(o.code, 0) << o.err;
  // "servesim 0.1.0 (git 0123456789ab)", "-dirty" appended with uncommitted changes.
  const std::string prefix = std::string("servesim ") + SERVESIM_VERSION + " (git ";
  EXPECT_EQ(o.out.rfind(prefix, 0), 0u) << o.out;
  EXPECT_EQ(o.out.substr(o.out.size() - 2), ")\n") << o.out;
  EXPECT_GT(o.out.size(), prefix.size() + 2) << o.out;
  const fs::path scenario = Write("s.yaml", kScenario);
  o = Run("run " + scenario.string() + " --json -");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(nlohmann::json::parse(o.out)["servesim_version"], SERVESIM_VERSION);
}

// Issue 13: a run with no completed request reported p99_ttft_ms 0.0, a perfect latency.
TEST_F(CliTest, NoSamplesMeansNullStatistics) {
  // One-token outputs: every request completes but none has a time per output token.
  const fs::path one = Write("one.yaml", std::string(kScenario) + "slo: {tpot_ms: 5}\n");
  Outcome o = Run("run " + one.string() + " --set workload.output_tokens=1 --json -");
  ASSERT_EQ(o.code, 0) << o.err;
  auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["completed"], 50);
  for (const char* key : {"mean_tpot_ms", "median_tpot_ms", "p90_tpot_ms", "p99_tpot_ms",
                          "max_tpot_ms", "mean_itl_ms", "p99_itl_ms"}) {
    EXPECT_TRUE(j[key].is_null()) << key;
  }
  EXPECT_GT(j["p99_ttft_ms"].get<double>(), 0);
  o = Run("run " + one.string() + " --set workload.output_tokens=1");
  EXPECT_NE(o.out.find("TPOT                   -         -         -         -"), std::string::npos)
      << o.out;
  // A trace whose every row is longer than max_model_len: nothing completes, nothing is 0.
  Write("long.csv", "arrival_s,input_tokens,output_tokens\n0,5000,10\n1,6000,10\n");
  const fs::path trace = Write("t.yaml",
                               "model: llama-3.1-8b\nhardware: {gpu: h100-sxm-80gb}\n"
                               "engine: {max_model_len: 4096}\n"
                               "workload: {trace: {path: long.csv}}\n");
  o = Run("run " + trace.string() + " --json -");
  ASSERT_EQ(o.code, 0) << o.err;
  j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["completed"], 0);
  EXPECT_EQ(j["failed"], 2);
  for (const char* m : {"ttft", "tpot", "itl", "e2el"}) {
    for (const char* st : {"mean", "median", "p90", "p99", "max"}) {
      const std::string key = std::string(st) + "_" + m + "_ms";
      EXPECT_TRUE(j[key].is_null()) << key;
    }
  }
  o = Run("run " + trace.string());
  EXPECT_NE(o.out.find("No request completed"), std::string::npos) << o.out;
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
