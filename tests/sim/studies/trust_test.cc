// Trust: the validated error bands agree with docs/validation.md's generated summary, and a
// deployment is inside validated territory only where the tables measured one like it.
#include "sim/studies/trust.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/config/config_node.h"

namespace servesim {
namespace {

Scenario Load(const std::vector<std::string>& sets) {
  const char* yaml =
      "model: llama-3.1-8b\nhardware: {gpu: h100-sxm-80gb}\n"
      "workload: {arrival: {rate: 1}, num_requests: 10, input_tokens: 100, output_tokens: 10}\n";
  return ParseScenario(ApplyOverrides(ConfigNode::LoadString(yaml, "s.yaml"), sets), std::nullopt);
}

// Every band is a row of the summary block of docs/validation.md (rows, median, p90 as printed
// there): when the validation is rerun and the numbers move, this fails until trust.cc follows.
TEST(TrustTest, BandsAreThoseOfDocsValidation) {
  std::ifstream in(std::filesystem::path(SERVESIM_SOURCE_DIR) / "docs/validation.md");
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  const size_t begin = text.find("<!-- BEGIN generated summary -->");
  const size_t end = text.find("<!-- END generated summary -->");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const std::string block = text.substr(begin, end - begin);
  for (const ErrorBand& b : ValidatedBands()) {
    std::istringstream lines(block);
    std::string line;
    bool found = false;
    while (std::getline(lines, line)) {
      std::istringstream f(line);
      std::string table, metric, gpu, rows, median, p90, max, bias, word, group;
      f >> table >> metric >> gpu >> rows >> median >> p90 >> max >> bias;
      while (f >> word) group += (group.empty() ? "" : " ") + word;
      if (table != b.table || metric != b.metric || group != b.group) continue;
      found = true;
      EXPECT_EQ(rows, std::to_string(b.rows)) << line;
      EXPECT_EQ(median, fmt::format("{:.1f}%", 100 * b.median_abs_error)) << line;
      EXPECT_EQ(p90, fmt::format("{:.1f}%", 100 * b.p90_abs_error)) << line;
    }
    EXPECT_TRUE(found) << b.table << " " << b.metric << " " << b.group;
  }
}

TEST(TrustTest, OnlyTheMeasuredEnginesOnH100AreValidated) {
  const Trust vllm = TrustOf(Load({}));
  EXPECT_FALSE(vllm.validated);
  EXPECT_TRUE(vllm.bands.empty());
  ASSERT_EQ(vllm.reasons.size(), 1u);
  EXPECT_EQ(vllm.reasons[0],
            "engine vllm: validated engines are trtllm-0.13 (the published TensorRT-LLM tables), "
            "trtllm-1 and vllm-v1 (measured concurrency sweeps)");

  const Trust trt = TrustOf(Load({"engine.scheduler=trtllm"}));
  ASSERT_TRUE(trt.validated);
  // bf16 at tp 1: the fp16 group of the maximum-throughput table and the online bf16 rows.
  ASSERT_EQ(trt.bands.size(), 4u);
  EXPECT_EQ(trt.bands[0].group, "tp=1 precision=fp16");
  EXPECT_EQ(trt.bands[0].metric, "output_throughput");
  EXPECT_EQ(trt.bands[1].metric, "request_throughput");
  EXPECT_EQ(trt.bands[1].group, "tp=1 precision=bf16");
  EXPECT_NE(DescribeTrust(trt).find("output_throughput tp=1 precision=fp16 median 8.3%, p90 "
                                    "11.9% (25 rows)"),
            std::string::npos)
      << DescribeTrust(trt);

  const Trust fp8 = TrustOf(Load({"engine.scheduler=trtllm", "engine.precision=fp8"}));
  ASSERT_TRUE(fp8.validated);
  ASSERT_EQ(fp8.bands.size(), 1u);  // the online table has no fp8 rows
  EXPECT_EQ(fp8.bands[0].group, "tp=1 precision=fp8");

  const Trust a100 = TrustOf(Load({"engine.scheduler=trtllm", "hardware.gpu=a100-sxm-80gb"}));
  EXPECT_FALSE(a100.validated);
  EXPECT_EQ(a100.reasons[0],
            "gpu a100-sxm-80gb: only h100-sxm-80gb has measurements to validate against");
  const Trust pp = TrustOf(Load({"engine.scheduler=trtllm"}), Deployment{2, 2, 1, 1});
  EXPECT_FALSE(pp.validated);
  EXPECT_EQ(pp.reasons, std::vector<std::string>{"pp 2: the measurements have pp = 1 only"});
  const Trust tp2 = TrustOf(Load({"engine.scheduler=trtllm"}), Deployment{2, 1, 1, 3});
  ASSERT_TRUE(tp2.validated);
  EXPECT_EQ(tp2.bands[0].group, "tp=2 precision=fp16");
  EXPECT_EQ(TrustToJson(tp2)["error_bands"][0]["p90_abs_error"], 0.306);
}

TEST(TrustTest, PresetsAreValidatedWhereTheSweepsMeasuredThem) {
  // trtllm-1: Llama-3.1-8B bf16 at tp 1-8: the TTFT and TPOT bands of its tp.
  const Trust trt = TrustOf(Load({"engine.preset=trtllm-1"}), Deployment{4, 1, 1, 1});
  ASSERT_TRUE(trt.validated);
  ASSERT_EQ(trt.bands.size(), 2u);
  EXPECT_EQ(trt.bands[0].metric, "mean_ttft_ms");
  EXPECT_EQ(trt.bands[1].metric, "mean_tpot_ms");
  EXPECT_EQ(trt.bands[1].group, "backend=trtllm model=llama-3.1-8b tp=4");
  // vllm-v1: only Llama-3.1-70B in fp8 at tp 2-8 was measured.
  const Trust v8b = TrustOf(Load({"engine.preset=vllm-v1"}));
  EXPECT_FALSE(v8b.validated);
  EXPECT_EQ(v8b.reasons,
            (std::vector<std::string>{
                "model llama-3.1-8b: not in vLLM concurrency sweeps of llama-3.1-70b in fp8",
                "precision bf16: not in vLLM concurrency sweeps of llama-3.1-70b in fp8",
                "tp 1: vLLM concurrency sweeps of llama-3.1-70b in fp8 measured tp 2, 4, 8"}));
  const Trust v70 = TrustOf(Load({"model=llama-3.1-70b", "engine.preset=vllm-v1",
                                  "engine.precision=fp8", "engine.max_model_len=4096"}),
                            Deployment{8, 1, 1, 1});
  ASSERT_TRUE(v70.validated);
  EXPECT_EQ(v70.bands[0].group, "backend=vllm model=llama-3.1-70b tp=8");
  // An engine without measurements says so.
  EXPECT_EQ(TrustOf(Load({"engine.preset=sglang"})).reasons[0],
            "engine sglang: validated engines are trtllm-0.13 (the published TensorRT-LLM "
            "tables), trtllm-1 and vllm-v1 (measured concurrency sweeps)");
}

}  // namespace
}  // namespace servesim
