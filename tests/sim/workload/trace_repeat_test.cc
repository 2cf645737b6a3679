// workload.trace.repeat: a trace replayed back to back, streamed pass after pass.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sim/config/config_node.h"
#include "sim/config/input_error.h"
#include "sim/workload/trace_reader.h"
#include "sim/workload/workload.h"
#include "tests/util/temp_file.h"
#include "tests/util/workload_yaml.h"

namespace servesim {
namespace {

// A trace file for the running test.
class TempTrace : public test_util::TempFile {
 public:
  explicit TempTrace(const std::string& contents) : TempFile(contents, "rep", ".csv") {}
};

WorkloadConfig Parse(const std::string& yaml) { return test_util::ParseWorkloadYaml(yaml); }
std::string ErrorOf(const std::string& yaml) { return test_util::WorkloadErrorOf(yaml); }

std::vector<RequestSpec> Drain(const WorkloadConfig& config) {
  RequestGenerator gen(config, 1);
  std::vector<RequestSpec> out;
  while (std::optional<RequestSpec> r = gen.NextArrival()) out.push_back(*r);
  return out;
}

// Rows at 0, 4 and 10 s: span 10 s, mean gap 5 s, so the period is 15 s.
const char kTrace[] =
    "arrival_s,input_tokens,output_tokens,session_id\n"
    "100,10,1,0\n"
    "104,20,2,\n"
    "110,30,3,2\n";

TEST(TraceRepeatTest, PassesFollowEachOtherOnePeriodApart) {
  TempTrace trace(kTrace);
  const std::vector<RequestSpec> reqs =
      Drain(Parse("  trace: {path: " + trace.path() + ", repeat: 3}\n"));
  ASSERT_EQ(reqs.size(), 9u);
  const std::vector<SimTime> expected_s = {0, 4, 10, 15, 19, 25, 30, 34, 40};
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(reqs[i].arrival, expected_s[i] * kNsPerSecond) << i;
    EXPECT_EQ(reqs[i].input_tokens, static_cast<int64_t>(10 * (i % 3 + 1))) << i;
  }
  // Sessions of later passes are new conversations: ids shifted by (largest id + 1) per pass.
  EXPECT_EQ(reqs[0].session, 0);
  EXPECT_EQ(reqs[1].session, -1);
  EXPECT_EQ(reqs[3].session, 3);
  EXPECT_EQ(reqs[5].session, 5);
  EXPECT_EQ(reqs[8].session, 8);
}

TEST(TraceRepeatTest, RateScaleAndNumRequestsApplyToTheWholeReplay) {
  TempTrace trace(kTrace);
  const std::vector<RequestSpec> reqs = Drain(Parse(
      "  trace: {path: " + trace.path() + ", repeat: 1000, rate_scale: 5}\n  num_requests: 7\n"));
  ASSERT_EQ(reqs.size(), 7u);
  EXPECT_EQ(reqs[6].arrival, 6 * kNsPerSecond);  // 30 s / 5
}

TEST(TraceRepeatTest, RepeatOneIsThePlainReplay) {
  TempTrace trace(kTrace);
  const std::vector<RequestSpec> once = Drain(Parse("  trace: {path: " + trace.path() + "}\n"));
  const std::vector<RequestSpec> one =
      Drain(Parse("  trace: {path: " + trace.path() + ", repeat: 1}\n"));
  ASSERT_EQ(once.size(), 3u);
  ASSERT_EQ(one.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(once[i].arrival, one[i].arrival);
}

TEST(TraceRepeatTest, OneRowTraceRepeatsAtTheSameInstant) {
  TempTrace trace("arrival_s,input_tokens,output_tokens\n7,5,5\n");
  const std::vector<RequestSpec> reqs =
      Drain(Parse("  trace: {path: " + trace.path() + ", repeat: 4}\n"));
  ASSERT_EQ(reqs.size(), 4u);
  for (const RequestSpec& r : reqs) EXPECT_EQ(r.arrival, 0);
}

TEST(TraceRepeatTest, LengthsOnlyReplayCyclesThroughTheRows) {
  TempTrace trace(kTrace);
  const std::vector<RequestSpec> reqs = Drain(Parse("  trace: {path: " + trace.path() +
                                                    ", repeat: 2, use_arrivals: false}\n"
                                                    "  arrival: {process: constant, rate: 1}\n"));
  ASSERT_EQ(reqs.size(), 6u);
  EXPECT_EQ(reqs[4].input_tokens, 20);
  EXPECT_EQ(reqs[5].arrival, 5 * kNsPerSecond);
}

TEST(TraceRepeatTest, BadRepeatIsALocatedError) {
  TempTrace trace(kTrace);
  const std::string at = "  trace: {path: " + trace.path() + ", repeat: ";
  const int col = static_cast<int>(at.size()) + 1;
  EXPECT_EQ(ErrorOf(at + "0}\n"), "s.yaml:2:" + std::to_string(col) +
                                      ": workload.trace.repeat: must be in [1, 1000000], "
                                      "got 0");
  EXPECT_EQ(ErrorOf(at + "1.5}\n"), "s.yaml:2:" + std::to_string(col) +
                                        ": workload.trace.repeat: expected an integer, "
                                        "got '1.5'");
}

TEST(TraceRepeatTest, ShiftedTimesPastTheHorizonAreAnError) {
  // A span of 1e9 s, repeated: the second pass starts past the simulator's arrival horizon.
  TempTrace trace("arrival_s,input_tokens,output_tokens\n0,1,1\n1000000000,1,1\n");
  try {
    Drain(Parse("  trace: {path: " + trace.path() + ", repeat: 2}\n"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), trace.path() +
                                         ":2: arrival is more than 1000000000 s after the first "
                                         "row (after rate_scale 1)");
  }
}

// The table is sized from MaxRequests: never below what the workload issues.
TEST(TraceRepeatTest, MaxRequestsBoundsWhatIsIssued) {
  TempTrace trace(kTrace);
  const WorkloadConfig three = Parse("  trace: {path: " + trace.path() + ", repeat: 3}\n");
  EXPECT_EQ(RequestGenerator(three, 1).MaxRequests(), 12);  // 4 newlines (header + 3 rows) x 3
  EXPECT_EQ(Drain(three).size(), 9u);
  const WorkloadConfig cut =
      Parse("  trace: {path: " + trace.path() + ", repeat: 3}\n  num_requests: 5\n");
  EXPECT_EQ(RequestGenerator(cut, 1).MaxRequests(), 5);
  EXPECT_EQ(Drain(cut).size(), 5u);
  // No final newline, blank lines: still a bound.
  TempTrace ragged("arrival_s,input_tokens,output_tokens\n\n0,1,1\n\n1,1,1");
  const WorkloadConfig r = Parse("  trace: {path: " + ragged.path() + "}\n");
  EXPECT_EQ(RequestGenerator(r, 1).MaxRequests(), 4);
  EXPECT_EQ(Drain(r).size(), 2u);
  EXPECT_EQ(TraceDataLinesAtMost(ragged.path() + ".missing"), std::nullopt);
}

TEST(TraceRepeatTest, MaxRequestsOfSyntheticWorkloads) {
  const std::string lengths = "  input_tokens: 8\n  output_tokens: 4\n";
  const std::string poisson = "  arrival: {process: poisson, rate: 2}\n";
  EXPECT_EQ(RequestGenerator(Parse(poisson + "  num_requests: 7\n" + lengths), 1).MaxRequests(), 7);
  // A closed loop's warm-up requests are in the table too.
  EXPECT_EQ(RequestGenerator(Parse("  concurrency: 2\n  num_requests: 7\n"
                                   "  warmup_requests: 3\n" +
                                   lengths),
                             1)
                .MaxRequests(),
            10);
  // Bounded by time alone: not known.
  EXPECT_EQ(RequestGenerator(
                Parse("  arrival: {process: poisson, rate: 2}\n  duration_s: 5\n" + lengths), 1)
                .MaxRequests(),
            std::nullopt);
}

}  // namespace
}  // namespace servesim
