// The `autoscaler:` section: defaults, the derived scale-up delay, and every input error with
// its exact message (located at the key, or at the --set flag that gave it).
#include "sim/config/autoscaler_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/config/scenario.h"
#include "tests/util/error_of.h"

namespace servesim {
namespace {

// No leading newline: line 1 is `model:`.
const char* kBase = R"(model: llama-3.1-8b
hardware: {gpu: h100-sxm-80gb, num_gpus: 4}
autoscaler:
  policy: queue_depth
  target_per_replica: 16
workload:
  arrival: {process: poisson, rate: 5}
  num_requests: 20
  input_tokens: 128
  output_tokens: 16
)";

Scenario Load(const std::vector<std::string>& sets, const char* yaml = kBase) {
  return ParseScenario(ApplyOverrides(ConfigNode::LoadString(yaml, "s.yaml"), sets), std::nullopt);
}

std::string ErrorOf(const std::vector<std::string>& sets, const char* yaml = kBase) {
  return test_util::InputErrorOf([&] { Load(sets, yaml); });
}

TEST(AutoscalerConfigTest, Defaults) {
  const Scenario s = Load({});
  ASSERT_TRUE(s.autoscaler.has_value());
  const AutoscalerConfig& c = *s.autoscaler;
  EXPECT_EQ(c.policy, AutoscalerPolicy::kQueueDepth);
  EXPECT_EQ(c.min_replicas, 1);
  EXPECT_EQ(c.max_replicas, 4);  // what hardware.num_gpus / (tp x pp) gives
  EXPECT_EQ(c.initial_replicas, 1);
  EXPECT_EQ(c.interval, 30 * kNsPerSecond);
  EXPECT_EQ(c.scale_down_cooldown, 300 * kNsPerSecond);
  EXPECT_EQ(c.cold_start, SecondsToSimTime(kDefaultColdStartS));
  EXPECT_EQ(c.report_window, 3600 * kNsPerSecond);
  EXPECT_DOUBLE_EQ(c.target_per_replica, 16);
  EXPECT_DOUBLE_EQ(c.tolerance, 0.1);
  // Weights per GPU over one direction of the host link (the zoo gives both directions).
  EXPECT_EQ(c.weight_load, SecondsToSimTime(s.memory.weight_bytes /
                                            (s.hardware.host_link_bandwidth_bytes_per_s / 2)));
  EXPECT_GT(c.weight_load, 0);
  EXPECT_EQ(s.replicas, 4);
}

TEST(AutoscalerConfigTest, TensorParallelReplicasAndMaxReplicasSizeThePool) {
  const Scenario s = Load({"parallel.tp=2", "autoscaler.max_replicas=1"});
  EXPECT_EQ(s.autoscaler->max_replicas, 1);
  EXPECT_EQ(s.replicas, 1);
  EXPECT_EQ(s.num_gpus, 2);
  // tp 2 halves the weights each GPU loads.
  EXPECT_LT(s.autoscaler->weight_load, Load({}).autoscaler->weight_load);
}

TEST(AutoscalerConfigTest, ScheduleStartsWithItsFirstStep) {
  const Scenario s =
      Load({"autoscaler.policy=schedule", "autoscaler.target_per_replica=",
            "autoscaler.schedule=[{at_s: 0, replicas: 3}, {at_s: 5.5, replicas: 1}]"});
  const AutoscalerConfig& c = *s.autoscaler;
  EXPECT_EQ(c.initial_replicas, 3);
  ASSERT_EQ(c.schedule.size(), 2u);
  EXPECT_EQ(c.schedule[1].at, 5'500'000'000);
  EXPECT_EQ(c.schedule[1].replicas, 1);
}

TEST(AutoscalerConfigTest, ErrorsNameTheKeyAndTheRule) {
  EXPECT_EQ(ErrorOf({"autoscaler.max_replicas=5"}),
            "--set autoscaler.max_replicas=5: autoscaler.max_replicas: must be <= the 4 replicas "
            "the hardware gives (hardware.num_gpus / (tp x pp) = 4 / 1), got 5");
  EXPECT_EQ(ErrorOf({"autoscaler.max_replicas=2", "autoscaler.min_replicas=3"}),
            "--set autoscaler.min_replicas=3: autoscaler.min_replicas: must be <= max_replicas "
            "(2), got 3");
  EXPECT_EQ(ErrorOf({"autoscaler.min_replicas=0"}),
            "--set autoscaler.min_replicas=0: autoscaler.min_replicas: must be in [1, 100000], "
            "got 0");
  EXPECT_EQ(ErrorOf({"autoscaler.initial_replicas=4", "autoscaler.max_replicas=3"}),
            "--set autoscaler.initial_replicas=4: autoscaler.initial_replicas: must be within "
            "[min_replicas, max_replicas] = [1, 3], got 4");
  EXPECT_EQ(ErrorOf({"autoscaler.policy=queue_dept"}),
            "--set autoscaler.policy=queue_dept: autoscaler.policy: must be one of queue_depth, "
            "utilization, schedule, got 'queue_dept' (did you mean 'queue_depth'?)");
  EXPECT_EQ(ErrorOf({"autoscaler.policy="}),
            "--set autoscaler.policy=: autoscaler.policy: missing required key");
  EXPECT_EQ(ErrorOf({"autoscaler.target_per_replica="}),
            "--set autoscaler.target_per_replica=: autoscaler.target_per_replica: missing required "
            "key");
  EXPECT_EQ(ErrorOf({"autoscaler.target_per_replica=0"}),
            "--set autoscaler.target_per_replica=0: autoscaler.target_per_replica: must be in "
            "[0.001, 1000000000], got 0");
  EXPECT_EQ(ErrorOf({"autoscaler.target_kv_usage=0.5"}),
            "--set autoscaler.target_kv_usage=0.5: autoscaler.target_kv_usage: only with policy "
            "utilization; policy is queue_depth");
  EXPECT_EQ(ErrorOf({"autoscaler.policy=utilization",
                     "autoscaler.target_per_replica=", "autoscaler.target_kv_usage=1.5"}),
            "--set autoscaler.target_kv_usage=1.5: autoscaler.target_kv_usage: must be in (0, 1], "
            "got 1.5");
  EXPECT_EQ(ErrorOf({"autoscaler.interval_s=0"}),
            "--set autoscaler.interval_s=0: autoscaler.interval_s: must be in [0.1, 86400], got 0");
  EXPECT_EQ(ErrorOf({"autoscaler.tolerance=1.5"}),
            "--set autoscaler.tolerance=1.5: autoscaler.tolerance: must be in [0, 1], got 1.5");
  EXPECT_EQ(ErrorOf({"autoscaler.report_window_s=0.5"}),
            "--set autoscaler.report_window_s=0.5: autoscaler.report_window_s: must be in [1, "
            "1000000000], got 0.5");
  EXPECT_EQ(ErrorOf({"autoscaler.cold_start_s=-1"}),
            "--set autoscaler.cold_start_s=-1: autoscaler.cold_start_s: must be in [0, 86400], "
            "got -1");
  EXPECT_EQ(ErrorOf({"autoscaler.scale_down_cooldown=60"}),
            "--set autoscaler.scale_down_cooldown=60: autoscaler.scale_down_cooldown: unknown key "
            "(did you mean 'scale_down_cooldown_s'?)");
}

TEST(AutoscalerConfigTest, ScheduleErrors) {
  const std::vector<std::string> schedule = {"autoscaler.policy=schedule",
                                             "autoscaler.target_per_replica="};
  const auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> sets = schedule;
    sets.insert(sets.end(), more.begin(), more.end());
    return ErrorOf(sets);
  };
  EXPECT_EQ(with({}), "s.yaml:4:3: autoscaler.schedule: missing required key");
  EXPECT_EQ(with({"autoscaler.schedule=[]"}),
            "--set autoscaler.schedule=[]: autoscaler.schedule: expected a non-empty list of "
            "{at_s, replicas}");
  EXPECT_EQ(with({"autoscaler.schedule=[{at_s: 10, replicas: 2}, {at_s: 10, replicas: 1}]"}),
            "--set autoscaler.schedule=[{at_s: 10, replicas: 2}, {at_s: 10, replicas: 1}]: "
            "autoscaler.schedule[1].at_s: steps must be in increasing order of at_s: 10 after 10");
  EXPECT_EQ(with({"autoscaler.schedule=[{at_s: 0, replicas: 5}]"}),
            "--set autoscaler.schedule=[{at_s: 0, replicas: 5}]: autoscaler.schedule[0].replicas: "
            "must be within [min_replicas, max_replicas] = [1, 4], got 5");
  EXPECT_EQ(with({"autoscaler.schedule=[{at_s: 0, replica: 2}]"}),
            "--set autoscaler.schedule=[{at_s: 0, replica: 2}]: autoscaler.schedule[0].replica: "
            "unknown key (did you mean 'replicas'?)");
  EXPECT_EQ(with({"autoscaler.schedule=[{at_s: 0, replicas: 2}]", "autoscaler.tolerance=0.2"}),
            "--set autoscaler.tolerance=0.2: autoscaler.tolerance: only with policy queue_depth "
            "or utilization; policy is schedule");
  EXPECT_EQ(with({"autoscaler.schedule=[{at_s: 0, replicas: 2}]", "autoscaler.interval_s=5"}),
            "--set autoscaler.interval_s=5: autoscaler.interval_s: only with policy queue_depth "
            "or utilization; policy is schedule");
}

TEST(AutoscalerConfigTest, RefusedWithDisaggregation) {
  const char* yaml = R"(model: llama-3.1-8b
hardware: {gpu: h100-sxm-80gb}
disaggregation:
  prefill: {num_gpus: 1}
  decode: {num_gpus: 1}
autoscaler:
  policy: queue_depth
  target_per_replica: 16
workload:
  arrival: {process: poisson, rate: 5}
  num_requests: 20
  input_tokens: 128
  output_tokens: 16
)";
  EXPECT_EQ(ErrorOf({}, yaml),
            "s.yaml:7:3: autoscaler: not with disaggregation: the autoscaler scales one colocated "
            "pool of replicas; remove one of the two sections");
}

}  // namespace
}  // namespace servesim
