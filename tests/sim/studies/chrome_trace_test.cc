// Chrome/Perfetto traces: one complete event per step, well-formed Trace Event JSON, lanes for
// overlapping micro-batches, and the reader the report uses.
#include "sim/studies/chrome_trace.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "sim/config/scenario.h"
#include "sim/runner.h"
#include "tests/sim/studies/study_test_util.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

template <typename Json>
int64_t CountX(const Json& trace) {
  int64_t n = 0;
  for (const auto& e : trace["traceEvents"]) n += e["ph"] == "X" ? 1 : 0;
  return n;
}

TEST(TraceTest, OneEventPerStepOfARun) {
  const Scenario s =
      ParseScenario(ConfigNode::LoadString(testing::kSmallScenario, "s.yaml"), std::nullopt);
  ChromeTrace trace;
  const RunResult traced = RunScenario(s, &trace);
  const RunResult plain = RunScenario(s);
  EXPECT_EQ(SummaryToJson(traced.summary).dump(), SummaryToJson(plain.summary).dump());
  EXPECT_EQ(trace.NumSteps(), traced.summary.num_steps);
  const nlohmann::ordered_json j = trace.ToJson({{"seed", 3}});
  EXPECT_EQ(CountX(j), traced.summary.num_steps);
  EXPECT_EQ(j["displayTimeUnit"], "ms");
  EXPECT_EQ(j["metadata"]["seed"], 3);
  double last_end = 0;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] != "X") continue;
    EXPECT_GE(e["ts"].get<double>() + 1e-6, last_end);  // one engine: steps back to back
    last_end = e["ts"].get<double>() + e["dur"].get<double>();
    EXPECT_GT(e["dur"].get<double>(), 0);
    EXPECT_LE(e["args"]["kv_used_blocks"], e["args"]["kv_total_blocks"]);
  }
  const std::vector<TracedStep> steps = ReadTracedSteps(j, "t.json");
  ASSERT_EQ(static_cast<int64_t>(steps.size()), traced.summary.num_steps);
  EXPECT_GT(steps.back().start_s, steps.front().start_s);
}

TEST(TraceTest, OverlappingStepsGoToSeparateLanes) {
  ChromeTrace trace;
  BatchShape decode;
  decode.decode_seqs = 4;
  decode.decode_context_tokens = 400;
  BatchShape prefill;
  prefill.prefills.push_back({128, 0, true});
  trace.OnStep(0, 0, 1000, decode, 10, 100);
  trace.OnStep(0, 500, 1000, prefill, 12, 100);  // overlaps the first: lane 1
  trace.OnStep(0, 1000, 1000, decode, 12, 100);  // lane 0 is free again
  trace.OnStep(1, 0, 1000, decode, 1, 100);
  const nlohmann::json j = nlohmann::json::parse(trace.ToJson({}).dump());
  std::vector<std::pair<int, int>> lanes;
  std::vector<std::string> names;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] != "X") continue;
    lanes.emplace_back(e["pid"], e["tid"]);
    names.push_back(e["name"]);
  }
  EXPECT_EQ(lanes, (std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {0, 0}, {1, 0}}));
  EXPECT_EQ(names, (std::vector<std::string>{"decode", "prefill", "decode", "decode"}));
  EXPECT_EQ(CountX(j), 4);
}

class TraceCliTest : public testing::ScratchDirTest {};

TEST_F(TraceCliTest, RunWritesATraceThatParses) {
  const fs::path scenario = Write("s.yaml", testing::kSmallScenario);
  const fs::path trace = dir_ / "t.json";
  const auto o = Servesim("run " + scenario.string() + " --quiet --json " +
                          (dir_ / "s.json").string() + " --chrome-trace " + trace.string());
  ASSERT_EQ(o.code, 0) << o.err;
  const auto t = nlohmann::json::parse(testing::Slurp(trace));
  const auto s = nlohmann::json::parse(testing::Slurp(dir_ / "s.json"));
  EXPECT_EQ(CountX(t), s["num_steps"].get<int64_t>());
}

}  // namespace
}  // namespace servesim
