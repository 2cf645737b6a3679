// Validation table parsing: the accepted format, and the exact message of every rejection.
#include "sim/validation/validation_table.h"

#include <gtest/gtest.h>

#include <string>

#include "sim/config/input_error.h"

namespace servesim {
namespace {

const char* kHeader =
    "id,model,gpu,num_gpus,tp,pp,precision,isl,osl,num_requests,request_rate,metric,measured,"
    "source\n";

std::string Row(const std::string& fields) { return std::string(kHeader) + fields + "\n"; }

const char* kGood =
    "r1,llama-3.1-8b,h100-sxm-80gb,1,1,1,fp8,128,128,30000,inf,output_throughput,27147.22,"
    "\"TRT-LLM, v0.13\"";

std::string ErrorOf(const std::string& text) {
  try {
    ParseValidationTable(text, "t.csv");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ValidationTableTest, ParsesARowWithQuotedSource) {
  const ValidationTable t = ParseValidationTable(Row(kGood), "dir/t.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  const ValidationRow& r = t.rows[0];
  EXPECT_EQ(r.table, "t");
  EXPECT_EQ(r.file, "dir/t.csv");
  EXPECT_EQ(r.line, 2);
  EXPECT_EQ(r.id, "r1");
  EXPECT_EQ(r.model, "llama-3.1-8b");
  EXPECT_EQ(r.precision, "fp8");
  EXPECT_EQ(r.isl, 128);
  EXPECT_EQ(r.num_requests, 30000);
  EXPECT_FALSE(r.request_rate.has_value());
  EXPECT_DOUBLE_EQ(r.measured, 27147.22);
  EXPECT_EQ(r.source, "TRT-LLM, v0.13");
  EXPECT_EQ(r.fields.size(), 14u);
}

TEST(ValidationTableTest, FiniteRateCrlfAndBlankLines) {
  const std::string text = std::string(kHeader) +
                           "r1,llama-3.1-8b,h100-sxm-80gb,2,1,1,bf16,467,256,500,2.5,mean_ttft_ms,"
                           "62,src\r\n\r\n";
  const ValidationTable t = ParseValidationTable(text, "t.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_DOUBLE_EQ(*t.rows[0].request_rate, 2.5);
  EXPECT_EQ(t.rows[0].num_gpus, 2);
}

TEST(ValidationTableTest, HeaderMustMatch) {
  EXPECT_EQ(
      ErrorOf("id,model\n"),
      "t.csv:1: expected the header 'id,model,gpu,num_gpus,tp,pp,precision,isl,osl,"
      "num_requests,request_rate,metric,measured,source' or 'id,backend,backend_version,model,gpu,"
      "precision,isl,osl,concurrency,tp,pp,ttft_ms,tpot_ms,source', got 'id,model'");
  EXPECT_EQ(
      ErrorOf(""),
      "t.csv:1: empty table; expected the header 'id,model,gpu,num_gpus,tp,pp,precision,"
      "isl,osl,num_requests,request_rate,metric,measured,source' or 'id,backend,backend_version,"
      "model,gpu,precision,isl,osl,concurrency,tp,pp,ttft_ms,tpot_ms,source'");
  // Built with += : GCC 12 at -O3 reports a false -Wrestrict for "\n" + std::string(...).
  std::string blank_first_line = "\n";
  blank_first_line += kHeader;
  EXPECT_EQ(
      ErrorOf(blank_first_line),
      "t.csv:1: expected the header 'id,model,gpu,num_gpus,tp,pp,precision,isl,osl,"
      "num_requests,request_rate,metric,measured,source' or 'id,backend,backend_version,model,gpu,"
      "precision,isl,osl,concurrency,tp,pp,ttft_ms,tpot_ms,source', got ''");
}

TEST(ValidationTableTest, LongValuesAreCutInMessages) {
  EXPECT_EQ(
      ErrorOf(std::string(100, 'x') + "\n"),
      "t.csv:1: expected the header 'id,model,gpu,num_gpus,tp,pp,precision,isl,osl,"
      "num_requests,request_rate,metric,measured,source' or 'id,backend,backend_version,model,gpu,"
      "precision,isl,osl,concurrency,tp,pp,ttft_ms,tpot_ms,source', got '" +
          std::string(60, 'x') + "...'");
  EXPECT_EQ(ErrorOf(Row("r1,llama-3.1-8b,h100-sxm-80gb,1,1,1,fp8,128,128,100,inf," +
                        std::string(1000000, 'm') + ",1,src")),
            "t.csv:2: column 'metric': expected one of output_throughput, request_throughput, "
            "mean_ttft_ms, mean_tpot_ms, mean_itl_ms, got '" +
                std::string(60, 'm') + "...'");
}

TEST(ValidationTableTest, ColumnCount) {
  EXPECT_EQ(ErrorOf(Row("r1,llama-3.1-8b")),
            "t.csv:2: expected 14 columns (id,model,gpu,num_gpus,tp,pp,precision,isl,osl,"
            "num_requests,request_rate,metric,measured,source), got 2");
}

TEST(ValidationTableTest, MalformedQuotes) {
  EXPECT_EQ(ErrorOf(Row("r1,\"open")), "t.csv:2: unterminated or malformed quoted field");
  EXPECT_EQ(ErrorOf(Row("r1,\"a\"b")), "t.csv:2: unterminated or malformed quoted field");
}

TEST(ValidationTableTest, ColumnRules) {
  const std::string p = "r1,llama-3.1-8b,h100-sxm-80gb,";
  EXPECT_EQ(ErrorOf(Row(p + "x,1,1,fp8,128,128,10,inf,output_throughput,1,s")),
            "t.csv:2: column 'num_gpus': expected an integer in [1, 1000000000], got 'x'");
  EXPECT_EQ(ErrorOf(Row(p + "1,0,1,fp8,128,128,10,inf,output_throughput,1,s")),
            "t.csv:2: column 'tp': expected an integer in [1, 1000000000], got '0'");
  EXPECT_EQ(ErrorOf(Row(p + "3,2,1,fp8,128,128,10,inf,output_throughput,1,s")),
            "t.csv:2: column 'num_gpus': must be a multiple of tp x pp (2), got '3'");
  EXPECT_EQ(ErrorOf(Row(p + "1,1,1,fp4,128,128,10,inf,output_throughput,1,s")),
            "t.csv:2: column 'precision': expected one of fp8, fp16, bf16, got 'fp4' (did you "
            "mean 'fp8'?)");
  EXPECT_EQ(ErrorOf(Row(p + "1,1,1,fp8,12.5,128,10,inf,output_throughput,1,s")),
            "t.csv:2: column 'isl': expected an integer in [1, 1000000000], got '12.5'");
  EXPECT_EQ(ErrorOf(Row(p + "1,1,1,fp8,128,128,10,-2,output_throughput,1,s")),
            "t.csv:2: column 'request_rate': expected 'inf' or a number > 0, got '-2'");
  EXPECT_EQ(ErrorOf(Row(p + "1,1,1,fp8,128,128,10,inf,ttft,1,s")),
            "t.csv:2: column 'metric': expected one of output_throughput, request_throughput, "
            "mean_ttft_ms, mean_tpot_ms, mean_itl_ms, got 'ttft'");
  EXPECT_EQ(ErrorOf(Row(p + "1,1,1,fp8,128,128,10,inf,output_throughput,nan,s")),
            "t.csv:2: column 'measured': expected a number > 0, got 'nan'");
  EXPECT_EQ(ErrorOf(Row(p + "1,1,1,fp8,128,128,10,inf,output_throughput,1,")),
            "t.csv:2: column 'source': must not be empty, got ''");
}

TEST(ValidationTableTest, UnknownModelAndGpuNameTheRow) {
  const std::string model_error =
      ErrorOf(Row("r7,llama-3.1-8c,h100-sxm-80gb,1,1,1,fp8,1,1,1,inf,output_throughput,1,s"));
  EXPECT_EQ(model_error.rfind("t.csv:2: column 'model': unknown model 'llama-3.1-8c' (row 'r7'); "
                              "known: ",
                              0),
            0u)
      << model_error;
  EXPECT_NE(model_error.find("(did you mean 'llama-3.1-8b'?)"), std::string::npos);
  const std::string gpu_error =
      ErrorOf(Row("r8,llama-3.1-8b,h100,1,1,1,fp8,1,1,1,inf,output_throughput,1,s"));
  EXPECT_EQ(gpu_error.rfind("t.csv:2: column 'gpu': unknown GPU 'h100' (row 'r8'); known: ", 0), 0u)
      << gpu_error;
}

TEST(ValidationTableTest, DuplicateIds) {
  EXPECT_EQ(ErrorOf(Row(std::string(kGood) + "\n" + kGood)),
            "t.csv:3: column 'id': duplicate id 'r1' (first on line 2)");
}

TEST(ValidationTableTest, MissingFile) {
  try {
    ReadValidationTable("/nonexistent/t.csv");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/t.csv: cannot open validation table");
  }
}

TEST(ValidationTableTest, CsvRecordSplitting) {
  EXPECT_EQ(*ParseCsvRecord("a,\"b,c\",\"d\"\"e\","),
            (std::vector<std::string>{"a", "b,c", "d\"e", ""}));
  EXPECT_FALSE(ParseCsvRecord("\"x").has_value());
}

}  // namespace
}  // namespace servesim
