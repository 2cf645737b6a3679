// Capacity search: bracketing and bisection on fakes whose SLO boundary is known exactly, SLO
// parsing, and the search on real simulations.
#include "sim/studies/capacity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/studies/capacity_study.h"
#include "tests/sim/studies/study_test_util.h"
#include "tests/util/error_of.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

// A fake deployment: p99 TTFT is 100 ms below `knee` req/s and 10 s above (a step), TPOT grows
// linearly; counts evaluations per rate.
struct StepModelFake {
  double knee;
  std::map<double, int> calls;
  Summary operator()(double rate) {
    ++calls[rate];
    Summary s;
    s.completed = 100;
    s.ttft.p99_ms = rate <= knee ? 100 : 10000;
    s.tpot.p99_ms = rate;  // 1 ms per req/s
    s.goodput = rate <= knee ? rate : 0;
    s.slo_attainment = rate <= knee ? 1.0 : 0.5;
    return s;
  }
};

CapacitySlo TtftSlo() { return ParseCapacitySlo("ttft_p99_ms=2000", std::nullopt); }

std::string ErrorOf(const std::function<void()>& fn) { return test_util::InputErrorOf(fn); }

TEST(CapacityTest, BisectionFindsAStepBoundaryWithinTolerance) {
  for (double knee : {0.37, 3.0, 10.0, 123.4, 5000.0}) {
    StepModelFake fake{knee, {}};
    CapacityOptions o;
    o.start_rate = 8;
    const CapacityResult r = FindCapacity(std::ref(fake), TtftSlo(), o);
    EXPECT_LE(r.max_rate, knee) << knee;
    EXPECT_GT(r.fail_rate, knee) << knee;
    EXPECT_LE(r.fail_rate - r.max_rate, o.tolerance * r.max_rate) << knee;
    EXPECT_EQ(r.at_max.ttft.p99_ms, 100);
    EXPECT_DOUBLE_EQ(r.at_max.goodput, r.max_rate);
    for (const auto& [rate, n] : fake.calls) EXPECT_EQ(n, 1) << "rate " << rate << " twice";
    EXPECT_LE(r.search.size(), 30u);
  }
}

TEST(CapacityTest, SearchOrderBracketsByDoublingThenBisects) {
  StepModelFake fake{10.0, {}};
  CapacityOptions o;
  o.start_rate = 1;
  o.tolerance = 0.1;
  const CapacityResult r = FindCapacity(std::ref(fake), TtftSlo(), o);
  std::vector<double> rates;
  for (const LoadPoint& p : r.search) rates.push_back(p.rate);
  // 1, 2, 4, 8 hold, 16 fails; then 12 (fail), 10 (holds), 11 (fail), then stop: 11-10 <= 1.
  EXPECT_EQ(rates, (std::vector<double>{1, 2, 4, 8, 16, 12, 10, 11}));
  EXPECT_EQ(r.max_rate, 10);
  EXPECT_EQ(r.fail_rate, 11);
}

TEST(CapacityTest, CurveSurroundsTheKneeInRateOrder) {
  StepModelFake fake{10.0, {}};
  CapacityOptions o;
  o.start_rate = 1;
  const CapacityResult r = FindCapacity(std::ref(fake), TtftSlo(), o);
  ASSERT_EQ(r.curve.size(), o.curve_fractions.size());
  for (size_t i = 0; i < r.curve.size(); ++i) {
    EXPECT_DOUBLE_EQ(r.curve[i].rate, o.curve_fractions[i] * r.max_rate);
    EXPECT_EQ(r.curve[i].holds, r.curve[i].rate <= 10.0);
  }
}

TEST(CapacityTest, HalvesWhenTheStartRateFails) {
  StepModelFake fake{0.3, {}};
  CapacityOptions o;
  o.start_rate = 16;
  const CapacityResult r = FindCapacity(std::ref(fake), TtftSlo(), o);
  EXPECT_EQ(r.search[0].rate, 16);
  EXPECT_FALSE(r.search[0].holds);
  // After two failures the floor is tried once (it holds), then the halving goes on.
  EXPECT_EQ(r.search[1].rate, 8);
  EXPECT_EQ(r.search[2].rate, o.min_rate);
  EXPECT_TRUE(r.search[2].holds);
  EXPECT_EQ(r.search[3].rate, 4);
  EXPECT_LE(r.max_rate, 0.3);
  EXPECT_GT(r.max_rate, 0.3 / (1 + o.tolerance));
}

TEST(CapacityTest, LimitsOnBothSidesAreReported) {
  StepModelFake never{-1.0, {}};
  StepModelFake always{1e12, {}};
  CapacityOptions o;
  EXPECT_EQ(ErrorOf([&] { FindCapacity(std::ref(never), TtftSlo(), o); }),
            "capacity: the SLO (ttft_p99_ms <= 2000) fails even at 0.001 req/s: it is "
            "below the unloaded latency");
  // Issue 13: an impossible SLO is found out after the start rate, half of it and the floor
  // (three simulations), not after halving all the way down (eleven).
  EXPECT_EQ(never.calls, (std::map<double, int>{{0.001, 1}, {0.5, 1}, {1, 1}}));
  EXPECT_THROW(FindCapacity(std::ref(never), TtftSlo(), o), SloUnreachable);
  EXPECT_EQ(ErrorOf([&] { FindCapacity(std::ref(always), TtftSlo(), o); }),
            "capacity: the SLO (ttft_p99_ms <= 2000) still holds at 8.38861e+06 req/s; is the "
            "workload too short to load the deployment (workload.num_requests / duration_s)?");
}

TEST(CapacityTest, SeveralLimitsAllMustHold) {
  StepModelFake fake{1000.0, {}};  // TTFT never binds below 1000; TPOT = rate binds at 40
  CapacityOptions o;
  const CapacityResult r =
      FindCapacity(std::ref(fake), ParseCapacitySlo("ttft_p99_ms=2000,tpot_p99_ms=40", {}), o);
  EXPECT_LE(r.max_rate, 40);
  EXPECT_GT(r.max_rate, 40 / (1 + o.tolerance));
}

TEST(CapacityTest, AttainmentUsesTheFractionOfGoodRequests) {
  StepModelFake fake{20.0, {}};
  const CapacitySlo slo = ParseCapacitySlo("ttft_p99_ms=2000,tpot_p99_ms=1", 0.9);
  EXPECT_EQ(*slo.TtftTargetMs(), 2000);
  EXPECT_EQ(*slo.TpotTargetMs(), 1);
  // Attainment (1.0 below the knee, 0.5 above) decides; the p99 TPOT (= rate > 1) does not.
  const CapacityResult r = FindCapacity(std::ref(fake), slo, CapacityOptions{});
  EXPECT_LE(r.max_rate, 20);
  EXPECT_GT(r.max_rate, 19.7);
}

TEST(CapacityTest, SloParsingErrors) {
  EXPECT_EQ(ErrorOf([] { ParseCapacitySlo("ttft_p99=2000", {}); }),
            "--slo ttft_p99=2000: unknown key 'ttft_p99' (did you mean 'ttft_p99_ms'?)");
  EXPECT_EQ(ErrorOf([] { ParseCapacitySlo("ttft_p99_ms=-1", {}); }),
            "--slo ttft_p99_ms=-1: the limit must be a number > 0 (ms), got '-1'");
  EXPECT_EQ(ErrorOf([] { ParseCapacitySlo("ttft_p99_ms", {}); }),
            "--slo ttft_p99_ms: expected key=limit, e.g. ttft_p99_ms=2000");
  EXPECT_EQ(ErrorOf([] { ParseCapacitySlo("itl_p99_ms=20", 0.99); }),
            "--slo itl_p99_ms: with --attainment only ttft_* and tpot_* keys are allowed "
            "(per-request targets)");
  EXPECT_EQ(ErrorOf([] { ParseCapacitySlo("ttft_p99_ms=1,ttft_p99_ms=2", {}); }),
            "--slo ttft_p99_ms=2: 'ttft_p99_ms' given twice");
  EXPECT_EQ(ErrorOf([] { ParseCapacitySlo("ttft_p99_ms=1", 1.5); }),
            "--attainment 1.5: must be in (0, 1]");
  EXPECT_EQ(SloKeys().size(), 16u);
}

class CapacityRunTest : public testing::ScratchDirTest {};

TEST_F(CapacityRunTest, SimulatedSearchIsDeterministicAndWritesJson) {
  const fs::path scenario = Write("s.yaml", testing::kSmallScenario);
  const std::string json = (dir_ / "cap.json").string();
  const std::string cmd = "capacity " + scenario.string() +
                          " --slo ttft_p99_ms=500,tpot_p99_ms=30 --tolerance 0.05 --json " + json;
  auto o = Servesim(cmd);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("Max rate at SLO (req/s):"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("capacity: run 1: 6 req/s ->"), std::string::npos) << o.err;
  const auto j = nlohmann::json::parse(testing::Slurp(json));
  EXPECT_GT(j["max_rate"].get<double>(), 0);
  EXPECT_GT(j["goodput"].get<double>(), 0);
  EXPECT_EQ(j["curve"].size(), 8u);
  EXPECT_EQ(j["slo"]["ttft_p99_ms"], 500);
  const std::string first = testing::Slurp(json);
  const auto quiet = Servesim(cmd + " --quiet");
  ASSERT_EQ(quiet.code, 0);
  EXPECT_EQ(testing::Slurp(json), first);
  // --quiet silences the progress on stderr, never the result (issue 13).
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(quiet.out, o.out);
  // --csv: one row per simulated rate, by rate, with flat columns.
  const std::string csv = (dir_ / "cap.csv").string();
  ASSERT_EQ(Servesim(cmd + " --quiet --csv " + csv).code, 0);
  const std::string table = testing::Slurp(csv);
  EXPECT_EQ(table.rfind("rate,holds,slo_met,in_search,in_curve,max_rate,fail_rate,slo.", 0), 0u)
      << table;
  EXPECT_NE(table.find(",metrics.p99_ttft_ms,"), std::string::npos);
  std::set<double> rates;
  for (const auto& p : j["search"]) rates.insert(p["rate"].get<double>());
  for (const auto& p : j["curve"]) rates.insert(p["rate"].get<double>());
  EXPECT_EQ(static_cast<size_t>(std::count(table.begin(), table.end(), '\n')), rates.size() + 1);
  EXPECT_TRUE(j["steady_state"]["steady"].get<bool>());
  EXPECT_FALSE(j["trust"]["validated"].get<bool>());
  // With --json - the result is the JSON on stdout, the table is left out.
  const auto to_stdout = Servesim(cmd.substr(0, cmd.find(" --json ")) + " --quiet --json -");
  ASSERT_EQ(to_stdout.code, 0);
  EXPECT_EQ(to_stdout.out, first);
}

TEST_F(CapacityRunTest, ClosedLoopScenariosAreRefused) {
  const fs::path scenario = Write("c.yaml",
                                  "model: llama-3.1-8b\nhardware: {gpu: h100-sxm-80gb}\n"
                                  "workload: {concurrency: 4, num_requests: 10, input_tokens: 8, "
                                  "output_tokens: 8}\n");
  const auto o = Servesim("capacity " + scenario.string() + " --slo ttft_p99_ms=500");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: " + scenario.string() +
                       ": workload.concurrency: capacity varies the arrival rate, so it needs "
                       "open-loop arrivals (workload.arrival), not a closed loop\n");
}

TEST(CapacityExampleTest, TheDocumentedExampleFindsAKnee) {
  const Scenario s =
      LoadScenario(std::string(SERVESIM_SOURCE_DIR) + "/configs/studies/capacity-chat.yaml", {});
  const CapacitySlo slo = ParseCapacitySlo("ttft_p99_ms=1000,tpot_p99_ms=50", std::nullopt);
  CapacityOptions o;
  o.start_rate = DefaultStartRate(s);
  const CapacityResult r = RunCapacity(s, slo, o);
  EXPECT_GT(r.max_rate, 4);
  EXPECT_LT(r.max_rate, 100);
  EXPECT_TRUE(slo.Holds(r.at_max));
  const nlohmann::ordered_json j = CapacityToJson(r, slo, o);
  EXPECT_EQ(j["max_rate"].get<double>(), r.max_rate);
  EXPECT_EQ(j["goodput"].get<double>(), r.at_max.goodput);
}

TEST_F(CapacityRunTest, BadFlagsAreRejected) {
  const fs::path scenario = Write("s.yaml", testing::kSmallScenario);
  auto o = Servesim("capacity " + scenario.string() + " --slo ttft_p99_ms=500 --tolerance 2");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: --tolerance 2: must be in (0, 1)\n");
  o = Servesim("capacity " + scenario.string());
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("servesim capacity: need SCENARIO.yaml and --slo"), std::string::npos);
  o = Servesim("capacity " + scenario.string() + " --slo ttft_p99_ms=500 --seed -1");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: --seed -1: must be in [0, 9000000000000000], got -1\n");
}

TEST(CapacityScenarioTest, RateAndTargetsReplaceTheScenarios) {
  Scenario base = ParseScenario(ConfigNode::LoadString(testing::kSmallScenario, "s.yaml"), {});
  base.slo.ttft_ms = 123;
  base.slo.tpot_ms = 45;
  const Scenario s = ScenarioAtRate(base, 17.5, ParseCapacitySlo("ttft_p99_ms=900", {}));
  EXPECT_EQ(s.workload.rate_per_s, 17.5);
  EXPECT_EQ(*s.slo.ttft_ms, 900);
  EXPECT_EQ(*s.slo.tpot_ms, 45);  // kept: the SLO gives no TPOT target
  const Scenario a = ScenarioAtRate(base, 2, ParseCapacitySlo("ttft_p99_ms=900", 0.9));
  EXPECT_FALSE(a.slo.tpot_ms.has_value());  // with --attainment: exactly the SLO's targets
  EXPECT_EQ(DefaultStartRate(base), 6);
}

}  // namespace
}  // namespace servesim
