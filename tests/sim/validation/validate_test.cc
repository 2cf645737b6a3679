// `servesim validate`: grouping rows into cases, the scenario each case runs (trtllm preset), the
// error naming a row whose scenario is invalid, determinism across thread counts, and the CI
// accuracy guard on a fixed subset of the shared validation tables.
#include "sim/validation/validate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "sim/config/input_error.h"
#include "sim/validation/validation_cases.h"
#include "tests/util/missing_data.h"

namespace servesim {
namespace {

ValidationRow MakeRow(const std::string& id, const std::string& metric, int64_t osl = 128) {
  ValidationRow r;
  r.file = "t.csv";
  r.table = "t";
  r.line = 2;
  r.id = id;
  r.model = "llama-3.1-8b";
  r.gpu = "h100-sxm-80gb";
  r.precision = "fp8";
  r.isl = 128;
  r.osl = osl;
  r.num_requests = 40;
  r.metric = metric;
  r.measured = 100;
  return r;
}

TEST(ValidateTest, GroupsRowsByConfiguration) {
  std::vector<ValidationRow> rows = {MakeRow("a", "output_throughput"),
                                     MakeRow("b", "output_throughput", 64),
                                     MakeRow("c", "mean_ttft_ms"), MakeRow("d", "mean_itl_ms", 64)};
  rows[2].request_rate = 2.0;  // a different case from row a
  const std::vector<ValidationCase> cases = GroupValidationRows(rows);
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_EQ(cases[0].rows, (std::vector<size_t>{0}));
  EXPECT_EQ(cases[1].rows, (std::vector<size_t>{1, 3}));
  EXPECT_EQ(cases[2].rows, (std::vector<size_t>{2}));
}

TEST(ValidateTest, PresetScenarioFollowsTheRow) {
  ValidationRow r = MakeRow("a", "output_throughput");
  r.num_gpus = 4;
  r.tp = 2;
  r.model = "llama-3.1-70b";
  const Scenario s = BuildValidationScenario(r, {});
  EXPECT_EQ(s.engine.scheduler, "trtllm");
  EXPECT_EQ(s.engine.shape.weight_precision, Precision::kFp8);
  EXPECT_EQ(s.engine.shape.kv_precision, Precision::kFp8);
  EXPECT_DOUBLE_EQ(s.engine.kv_free_fraction, 0.95);
  EXPECT_EQ(s.engine.max_model_len, 256);
  EXPECT_EQ(s.engine.batching.max_num_seqs, 2048);
  EXPECT_EQ(s.engine.batching.max_num_batched_tokens, 8192);
  EXPECT_TRUE(s.engine.batching.enable_chunked_prefill);
  EXPECT_EQ(s.replicas, 2);
  EXPECT_EQ(s.engine.shape.tp, 2);
  EXPECT_EQ(s.workload.process, ArrivalProcess::kBurst);
  EXPECT_EQ(*s.workload.num_requests, 40);

  r.request_rate = 2.5;
  r.precision = "bf16";
  const Scenario online = BuildValidationScenario(r, {"engine.max_batch_size=64"});
  EXPECT_EQ(online.workload.process, ArrivalProcess::kPoisson);
  EXPECT_DOUBLE_EQ(online.workload.rate_per_s, 2.5);
  EXPECT_EQ(online.engine.shape.kv_precision, Precision::kBf16);
  EXPECT_EQ(online.engine.batching.max_num_seqs, 64);
}

TEST(ValidateTest, InvalidScenarioNamesTheRow) {
  ValidationRow r = MakeRow("big", "output_throughput");
  r.model = "llama-3.1-70b";
  r.precision = "bf16";
  r.line = 7;
  try {
    BuildValidationScenario(r, {});
    FAIL();
  } catch (const DeploymentError& e) {
    EXPECT_EQ(
        e.reason().rfind("model: llama-3.1-70b does not fit on h100-sxm-80gb: weights need", 0), 0u)
        << e.reason();
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("t.csv:7: row 'big': cannot build its scenario: scenario:", 0), 0u)
        << what;
    EXPECT_NE(what.find("model: llama-3.1-70b does not fit on h100-sxm-80gb"), std::string::npos)
        << what;
  }
}

TEST(ValidateTest, DeploymentsTheModelCannotRunAreResultsNotErrors) {
  std::vector<ValidationRow> rows = {MakeRow("fits", "output_throughput"),
                                     MakeRow("too-big", "output_throughput")};
  rows[1].model = "llama-3.1-70b";
  rows[1].precision = "bf16";
  const ValidationResult result = RunValidation(rows, {2, {}, {}});
  EXPECT_EQ(result.num_cases, 1);
  EXPECT_EQ(result.num_cannot_run, 1);
  EXPECT_TRUE(result.rows[0].Simulated());
  EXPECT_FALSE(result.rows[1].Simulated());
  EXPECT_EQ(
      result.rows[1].cannot_run.rfind("model: llama-3.1-70b does not fit on h100-sxm-80gb", 0), 0u)
      << result.rows[1].cannot_run;
  const std::vector<ValidationSummaryRow> summary = SummarizeValidation(result);
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].stats.count, 1);

  // A --set that is itself invalid is still bad input and stops everything.
  try {
    RunValidation(rows, {1, {"engine.max_num_tokens=1"}, {}});
    FAIL();
  } catch (const DeploymentError& e) {
    FAIL() << e.what();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 'fits'"), std::string::npos) << e.what();
  }
}

TEST(ValidateTest, PredictionsDoNotDependOnThreads) {
  std::vector<ValidationRow> rows = {MakeRow("a", "output_throughput"),
                                     MakeRow("b", "mean_itl_ms", 64), MakeRow("c", "mean_ttft_ms")};
  rows[2].request_rate = 20.0;
  const ValidationResult one = RunValidation(rows, {1, {}, {}});
  const ValidationResult three = RunValidation(rows, {3, {}, {}});
  EXPECT_EQ(one.num_cases, 3);
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(one.rows[i].predicted, three.rows[i].predicted) << rows[i].id;
    EXPECT_GT(one.rows[i].predicted, 0) << rows[i].id;
  }
}

ValidationRowResult GroupingRow(const std::string& gpu, int64_t tp, const std::string& precision,
                                double error, const std::string& cannot_run = "") {
  ValidationRowResult r;
  r.row = MakeRow("r", "output_throughput");
  r.row.gpu = gpu;
  r.row.tp = tp;
  r.row.num_gpus = tp;
  r.row.precision = precision;
  r.rel_error = error;
  r.cannot_run = cannot_run;
  return r;
}

TEST(ValidateTest, SummaryByColumnsFollowsFirstAppearance) {
  ValidationResult result;
  result.rows = {
      GroupingRow("h100-sxm-80gb", 8, "fp16", 0.30), GroupingRow("h100-sxm-80gb", 1, "fp8", -0.10),
      GroupingRow("h100-sxm-80gb", 8, "fp16", 0.10), GroupingRow("a100-sxm-80gb", 8, "fp16", 0.05),
      GroupingRow("h100-sxm-80gb", 1, "fp8", 0.50, "does not fit")};
  const std::vector<ValidationSummaryRow> plain = SummarizeValidation(result);
  ASSERT_EQ(plain.size(), 3u);  // all, a100, h100
  EXPECT_TRUE(plain[0].group.empty());

  const std::vector<ValidationSummaryRow> s = SummarizeValidation(result, {"tp", "precision"});
  ASSERT_EQ(s.size(), 6u);  // the three overall rows, then h100 tp8 fp16, h100 tp1 fp8, a100
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(s[i].gpu, plain[i].gpu);
  using Group = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(s[3].gpu, "h100-sxm-80gb");
  EXPECT_EQ(s[3].group, (Group{{"tp", "8"}, {"precision", "fp16"}}));
  EXPECT_EQ(s[3].stats.count, 2);
  EXPECT_DOUBLE_EQ(s[3].stats.median_abs, 0.20);
  EXPECT_EQ(s[4].group, (Group{{"tp", "1"}, {"precision", "fp8"}}));
  EXPECT_EQ(s[4].stats.count, 1);  // the row the model cannot run is not counted
  EXPECT_DOUBLE_EQ(s[4].stats.bias, -0.10);
  EXPECT_EQ(s[5].gpu, "a100-sxm-80gb");
  EXPECT_EQ(s[5].stats.count, 1);
}

TEST(ValidateTest, GroupColumnsAreCheckedByName) {
  EXPECT_EQ(ParseValidationGroupColumns("tp,precision"),
            (std::vector<std::string>{"tp", "precision"}));
  EXPECT_EQ(ParseValidationGroupColumns("model"), (std::vector<std::string>{"model"}));
  for (const std::string bad : {"", "tp,", ",tp", "tp,tp", "gpu", "precison", "measured"}) {
    EXPECT_THROW(ParseValidationGroupColumns(bad), InputError) << bad;
  }
  try {
    ParseValidationGroupColumns("tp,precison");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'precision'?"), std::string::npos)
        << e.what();
  }
}

// A fixed subset of the published tables, small enough to simulate in a few seconds: the guard
// fails when the median error of the subset exceeds the target for its metric.
// Max throughput: Llama-3.1-8B (TP1), Llama-3.1-70B (TP4) and Mixtral-8x7B (TP4), fp8 and fp16,
// at 128/128, 128/2048, 2048/128 and 1000/1000. Online: both models at 467/256, rates 2, 8, 32.
const std::set<std::string> kSubsetMaxThroughput = {
    "pub-tput-001", "pub-tput-002", "pub-tput-003", "pub-tput-004", "pub-tput-007", "pub-tput-008",
    "pub-tput-013", "pub-tput-014", "pub-tput-054", "pub-tput-055", "pub-tput-061", "pub-tput-062",
    "pub-tput-074", "pub-tput-075", "pub-tput-093", "pub-tput-094", "pub-tput-217", "pub-tput-218",
    "pub-tput-223", "pub-tput-224", "pub-tput-232", "pub-tput-233", "pub-tput-250", "pub-tput-251"};
const std::set<std::string> kSubsetOnline = {
    "pub-online-001", "pub-online-002", "pub-online-003", "pub-online-004", "pub-online-009",
    "pub-online-010", "pub-online-011", "pub-online-012", "pub-online-017", "pub-online-018",
    "pub-online-019", "pub-online-020", "pub-online-073", "pub-online-074", "pub-online-075",
    "pub-online-076", "pub-online-081", "pub-online-082", "pub-online-083", "pub-online-084",
    "pub-online-089", "pub-online-090", "pub-online-091", "pub-online-092"};
std::vector<ValidationRow> Subset(const std::string& file, const std::set<std::string>& ids) {
  std::vector<ValidationRow> rows;
  for (ValidationRow& r : ReadValidationTable(file).rows) {
    if (ids.count(r.id)) rows.push_back(std::move(r));
  }
  EXPECT_EQ(rows.size(), ids.size()) << file << " lacks some of the subset's rows";
  return rows;
}

const std::string kShared = SERVESIM_SOURCE_DIR "/../shared/validation/";

TEST(ValidateTest, AccuracyGuardOnPublishedSubset) {
  const std::string tput = kShared + "trtllm_v0.13_h100_max_throughput.csv";
  const std::string online = kShared + "trtllm_v0.14_h100_online.csv";
  if (!std::filesystem::exists(tput) || !std::filesystem::exists(online)) {
    SERVESIM_SKIP_OR_FAIL_IN_CI("the shared validation tables are not in " + std::string(kShared));
  }
  std::vector<ValidationRow> rows = Subset(tput, kSubsetMaxThroughput);
  for (ValidationRow& r : Subset(online, kSubsetOnline)) rows.push_back(std::move(r));
  const ValidationResult result = RunValidation(rows, {4, {}, {}});
  // Every row is simulated: a row the model could no longer run would leave the statistics.
  EXPECT_EQ(result.num_cannot_run, 0);
  int64_t counted = 0;
  for (const ValidationSummaryRow& s : SummarizeValidation(result)) counted += s.stats.count;
  EXPECT_EQ(counted, static_cast<int64_t>(rows.size()));
  for (const ValidationSummaryRow& s : SummarizeValidation(result)) {
    const bool latency = s.metric == "mean_ttft_ms" || s.metric == "mean_itl_ms";
    const double target = latency ? 0.20 : 0.10;
    EXPECT_LE(s.stats.median_abs, target)
        << s.table << " " << s.metric << " " << s.gpu << ": median |error| "
        << 100 * s.stats.median_abs << "% over " << s.stats.count << " rows";
  }
}

}  // namespace
}  // namespace servesim
