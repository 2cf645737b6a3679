// Run size estimates and the refusal of runs that cannot fit in this machine's memory (issue 13:
// 1e8 requests, about 35 GB, used to be accepted silently).
#include "sim/config/run_estimate.h"

#include <gtest/gtest.h>

#include <sstream>

#include "sim/config/config_node.h"
#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/studies/progress.h"

namespace servesim {
namespace {

WorkloadConfig Workload(const std::string& yaml) {
  return ParseWorkload(ConfigNode::LoadString(yaml, "w.yaml"));
}

TEST(RunEstimateTest, ExpectedRequestsFromTheStopConditions) {
  EXPECT_EQ(*ExpectedRequests(Workload(
                "{arrival: {rate: 2}, num_requests: 500, input_tokens: 8, output_tokens: 8}")),
            500);
  EXPECT_EQ(*ExpectedRequests(Workload(
                "{arrival: {rate: 2}, duration_s: 100, input_tokens: 8, output_tokens: 8}")),
            200);
  EXPECT_EQ(*ExpectedRequests(Workload("{arrival: {rate: 2}, duration_s: 100, num_requests: 50, "
                                       "input_tokens: 8, output_tokens: 8}")),
            50);
  EXPECT_EQ(*ExpectedRequests(Workload("{arrival: {rate: 2}, sessions: {num_sessions: 10, turns: "
                                       "4}, input_tokens: 8, output_tokens: 8}")),
            40);
  // A closed loop bounded only by time issues as many as it serves: not known up front.
  EXPECT_FALSE(
      ExpectedRequests(Workload("{concurrency: 4, duration_s: 100, input_tokens: 8, "
                                "output_tokens: 8}")));
  EXPECT_DOUBLE_EQ(EstimatedRunBytes(1e6, 8), 1e6 * 256 + 8 * 2560);
  EXPECT_EQ(FormatBytes(47.7 * 1024 * 1024 * 1024), "47.7 GiB");
  EXPECT_EQ(FormatBytes(512 * 1024 * 1024), "512 MiB");
}

TEST(RunEstimateTest, ARunThatCannotFitInMemoryIsRefusedAtItsKey) {
  if (MachineMemoryBytes() >= EstimatedRunBytes(1e9, 1)) {
    GTEST_SKIP() << "this machine holds 1e9 requests";
  }
  EXPECT_EQ(MemoryRefusal(1000, 1), "");
  const std::string refusal = MemoryRefusal(1e9, 1);
  EXPECT_EQ(refusal.rfind("a run of 1e+09 requests on 1 replica needs about 238.4 GiB of memory "
                          "(256 bytes per request, 2560 per replica; docs/performance.md), more "
                          "than this machine's ",
                          0),
            0u)
      << refusal;
  const char* yaml =
      "model: llama-3.1-8b\nhardware: {gpu: h100-sxm-80gb}\n"
      "workload: {arrival: {rate: 1000}, num_requests: 1000000000, input_tokens: 100,\n"
      "           output_tokens: 10}\n";
  std::string what;
  try {
    ParseScenario(ConfigNode::LoadString(yaml, "big.yaml"), std::nullopt);
  } catch (const InputError& e) {
    what = e.what();
  }
  EXPECT_EQ(what.rfind("big.yaml:3:49: workload.num_requests: a run of 1e+09 requests on 1 "
                       "replica needs about 238.4 GiB",
                       0),
            0u)
      << what;
  EXPECT_NE(what.find("; lower it"), std::string::npos) << what;
}

TEST(RunEstimateTest, ProgressStaysSilentForShortRunsAndCountsWithoutATotal) {
  std::ostringstream err;
  Progress quiet_while_short("requests", 100, true, false, err, /*delay_s=*/3600);
  quiet_while_short.Update(50);
  quiet_while_short.Finish();
  EXPECT_EQ(err.str(), "");
  EXPECT_EQ(Progress::Line("requests", 4096, 0, 2.0), "4096 requests, 2.05e+03/s");
  EXPECT_EQ(Progress::Line("requests", 50, 100, 10.0), "50/100 requests (50%), 5/s, ETA 10s");
  const EtaClock clock;
  EXPECT_EQ(clock.EtaSuffix(0, 10), "");
  EXPECT_EQ(clock.EtaSuffix(10, 10), "");
  EXPECT_EQ(clock.EtaSuffix(1, 10).rfind(", ETA ", 0), 0u);
}

}  // namespace
}  // namespace servesim
