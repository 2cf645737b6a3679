// Expert parallelism end to end: parallel.ep and engine.moe_imbalance_factor validation (pinned
// messages) and Mixtral runs with tensor-parallel and expert-parallel experts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/report/summary.h"
#include "sim/runner.h"
#include "tests/util/error_of.h"

namespace servesim {
namespace {

const char* kMixtral = R"(
model: mixtral-8x7b
hardware: {gpu: h100-sxm-80gb, num_gpus: 8}
parallel: {tp: 8}
workload:
  arrival: {process: poisson, rate: 20}
  num_requests: 300
  input_tokens: {dist: uniform, min: 50, max: 1500}
  output_tokens: {dist: uniform, min: 1, max: 300}
seed: 3
)";

Scenario Load(const std::vector<std::string>& sets) {
  return ParseScenario(ApplyOverrides(ConfigNode::LoadString(kMixtral, "m.yaml"), sets),
                       std::nullopt);
}

std::string ErrorOf(const std::vector<std::string>& sets) {
  return test_util::InputErrorOf([&] { Load(sets); });
}

TEST(MoeScenarioTest, EpDefaultsToOneAndIsReadWithTheFactor) {
  EXPECT_EQ(Load({}).engine.shape.ep, 1);
  const Scenario s = Load({"parallel.ep=8", "engine.moe_imbalance_factor=1.25"});
  EXPECT_EQ(s.engine.shape.ep, 8);
  EXPECT_DOUBLE_EQ(s.engine.cost.moe_imbalance_factor, 1.25);
  EXPECT_EQ(s.replicas, 1);
  // ep = 4 at tp = 8: two expert-parallel groups, each expert split over 2 GPUs.
  EXPECT_EQ(Load({"parallel.ep=4"}).engine.shape.ep, 4);
  // No effect without expert parallelism, but accepted (sweeps over ep keep one factor).
  EXPECT_EQ(ErrorOf({"engine.moe_imbalance_factor=3"}), "no error");
}

TEST(MoeScenarioTest, InvalidExpertParallelismIsRejected) {
  EXPECT_EQ(ErrorOf({"parallel.ep=3"}),
            "--set parallel.ep=3: parallel.ep: must divide the model's 8 experts, got 3");
  EXPECT_EQ(ErrorOf({"parallel.tp=2", "parallel.ep=4"}),
            "--set parallel.ep=4: parallel.ep: must divide parallel.tp (2): the experts are spread "
            "over the GPUs of a tensor-parallel group, got 4");
  EXPECT_EQ(ErrorOf({"model=llama-3.1-8b", "parallel.ep=2"}),
            "--set parallel.ep=2: parallel.ep: only for MoE models (llama-3.1-8b is dense), got 2");
  EXPECT_EQ(ErrorOf({"parallel.ep=0"}),
            "--set parallel.ep=0: parallel.ep: must be in [1, 1024], got 0");
  EXPECT_EQ(ErrorOf({"parallel.ep=8", "engine.moe_imbalance_factor=5"}),
            "--set engine.moe_imbalance_factor=5: engine.moe_imbalance_factor: must be <= "
            "min(parallel.ep, experts / top_k) = 4 (the busiest GPU cannot get more than every "
            "token's rows for its experts), got 5");
  EXPECT_EQ(ErrorOf({"parallel.ep=2", "engine.moe_imbalance_factor=2.5"}),
            "--set engine.moe_imbalance_factor=2.5: engine.moe_imbalance_factor: must be <= "
            "min(parallel.ep, experts / top_k) = 2 (the busiest GPU cannot get more than every "
            "token's rows for its experts), got 2.5");
  EXPECT_EQ(ErrorOf({"engine.moe_imbalance_factor=0.5"}),
            "--set engine.moe_imbalance_factor=0.5: engine.moe_imbalance_factor: must be in "
            "[1, 1000], got 0.5");
  EXPECT_EQ(ErrorOf({"model=llama-3.1-8b", "engine.moe_imbalance_factor=1.2"}),
            "--set engine.moe_imbalance_factor=1.2: engine.moe_imbalance_factor: only for MoE "
            "models (llama-3.1-8b is dense)");
}

TEST(MoeRunnerTest, ExpertParallelMixtralCompletesEveryRequest) {
  const RunResult tp = RunScenario(Load({}));
  const RunResult ep = RunScenario(Load({"parallel.ep=8"}));
  EXPECT_EQ(tp.summary.completed, 300);
  EXPECT_EQ(ep.summary.completed, 300);
  EXPECT_EQ(ep.summary.ep, 8);
  EXPECT_EQ(SummaryToJson(ep.summary)["ep"], 8);
  EXPECT_FALSE(SummaryToJson(tp.summary).contains("ep"));  // dense-era JSON unchanged at ep = 1
  EXPECT_GT(ep.summary.communication_s, 0);
  // A skewed router makes every step wait longer for the busiest GPU.
  const RunResult skewed = RunScenario(Load({"parallel.ep=8", "engine.moe_imbalance_factor=2"}));
  EXPECT_EQ(skewed.summary.completed, 300);
  EXPECT_GT(skewed.summary.tpot.mean_ms, ep.summary.tpot.mean_ms);
}

}  // namespace
}  // namespace servesim
