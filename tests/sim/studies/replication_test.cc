// Replications: Student t intervals on synthetic numbers, which keys are summarised, and
// determinism of real replicated runs.
#include "sim/studies/replication.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/runner.h"
#include "tests/sim/studies/study_test_util.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

TEST(ReplicationTest, StudentTQuantilesMatchTables) {
  EXPECT_NEAR(StudentT975(1), 12.7062, 1e-4);
  EXPECT_NEAR(StudentT975(4), 2.7764, 1e-4);
  EXPECT_NEAR(StudentT975(9), 2.2622, 1e-4);
  EXPECT_NEAR(StudentT975(29), 2.0452, 1e-4);
  EXPECT_NEAR(StudentT975(1000), 1.9623, 1e-4);
}

TEST(ReplicationTest, IntervalOnSyntheticNumbers) {
  // mean 3, sample sd sqrt(2.5), n 5: half width 2.7764 * 1.5811 / sqrt(5) = 1.9632.
  const MetricInterval m = Interval("x", {1, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(m.mean, 3);
  EXPECT_NEAR(m.ci95_low, 3 - 1.96324, 1e-4);
  EXPECT_NEAR(m.ci95_high, 3 + 1.96324, 1e-4);
  const MetricInterval c = Interval("c", {0.1, 0.1, 0.1});
  EXPECT_EQ(c.mean, 0.1);
  EXPECT_EQ(c.ci95_low, 0.1);
  EXPECT_EQ(c.ci95_high, 0.1);
}

TEST(ReplicationTest, EveryNumericLeafButTheSeed) {
  std::vector<nlohmann::ordered_json> results;
  for (int k = 0; k < 3; ++k) {
    nlohmann::ordered_json j;
    j["a"] = k;
    j["name"] = "x";
    j["seed"] = 10 + k;
    j["nested"] = {{"b", 2.0 * k}};
    j["list"] = {1, 2};
    results.push_back(j);
  }
  const std::vector<MetricInterval> m = SummarizeReplications(results);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].key, "a");
  EXPECT_EQ(m[1].key, "nested.b");
  EXPECT_DOUBLE_EQ(m[1].mean, 2.0);
}

TEST(ReplicationTest, SeedsAreConsecutiveAndThreadsDoNotMatter) {
  const Scenario base =
      ParseScenario(ConfigNode::LoadString(testing::kSmallScenario, "s.yaml"), std::nullopt);
  const auto run = [&](uint64_t seed) {
    Scenario s = base;
    s.seed = seed;
    return SummaryToJson(RunScenario(s).summary);
  };
  const ReplicationStats one = Replicate(4, 3, 1, run);
  const ReplicationStats four = Replicate(4, 3, 4, run);
  EXPECT_EQ(one.seeds, (std::vector<uint64_t>{3, 4, 5, 6}));
  EXPECT_EQ(ReplicationsToJson(one).dump(), ReplicationsToJson(four).dump());
  const auto j = ReplicationsToJson(one);
  const auto& ttft = j["metrics"]["p99_ttft_ms"];
  EXPECT_LT(ttft["ci95_low"].get<double>(), ttft["mean"].get<double>());
  EXPECT_GT(ttft["ci95_high"].get<double>(), ttft["mean"].get<double>());
  EXPECT_FALSE(j["metrics"].contains("seed"));
  std::ostringstream table;
  PrintReplications(one, table);
  EXPECT_NE(table.str().find("4 replications (seeds 3..6)"), std::string::npos) << table.str();
}

TEST(ReplicationTest, NeedsTwoReplications) {
  try {
    Replicate(1, 0, 1, [](uint64_t) { return nlohmann::ordered_json::object(); });
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "--replications 1: need at least 2 for a confidence interval");
  }
}

class ReplicationCliTest : public testing::ScratchDirTest {};

TEST_F(ReplicationCliTest, RunReportsReplicationsAndKeepsTheBaseSummary) {
  const fs::path scenario = Write("s.yaml", testing::kSmallScenario);
  const auto plain = Servesim("run " + scenario.string() + " --json " + (dir_ / "a.json").string());
  ASSERT_EQ(plain.code, 0) << plain.err;
  const auto rep = Servesim("run " + scenario.string() + " --replications 3 --json " +
                            (dir_ / "b.json").string());
  ASSERT_EQ(rep.code, 0) << rep.err;
  EXPECT_NE(rep.out.find("3 replications (seeds 3..5)"), std::string::npos) << rep.out;
  auto a = nlohmann::ordered_json::parse(testing::Slurp(dir_ / "a.json"));
  auto b = nlohmann::ordered_json::parse(testing::Slurp(dir_ / "b.json"));
  EXPECT_EQ(b["replications"]["count"], 3);
  EXPECT_TRUE(b["replications"]["metrics"]["p99_ttft_ms"].contains("ci95_high"));
  b.erase("replications");
  EXPECT_EQ(a.dump(), b.dump());  // the base run is the plain run
}

}  // namespace
}  // namespace servesim
