// `servesim compare`: reading vLLM benchmark_serving result files (exact error messages), the
// workload they imply, and the comparison on the illustrative example in configs/examples/.
#include "sim/validation/compare.h"

#include <gtest/gtest.h>

#include <string>

#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/runner.h"

namespace servesim {
namespace {

const std::string kExamples = SERVESIM_SOURCE_DIR "/configs/examples/";

std::string ErrorOf(const std::string& text) {
  try {
    ParseMeasuredRun(text, "r.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(CompareTest, ReadsTheWorkloadOfTheIllustrativeFile) {
  const MeasuredRun run = ReadMeasuredRun(kExamples + "vllm-bench-result-illustrative.json");
  EXPECT_EQ(*run.num_requests, 200);
  EXPECT_EQ(*run.input_tokens, 1024);
  EXPECT_EQ(*run.output_tokens, 128);
  EXPECT_EQ(*run.request_rate, "4");
  EXPECT_FALSE(run.max_concurrency.has_value());
  EXPECT_TRUE(run.notes.empty());
}

TEST(CompareTest, WorkloadOverrides) {
  const MeasuredRun run = ParseMeasuredRun(
      R"({"completed": 9, "num_prompts": 10, "total_input_tokens": 1000,
          "total_output_tokens": 100, "request_rate": 2.5, "burstiness": 4})",
      "r.json");
  std::vector<std::string> got;
  for (const Override& o : MeasuredWorkloadOverrides(run)) {
    EXPECT_EQ(o.origin, "r.json");
    got.push_back(o.key + "=" + o.value);
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "workload.input_tokens=111", "workload.output_tokens=11", "workload.trace=~",
                     "workload.num_requests=10", "workload.duration_s=~", "workload.concurrency=~",
                     "workload.arrival={process: gamma, rate: 2.5, cv: 0.5}"}));
  ASSERT_EQ(run.notes.size(), 1u);
  EXPECT_EQ(run.notes[0],
            "1 of 10 requests failed in the measurement; the simulation issues all 10");
}

TEST(CompareTest, InfiniteRateWithConcurrencyIsAClosedLoop) {
  const MeasuredRun run = ParseMeasuredRun(
      R"({"completed": 5, "request_rate": "inf", "max_concurrency": 4})", "r.json");
  std::vector<std::string> got;
  for (const Override& o : MeasuredWorkloadOverrides(run)) got.push_back(o.key + "=" + o.value);
  EXPECT_EQ(got, (std::vector<std::string>{"workload.num_requests=5", "workload.duration_s=~",
                                           "workload.arrival=~", "workload.concurrency=4",
                                           "workload.think_time_s=~"}));
}

TEST(CompareTest, MalformedFiles) {
  EXPECT_EQ(ErrorOf("{\"completed\": 3,"),
            "r.json: invalid JSON: parse error at line 1, column 17: syntax error while parsing "
            "object key - unexpected end of input; expected string literal");
  EXPECT_EQ(ErrorOf("{\"mean_ttft_ms\": NaN}")
                    .find("(Python's json module writes NaN and "
                          "Infinity, which JSON does not allow)") != std::string::npos,
            true);
  EXPECT_EQ(ErrorOf("[1, 2]"),
            "r.json: expected a JSON object (the result file of vLLM's benchmark_serving), got "
            "array");
  EXPECT_EQ(ErrorOf(R"({"completed": "ten"})"),
            "r.json: key 'completed': expected a number, got \"ten\"");
  EXPECT_EQ(ErrorOf(R"({"completed": 2.5})"),
            "r.json: key 'completed': expected an integer >= 0, got 2.5");
  EXPECT_EQ(ErrorOf(R"({"completed": 2, "request_rate": "fast"})"),
            "r.json: key 'request_rate': expected a number > 0 or \"inf\", got \"fast\"");
  EXPECT_EQ(ErrorOf(R"({"date": "x"})"),
            "r.json: no metric to compare; expected vLLM benchmark_serving keys such as "
            "completed, duration, request_throughput, output_throughput, mean_ttft_ms");
  try {
    ReadMeasuredRun("/nonexistent/r.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/r.json: cannot open file");
  }
}

TEST(CompareTest, ComparesEveryMetricBothHave) {
  const MeasuredRun run = ParseMeasuredRun(R"({"completed": 4, "mean_ttft_ms": 50, "p99_itl_ms": 0,
                           "std_ttft_ms": 3, "median_e2el_ms": null})",
                                           "r.json");
  Summary s;
  s.completed = 4;
  s.ttft.mean_ms = 55;
  const std::vector<ComparedMetric> m = CompareWithSummary(run, s);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].key, "completed");
  EXPECT_DOUBLE_EQ(*m[0].rel_error, 0);
  EXPECT_EQ(m[1].key, "mean_ttft_ms");
  EXPECT_DOUBLE_EQ(*m[1].rel_error, 0.1);
  EXPECT_EQ(m[2].key, "p99_itl_ms");
  EXPECT_FALSE(m[2].rel_error.has_value());
}

TEST(CompareTest, SimulatesTheMeasuredWorkload) {
  const MeasuredRun run = ReadMeasuredRun(kExamples + "vllm-bench-result-illustrative.json");
  const ConfigNode doc = ConfigNode::LoadFile(kExamples + "vllm-llama-3.1-8b-h100.yaml");
  const Scenario s =
      ParseScenario(ApplyLocatedOverrides(doc, MeasuredWorkloadOverrides(run)), std::nullopt);
  EXPECT_EQ(*s.workload.num_requests, 200);
  EXPECT_EQ(s.workload.input_tokens->Describe(), "fixed 1024");
  EXPECT_DOUBLE_EQ(s.workload.rate_per_s, 4.0);
  const std::vector<ComparedMetric> m = CompareWithSummary(run, RunScenario(s).summary);
  ASSERT_EQ(m.size(), 19u);  // 7 counts and throughputs, mean / median / p99 of 4 latencies
  EXPECT_EQ(m[0].key, "completed");
  EXPECT_DOUBLE_EQ(m[0].predicted, 200);
  for (const ComparedMetric& c : m) {
    ASSERT_TRUE(c.rel_error.has_value()) << c.key;
    // The file is illustrative (made to look like an H100 run), so only sanity is checked.
    EXPECT_LT(std::abs(*c.rel_error), 1.0) << c.key << " predicted " << c.predicted;
  }
}

}  // namespace
}  // namespace servesim
