// Closed-loop benchmark semantics as benchmark clients run them: clients that start together or
// ramp up, warm-up requests served before the measured run and left out of its statistics.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "sim/config/scenario.h"
#include "sim/report/summary.h"
#include "sim/runner.h"
#include "tests/util/workload_yaml.h"

namespace servesim {
namespace {

Scenario Load(const std::string& workload) {
  const std::string yaml =
      "model: llama-3.1-8b\nhardware: {gpu: h100-sxm-80gb}\nengine: {preset: vllm-v1}\n"
      "workload: " +
      workload + "\nseed: 3\n";
  return ParseScenario(ConfigNode::LoadString(yaml, "s.yaml"), std::nullopt);
}

TEST(ClosedLoopTest, ClientsStartTogetherOrRampUp) {
  const RunResult together =
      RunScenario(Load("{concurrency: 4, num_requests: 8, input_tokens: 100, output_tokens: 20}"));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(together.requests[static_cast<size_t>(i)].arrival, 0);
  const RunResult ramp = RunScenario(Load(
      "{concurrency: 4, ramp_up_s: 2, num_requests: 8, input_tokens: 100, output_tokens: 20}"));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ramp.requests[static_cast<size_t>(i)].arrival, SecondsToSimTime(0.5 * i)) << i;
  }
  EXPECT_EQ(ramp.summary.completed, 8);
}

TEST(ClosedLoopTest, WarmupRequestsRunFirstAndStayOutOfTheStatistics) {
  const RunResult r = RunScenario(
      Load("{concurrency: 4, warmup_requests: 6, num_requests: 12, input_tokens: {dist: uniform, "
           "min: 50, max: 500}, output_tokens: 30}"));
  ASSERT_EQ(r.requests.size(), 18u);
  SimTime last_warmup_finish = 0, first_measured_arrival = -1;
  for (const Request& q : r.requests) {
    if (q.warmup) {
      last_warmup_finish = std::max(last_warmup_finish, q.finish);
    } else if (first_measured_arrival < 0) {
      first_measured_arrival = q.arrival;
    }
  }
  EXPECT_EQ(std::count_if(r.requests.begin(), r.requests.end(),
                          [](const Request& q) { return q.warmup; }),
            6);
  // The measured clients start together when the last warm-up request completed.
  EXPECT_EQ(first_measured_arrival, last_warmup_finish);
  EXPECT_EQ(r.summary.completed, 12);
  SimTime last = 0;
  int64_t output = 0;
  for (const Request& q : r.requests) {
    if (!q.warmup) {
      last = std::max(last, q.finish);
      output += q.output_tokens;
    }
  }
  EXPECT_NEAR(r.summary.duration_s, SimTimeToSeconds(last - last_warmup_finish), 1e-9);
  EXPECT_EQ(r.summary.total_output_tokens, output);
  // --requests-csv marks the warm-up rows rather than passing them off as measured ones.
  const std::string text = RequestsCsv(r.requests);
  size_t warmup_rows = 0;
  for (size_t at = text.find(",warmup\n"); at != std::string::npos;
       at = text.find(",warmup\n", at + 1)) {
    ++warmup_rows;
  }
  EXPECT_EQ(warmup_rows, 6u);
  // Without warm-up the first measured request arrives at 0.
  const RunResult plain =
      RunScenario(Load("{concurrency: 4, num_requests: 12, input_tokens: 100, output_tokens: 30}"));
  EXPECT_EQ(plain.requests.front().arrival, 0);
}

TEST(ClosedLoopTest, RampUpAndWarmupBelongToClosedLoops) {
  EXPECT_EQ(
      test_util::WorkloadErrorOf("  arrival: {rate: 1}\n  ramp_up_s: 2\n  num_requests: 9\n"
                                 "  input_tokens: 10\n  output_tokens: 10\n"),
      "s.yaml:3:14: workload.ramp_up_s: only allowed with workload.concurrency (closed loop)");
  EXPECT_EQ(test_util::WorkloadErrorOf("  concurrency: 2\n  warmup_requests: 4\n  duration_s: 10\n"
                                       "  input_tokens: 10\n  output_tokens: 10\n"),
            "s.yaml:3:20: workload.warmup_requests: not allowed with workload.duration_s (the "
            "measured run follows a fixed number of synthetic warm-up requests)");
  EXPECT_EQ(test_util::WorkloadErrorOf("  concurrency: 2\n  ramp_up_s: -1\n  num_requests: 4\n"
                                       "  input_tokens: 10\n  output_tokens: 10\n"),
            "s.yaml:3:14: workload.ramp_up_s: must be in [0, 1000000000], got -1");
}

}  // namespace
}  // namespace servesim
