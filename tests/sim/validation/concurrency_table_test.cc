// Concurrency-sweep tables: the header selects the schema, each line becomes a TTFT row and a
// TPOT row, every row runs as a closed loop with its backend's preset and harness, the CSV has
// one line per (id, metric), and the summary splits by backend, model and tp.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "sim/config/input_error.h"
#include "sim/validation/validate.h"
#include "sim/validation/validation_cases.h"
#include "sim/validation/validation_report.h"
#include "sim/validation/validation_table.h"
#include "tests/util/error_of.h"
#include "tests/util/missing_data.h"

namespace servesim {
namespace {

const std::string kHeader =
    "id,backend,backend_version,model,gpu,precision,isl,osl,concurrency,tp,pp,ttft_ms,tpot_ms,"
    "source\n";

std::string ErrorOf(const std::string& text) {
  return test_util::InputErrorOf([&] { ParseValidationTable(text, "s.csv"); });
}

TEST(ConcurrencyTableTest, EachLineIsATtftRowAndATpotRow) {
  const ValidationTable t = ParseValidationTable(
      kHeader + "r1,trtllm,1.0.0rc3,llama-3.1-8b,h100-sxm-80gb,bf16,1024,128,8,2,1,190.5,7.9,x\n" +
          "r2,vllm,,llama-3.1-70b,h100-sxm-80gb,fp8,1024,1024,16,4,1,121.4,13.2,y\n",
      "dir/s.csv");
  EXPECT_EQ(t.schema, TableSchema::kConcurrency);
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[0].metric, "mean_ttft_ms");
  EXPECT_DOUBLE_EQ(t.rows[0].measured, 190.5);
  EXPECT_EQ(t.rows[1].metric, "mean_tpot_ms");
  EXPECT_DOUBLE_EQ(t.rows[1].measured, 7.9);
  EXPECT_EQ(t.rows[1].id, "r1");
  EXPECT_EQ(t.rows[0].backend, "trtllm");
  EXPECT_EQ(t.rows[0].concurrency, 8);
  EXPECT_EQ(t.rows[0].num_gpus, 2);
  EXPECT_EQ(t.rows[2].line, 3);
  EXPECT_EQ(t.rows[2].table, "s");
  EXPECT_EQ(ValidationPreset(t.rows[0]), "trtllm-1");
  EXPECT_EQ(ValidationPreset(t.rows[2]), "vllm-v1");
}

TEST(ConcurrencyTableTest, RowsAreCheckedColumnByColumn) {
  const std::string p = "r1,trtllm,1.0,llama-3.1-8b,h100-sxm-80gb,bf16,1024,128,";
  EXPECT_EQ(ErrorOf(kHeader + "r1,tgi,1.0,llama-3.1-8b,h100-sxm-80gb,bf16,1024,128,8,1,1,1,1,x\n"),
            "s.csv:2: column 'backend': expected one of trtllm, vllm, sglang, got 'tgi'");
  EXPECT_EQ(ErrorOf(kHeader + p + "0,1,1,1,1,x\n"),
            "s.csv:2: column 'concurrency': expected an integer in [1, 1000000000], got '0'");
  EXPECT_EQ(ErrorOf(kHeader + p + "8,1,1,-3,1,x\n"),
            "s.csv:2: column 'ttft_ms': expected a number > 0, got '-3'");
  EXPECT_EQ(ErrorOf(kHeader + p + "8,1,1,1,1\n"),
            "s.csv:2: expected 14 columns (id,backend,backend_version,model,gpu,precision,isl,osl,"
            "concurrency,tp,pp,ttft_ms,tpot_ms,source), got 13");
  EXPECT_EQ(ErrorOf(kHeader + p + "8,1,1,1,1,x\n" + p + "8,1,1,1,1,x\n"),
            "s.csv:3: column 'id': duplicate id 'r1' (first on line 2)");
}

ValidationRow SweepRow(const std::string& backend, const std::string& precision) {
  ValidationTable t = ParseValidationTable(
      kHeader + "r1," + backend + ",," + (backend == "vllm" ? "llama-3.1-70b" : "llama-3.1-8b") +
          ",h100-sxm-80gb," + precision + ",1000,200,8,4,1,100,10,x\n",
      "s.csv");
  return t.rows[0];
}

TEST(ConcurrencyTableTest, RowsRunAsClosedLoopsWithTheHarness) {
  const std::string trt = ValidationScenarioYaml(SweepRow("trtllm", "bf16"));
  EXPECT_NE(trt.find("  preset: trtllm-1\n"), std::string::npos) << trt;
  EXPECT_NE(trt.find("  concurrency: 8\n  num_requests: 80\n"), std::string::npos) << trt;
  EXPECT_NE(trt.find("  input_tokens: 1000\n  output_tokens: 200\n"), std::string::npos) << trt;
  EXPECT_NE(trt.find("  max_model_len: 1200\n"), std::string::npos) << trt;
  // vLLM rows: InferenceMAX's server flags and client lengths.
  const std::string vllm = ValidationScenarioYaml(SweepRow("vllm", "fp8"));
  EXPECT_NE(vllm.find("  preset: vllm-v1\n"), std::string::npos) << vllm;
  EXPECT_NE(vllm.find("  max_num_seqs: 8\n  overlap_scheduling: true\n  kv_cache_precision: fp8\n"),
            std::string::npos)
      << vllm;
  EXPECT_NE(vllm.find("  input_tokens: {dist: uniform, min: 800, max: 1000}\n"), std::string::npos)
      << vllm;
  ClosedLoopHarness h;
  h.requests_per_client = 3;
  h.warmup_per_client = 2;
  h.range_ratio = 1.0;
  const std::string fixed = ValidationScenarioYaml(SweepRow("vllm", "fp8"), h);
  EXPECT_NE(fixed.find("  num_requests: 24\n  warmup_requests: 16\n  input_tokens: 1000\n"),
            std::string::npos)
      << fixed;
}

TEST(ConcurrencyTableTest, CsvAndSummaryAreSplitByBackend) {
  std::vector<ValidationRow> rows;
  for (const ValidationRow& r :
       ParseValidationTable(
           kHeader + "a,trtllm,1.0,llama-3.1-8b,h100-sxm-80gb,bf16,256,32,4,1,1,50,8,x\n" +
               "b,trtllm,1.0,llama-3.1-8b,h100-sxm-80gb,bf16,256,32,4,2,1,40,6,x\n",
           "s.csv")
           .rows) {
    rows.push_back(r);
  }
  ValidationOptions o;
  o.jobs = 2;
  o.harness.requests_per_client = 2;
  const ValidationResult result = RunValidation(rows, o);
  EXPECT_EQ(result.num_cases, 2);
  const std::string csv = ValidationCsv(result);
  EXPECT_EQ(
      csv.substr(0, csv.find('\n')),
      "id,backend,model,gpu,tp,concurrency,metric,measured,predicted,rel_error,isl,osl,preset,"
      "source,note");
  EXPECT_NE(csv.find("\na,trtllm,llama-3.1-8b,h100-sxm-80gb,1,4,mean_ttft_ms,50,"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\nb,trtllm,llama-3.1-8b,h100-sxm-80gb,2,4,mean_tpot_ms,6,"),
            std::string::npos)
      << csv;
  std::set<std::string> groups;
  for (const ValidationSummaryRow& s : SummarizeValidation(result)) {
    std::string g;
    for (const auto& [column, value] : s.group) g += column + "=" + value + " ";
    groups.insert(s.metric + " " + g);
  }
  EXPECT_TRUE(groups.count("mean_ttft_ms backend=trtllm model=llama-3.1-8b "));
  EXPECT_TRUE(groups.count("mean_tpot_ms backend=trtllm model=llama-3.1-8b tp=2 "));
}

// The CI guard on a fixed subset of the shared concurrency sweeps (H100): every backend's median
// |error| of the subset stays within the targets where the full table meets them (TPOT
// 8%, vLLM TTFT 15%) and within its present level where it does not (TensorRT-LLM TTFT, 45%;
// docs/validation.md says why). Subset: each backend at every tp, two shapes, concurrency 8/32
// (TensorRT-LLM) and 4/16/64 (vLLM).
TEST(ConcurrencyTableTest, AccuracyGuardOnSharedSubset) {
  const std::string path =
      std::string(SERVESIM_SOURCE_DIR) + "/../shared/validation/aic_silicon_h100_llama31.csv";
  if (!std::filesystem::exists(path)) SERVESIM_SKIP_OR_FAIL_IN_CI("no " + path);
  std::vector<ValidationRow> rows;
  for (ValidationRow& r : ReadValidationTable(path).rows) {
    const bool trt = r.backend == "trtllm" && (r.concurrency == 8 || r.concurrency == 32) &&
                     r.osl == 256 && (r.isl == 1024 || r.isl == 4096);
    const bool vllm = r.backend == "vllm" && r.osl == 1024 &&
                      (r.concurrency == 4 || r.concurrency == 16 || r.concurrency == 64);
    if (trt || vllm) rows.push_back(std::move(r));
  }
  ASSERT_EQ(rows.size(), 2u * (4 * 2 * 2 + 3 * 2 * 3));
  ValidationOptions o;
  o.jobs = 2;
  const ValidationResult result = RunValidation(rows, o);
  EXPECT_EQ(result.num_cannot_run, 0);
  int checked = 0;
  for (const ValidationSummaryRow& s : SummarizeValidation(result)) {
    if (s.group.size() != 2) continue;  // the per-(backend, model) rows
    const std::string backend = s.group[0].second;
    double target = 0.08;
    if (s.metric == "mean_ttft_ms") target = backend == "vllm" ? 0.15 : 0.45;
    EXPECT_LE(s.stats.median_abs, target)
        << backend << " " << s.metric << ": median |error| " << 100 * s.stats.median_abs << "%";
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

}  // namespace
}  // namespace servesim
