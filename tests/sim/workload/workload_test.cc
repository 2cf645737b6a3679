#include "sim/workload/workload.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sim/config/input_error.h"
#include "tests/util/missing_data.h"
#include "tests/util/temp_file.h"
#include "tests/util/workload_yaml.h"

namespace servesim {
namespace {

WorkloadConfig Parse(const std::string& yaml) { return test_util::ParseWorkloadYaml(yaml); }
std::string ErrorOf(const std::string& yaml) { return test_util::WorkloadErrorOf(yaml); }

// All requests of an open-loop workload.
std::vector<RequestSpec> Drain(const WorkloadConfig& config, uint64_t seed = 1) {
  RequestGenerator gen(config, seed);
  std::vector<RequestSpec> out;
  while (std::optional<RequestSpec> r = gen.NextArrival()) out.push_back(*r);
  EXPECT_FALSE(gen.NextArrival());  // stays over
  return out;
}

// A trace file for the running test.
class TempTrace : public test_util::TempFile {
 public:
  explicit TempTrace(const std::string& contents) : TempFile(contents, "wl", ".csv") {}
};

std::string SharedTraceDir() { return std::string(SERVESIM_SOURCE_DIR) + "/../shared/traces/"; }

TEST(WorkloadParseTest, OpenLoopDefaults) {
  const WorkloadConfig c = Parse(
      "  arrival: {rate: 4}\n  num_requests: 10\n"
      "  input_tokens: 128\n  output_tokens: 16\n");
  EXPECT_EQ(c.process, ArrivalProcess::kPoisson);
  EXPECT_EQ(c.rate_per_s, 4.0);
  EXPECT_EQ(c.cv, 1.0);
  EXPECT_FALSE(c.ClosedLoop());
  EXPECT_EQ(c.num_requests, 10);
  EXPECT_FALSE(c.duration_s);
  EXPECT_EQ(c.input_tokens->Describe(), "fixed 128");
  EXPECT_FALSE(c.trace);
}

TEST(WorkloadParseTest, ClosedLoop) {
  const WorkloadConfig c = Parse(
      "  concurrency: 8\n  think_time_s: 0.5\n  duration_s: 60\n"
      "  input_tokens: {dist: uniform, min: 1, max: 9}\n"
      "  output_tokens: 16\n");
  EXPECT_TRUE(c.ClosedLoop());
  EXPECT_EQ(c.concurrency, 8);
  EXPECT_EQ(c.think_time_s, 0.5);
  EXPECT_EQ(c.duration_s, 60.0);
}

TEST(WorkloadParseTest, Errors) {
  const std::string lengths = "  input_tokens: 1\n  output_tokens: 1\n";
  EXPECT_EQ(ErrorOf("  arival: {rate: 1}\n"),
            "s.yaml:2:3: workload.arival: unknown key (did you mean 'arrival'?)");
  EXPECT_EQ(ErrorOf("  arrival: {rate: 0}\n  num_requests: 5\n" + lengths),
            "s.yaml:2:19: workload.arrival.rate: must be in (0, 1000000000], got 0");
  EXPECT_EQ(ErrorOf("  arrival: {rate: -2}\n  num_requests: 5\n" + lengths),
            "s.yaml:2:19: workload.arrival.rate: must be in (0, 1000000000], got -2");
  EXPECT_EQ(ErrorOf("  arrival: {process: poison, rate: 1}\n"),
            "s.yaml:2:22: workload.arrival.process: must be one of poisson, gamma, constant, "
            "burst, got 'poison' (did you mean 'poisson'?)");
  EXPECT_EQ(ErrorOf("  arrival: {process: burst}\n  duration_s: 5\n" + lengths),
            "s.yaml:2:3: workload.num_requests: missing required key (process 'burst' sends them "
            "all at 0)");
  EXPECT_EQ(
      ErrorOf("  arrival: {process: burst, rate: 3}\n  num_requests: 5\n" + lengths),
      "s.yaml:2:35: workload.arrival.rate: not allowed with process 'burst' (all arrive at 0)");
  EXPECT_EQ(ErrorOf("  arrival: {rate: 3, cv: 2}\n  num_requests: 5\n" + lengths),
            "s.yaml:2:26: workload.arrival.cv: only allowed with process 'gamma'");
  EXPECT_EQ(ErrorOf("  arrival: {rate: 3}\n  concurrency: 4\n  num_requests: 5\n" + lengths),
            "s.yaml:2:12: workload.arrival: not allowed with workload.concurrency (a closed loop "
            "issues a request when one completes)");
  EXPECT_EQ(ErrorOf("  arrival: {rate: 3}\n  think_time_s: 1\n  num_requests: 5\n" + lengths),
            "s.yaml:3:17: workload.think_time_s: only allowed with workload.concurrency (closed "
            "loop)");
  EXPECT_EQ(ErrorOf("  concurrency: 0\n  num_requests: 5\n" + lengths),
            "s.yaml:2:16: workload.concurrency: must be in [1, 1000000], got 0");
  EXPECT_EQ(ErrorOf("  arrival: {rate: 3}\n" + lengths),
            "s.yaml:2:3: workload: needs num_requests or duration_s (or a trace) to know when to "
            "stop");
  EXPECT_EQ(ErrorOf("  concurrency: 2\n" + lengths),
            "s.yaml:2:3: workload: needs num_requests or duration_s (or a trace) to know when to "
            "stop");
  EXPECT_EQ(ErrorOf("  arrival: {rate: 3}\n  num_requests: 2e9\n" + lengths),
            "s.yaml:3:17: workload.num_requests: must be <= 1000000000 (the most requests one run "
            "may issue), got 2e9");
  EXPECT_EQ(ErrorOf("  arrival: {rate: 3}\n  num_requests: 0\n" + lengths),
            "s.yaml:3:17: workload.num_requests: must be >= 1, got 0");
  // Only a duration bounds this open loop: rate x duration_s is the request count.
  EXPECT_EQ(ErrorOf("  arrival: {rate: 1e6}\n  duration_s: 1e4\n" + lengths),
            "s.yaml:3:15: workload.duration_s: arrival.rate x duration_s = 1e+06 x 10000 = 1e+10 "
            "requests, more than the 1000000000 one run may issue; lower either, or set "
            "workload.num_requests");
  EXPECT_NO_THROW(
      Parse("  arrival: {rate: 1e6}\n  duration_s: 1e4\n  num_requests: 100\n" + lengths));
  EXPECT_EQ(ErrorOf("  arrival: {rate: 3}\n  duration_s: 0\n" + lengths),
            "s.yaml:3:15: workload.duration_s: must be in (0, 1000000000], got 0");
  EXPECT_EQ(ErrorOf("  num_requests: 5\n" + lengths),
            "s.yaml:2:3: workload.arrival: missing required key (give arrival: {rate: ...}, "
            "concurrency, or a trace)");
  EXPECT_EQ(ErrorOf("  arrival: {rate: 3}\n  num_requests: 5\n  input_tokens: 1\n"),
            "s.yaml:2:3: workload.output_tokens: missing required key");
  EXPECT_EQ(ErrorOf("  arrival: {rate: 3}\n  num_requests: 5\n  output_tokens: 1\n"
                    "  input_tokens: {dist: normall, mean: 5, std: 1}\n"),
            "s.yaml:5:24: workload.input_tokens.dist: must be one of uniform, normal, lognormal, "
            "got 'normall' (did you mean 'normal'?)");
}

TEST(WorkloadParseTest, TraceErrors) {
  TempTrace trace("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,3,4\n");
  const std::string t = "  trace: {path: " + trace.path() + "}\n";
  EXPECT_EQ(ErrorOf(t + "  input_tokens: 5\n"),
            "s.yaml:3:17: workload.input_tokens: not allowed with workload.trace (lengths come "
            "from the trace)");
  EXPECT_EQ(ErrorOf(t + "  arrival: {rate: 1}\n"),
            "s.yaml:3:12: workload.arrival: not allowed with workload.trace (arrivals come from "
            "the trace; set trace.use_arrivals: false to draw them from workload.arrival)");
  EXPECT_EQ(ErrorOf(t + "  concurrency: 3\n"),
            "s.yaml:3:16: workload.concurrency: not allowed with trace arrivals (set "
            "trace.use_arrivals: false to take only lengths from the trace)");
  EXPECT_EQ(ErrorOf("  trace: {path: " + trace.path() + ", format: csv}\n"),
            trace.path() +
                ":1: format 'csv' expects the header "
                "'arrival_s,input_tokens,output_tokens', got "
                "'TIMESTAMP,ContextTokens,GeneratedTokens'");
  EXPECT_EQ(ErrorOf("  trace: {path: " + trace.path() + ", use_arrivals: false, rate_scale: 2}\n"),
            "s.yaml:2:" + std::to_string(52 + trace.path().size()) +
                ": workload.trace.rate_scale: only allowed with use_arrivals: true");
  EXPECT_EQ(ErrorOf("  trace: {path: " + trace.path() + ", use_arrivals: false}\n"),
            "s.yaml:2:3: workload.arrival: missing required key (trace.use_arrivals is false, so "
            "arrivals come from workload.arrival)");
  EXPECT_EQ(ErrorOf("  trace: {path: /nonexistent/servesim/x.csv}\n"),
            "s.yaml:2:17: workload.trace.path: cannot open trace '/nonexistent/servesim/x.csv' "
            "(looked in: /nonexistent/servesim/x.csv); run scripts/download_traces.sh to fetch "
            "the Azure traces");
  EXPECT_EQ(ErrorOf("  trace: {pth: x.csv}\n"),
            "s.yaml:2:11: workload.trace.pth: unknown key (did you mean 'path'?)");
}

TEST(WorkloadParseTest, RelativeTraceLooksInDataAndShared) {
  const std::string error = ErrorOf("  trace: {path: traces/servesim_no_such_trace.csv}\n");
  const std::string source = SERVESIM_SOURCE_DIR;
  const std::string parent = std::filesystem::path(source).parent_path().string();
  EXPECT_NE(error.find("(looked in: traces/servesim_no_such_trace.csv, " + source +
                       "/data/traces/servesim_no_such_trace.csv, " + parent +
                       "/shared/traces/servesim_no_such_trace.csv)"),
            std::string::npos)
      << error;
}

TEST(WorkloadParseTest, RelativeTraceFindsTheSharedCopy) {
  if (!std::filesystem::exists(SharedTraceDir() + "azure_llm_2023_code.csv")) {
    SERVESIM_SKIP_OR_FAIL_IN_CI("shared trace missing; run scripts/download_traces.sh");
  }
  const WorkloadConfig c = Parse("  trace: {path: traces/azure_llm_2023_code.csv}\n");
  ASSERT_TRUE(c.trace);
  EXPECT_EQ(c.trace->format, "azure");
  EXPECT_TRUE(std::filesystem::exists(c.trace->path));
  EXPECT_FALSE(c.input_tokens);
}

// Inter-arrival gaps in seconds.
std::vector<double> Gaps(const std::vector<RequestSpec>& requests) {
  std::vector<double> gaps;
  SimTime last = 0;
  for (const RequestSpec& r : requests) {
    gaps.push_back(SimTimeToSeconds(r.arrival - last));
    last = r.arrival;
  }
  return gaps;
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double Cv(const std::vector<double>& v) {
  const double mean = Mean(v);
  double sq = 0;
  for (double x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / static_cast<double>(v.size() - 1)) / mean;
}

const char kLengths[] = "  input_tokens: {dist: uniform, min: 10, max: 20}\n  output_tokens: 7\n";

TEST(WorkloadGeneratorTest, PoissonRateOver20kRequests) {
  const std::vector<RequestSpec> reqs =
      Drain(Parse(std::string("  arrival: {rate: 5}\n  num_requests: 20000\n") + kLengths));
  ASSERT_EQ(reqs.size(), 20000u);
  EXPECT_GT(reqs[0].arrival, 0);  // one inter-arrival after 0
  const double rate = 20000 / SimTimeToSeconds(reqs.back().arrival);
  EXPECT_NEAR(rate, 5.0, 5.0 * 0.03);
  EXPECT_NEAR(Cv(Gaps(reqs)), 1.0, 0.03);
  for (size_t i = 1; i < reqs.size(); ++i) ASSERT_GE(reqs[i].arrival, reqs[i - 1].arrival);
  for (const RequestSpec& r : reqs) {
    ASSERT_GE(r.input_tokens, 10);
    ASSERT_LE(r.input_tokens, 20);
    ASSERT_EQ(r.output_tokens, 7);
  }
}

TEST(WorkloadGeneratorTest, GammaHasTheRequestedCv) {
  for (const double cv : {0.5, 2.0}) {
    const std::vector<RequestSpec> reqs =
        Drain(Parse("  arrival: {process: gamma, rate: 10, cv: " + std::to_string(cv) +
                    "}\n  num_requests: 20000\n" + kLengths));
    const std::vector<double> gaps = Gaps(reqs);
    SCOPED_TRACE(cv);
    EXPECT_NEAR(Mean(gaps), 0.1, 0.1 * 0.03);
    EXPECT_NEAR(Cv(gaps), cv, cv * 0.05);
  }
}

TEST(WorkloadGeneratorTest, ConstantIsExactAndStartsAtZero) {
  const std::vector<RequestSpec> reqs = Drain(
      Parse(std::string("  arrival: {process: constant, rate: 3}\n  duration_s: 10\n") + kLengths));
  ASSERT_EQ(reqs.size(), 31u);  // 0, 1/3, ..., 10 (an arrival exactly at duration_s counts)
  EXPECT_EQ(reqs[0].arrival, 0);
  EXPECT_EQ(reqs[1].arrival, 333333333);
  EXPECT_EQ(reqs[3].arrival, 1'000'000'000);  // no drift
  EXPECT_EQ(reqs[30].arrival, 10'000'000'000);
}

TEST(WorkloadGeneratorTest, BurstArrivesAtZero) {
  const std::vector<RequestSpec> reqs =
      Drain(Parse(std::string("  arrival: {process: burst}\n  num_requests: 50\n") + kLengths));
  ASSERT_EQ(reqs.size(), 50u);
  for (const RequestSpec& r : reqs) EXPECT_EQ(r.arrival, 0);
}

TEST(WorkloadGeneratorTest, DurationStopsPoisson) {
  const std::vector<RequestSpec> reqs = Drain(
      Parse(std::string("  arrival: {rate: 100}\n  duration_s: 20\n  num_requests: 100000\n") +
            kLengths));
  EXPECT_NEAR(static_cast<double>(reqs.size()), 2000.0, 150.0);
  EXPECT_LE(reqs.back().arrival, 20 * kNsPerSecond);
}

TEST(WorkloadGeneratorTest, SameSeedSameSequenceOtherSeedDiffers) {
  const WorkloadConfig c = Parse(
      "  arrival: {process: gamma, rate: 10, cv: 3}\n  num_requests: 500\n"
      "  input_tokens: {dist: lognormal, mean: 500, sigma: 1}\n"
      "  output_tokens: {dist: normal, mean: 200, std: 50}\n");
  const auto key = [](const std::vector<RequestSpec>& v) {
    std::vector<int64_t> out;
    for (const RequestSpec& r : v)
      out.insert(out.end(), {r.arrival, r.input_tokens, r.output_tokens});
    return out;
  };
  EXPECT_EQ(key(Drain(c, 42)), key(Drain(c, 42)));
  EXPECT_NE(key(Drain(c, 42)), key(Drain(c, 43)));
}

TEST(WorkloadGeneratorTest, ClosedLoopAddsThinkTimeAndStops) {
  RequestGenerator gen(Parse("  concurrency: 2\n  think_time_s: 0.25\n  num_requests: 3\n"
                             "  duration_s: 100\n" +
                             std::string(kLengths)),
                       1);
  EXPECT_EQ(gen.NextClosedLoop(0)->arrival, 250'000'000);
  EXPECT_EQ(gen.NextClosedLoop(kNsPerSecond)->arrival, 1'250'000'000);
  EXPECT_TRUE(gen.NextClosedLoop(2 * kNsPerSecond));
  EXPECT_FALSE(gen.NextClosedLoop(3 * kNsPerSecond));  // num_requests issued
  RequestGenerator timed(Parse("  concurrency: 2\n  duration_s: 10\n" + std::string(kLengths)), 1);
  EXPECT_TRUE(timed.NextClosedLoop(10 * kNsPerSecond));
  EXPECT_FALSE(timed.NextClosedLoop(10 * kNsPerSecond + 1));  // past duration_s
}

const char kSmallTrace[] =
    "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
    "2023-11-16 18:15:46.6805900,374,44\r\n"
    "2023-11-16 18:15:50.9951690,396,109\r\n"
    "2023-11-16 18:15:56.6805901,7,3\r\n";

TEST(WorkloadGeneratorTest, TraceReplayIsExactAndRateScaleHalvesTheSpan) {
  TempTrace trace(kSmallTrace);
  const std::vector<RequestSpec> reqs = Drain(Parse("  trace: {path: " + trace.path() + "}\n"));
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].arrival, 0);
  EXPECT_EQ(reqs[1].arrival, 4'314'579'000);
  EXPECT_EQ(reqs[2].arrival, 10'000'000'100);
  EXPECT_EQ(reqs[1].input_tokens, 396);
  EXPECT_EQ(reqs[1].output_tokens, 109);
  const std::vector<RequestSpec> fast =
      Drain(Parse("  trace: {path: " + trace.path() + ", rate_scale: 2}\n"));
  EXPECT_EQ(fast[2].arrival, 5'000'000'050);
  const std::vector<RequestSpec> limited =
      Drain(Parse("  trace: {path: " + trace.path() + "}\n  num_requests: 2\n"));
  EXPECT_EQ(limited.size(), 2u);
  const std::vector<RequestSpec> timed =
      Drain(Parse("  trace: {path: " + trace.path() + "}\n  duration_s: 10\n"));
  EXPECT_EQ(timed.size(), 2u);
}

TEST(WorkloadGeneratorTest, TraceLengthsWithSyntheticArrivals) {
  TempTrace trace(kSmallTrace);
  const std::vector<RequestSpec> reqs =
      Drain(Parse("  trace: {path: " + trace.path() +
                  ", use_arrivals: false}\n  arrival: {process: constant, rate: 2}\n"));
  ASSERT_EQ(reqs.size(), 3u);  // the trace ends the workload
  EXPECT_EQ(reqs[1].arrival, 500'000'000);
  EXPECT_EQ(reqs[2].input_tokens, 7);
  EXPECT_EQ(reqs[2].output_tokens, 3);
}

TEST(WorkloadGeneratorTest, MalformedAndUnsortedRowsFailWithTheirLine) {
  TempTrace bad("arrival_s,input_tokens,output_tokens\n0,1,1\n1,2,abc\n");
  RequestGenerator gen(Parse("  trace: {path: " + bad.path() + "}\n"), 1);
  EXPECT_TRUE(gen.NextArrival());
  try {
    gen.NextArrival();
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              bad.path() + ":3: column 'output_tokens': expected an integer >= 1, got 'abc'");
  }
  TempTrace unsorted("arrival_s,input_tokens,output_tokens\n5,1,1\n4,2,2\n");
  RequestGenerator gen2(Parse("  trace: {path: " + unsorted.path() + ", format: csv}\n"), 1);
  EXPECT_TRUE(gen2.NextArrival());
  EXPECT_THROW(gen2.NextArrival(), InputError);
}

void ExpectSharedTraceReplays(const std::string& name, size_t rows) {
  const std::string path = SharedTraceDir() + name;
  if (!std::filesystem::exists(path)) {
    SERVESIM_SKIP_OR_FAIL_IN_CI("trace " + path + " is missing; run scripts/download_traces.sh");
  }
  const std::vector<RequestSpec> reqs = Drain(Parse("  trace: {path: " + path + "}\n"));
  ASSERT_EQ(reqs.size(), rows);
  const std::vector<RequestSpec> fast =
      Drain(Parse("  trace: {path: " + path + ", rate_scale: 2}\n"));
  ASSERT_EQ(fast.size(), rows);
  EXPECT_NEAR(static_cast<double>(fast.back().arrival), reqs.back().arrival / 2.0, 1.0);
}

TEST(WorkloadGeneratorTest, SharedConversationTraceReplaysFully) {
  ExpectSharedTraceReplays("azure_llm_2023_conv.csv", 19366);
}

TEST(WorkloadGeneratorTest, SharedCodeTraceReplaysFully) {
  ExpectSharedTraceReplays("azure_llm_2023_code.csv", 8819);
}

}  // namespace
}  // namespace servesim
