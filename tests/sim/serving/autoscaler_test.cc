// Autoscaler mechanics: the schedule policy gives its replica counts at its times (plus the
// scale-up delay); queue_depth scales up under a burst and down only after the cooldown; counts
// stay within [min, max]; routers never pick a replica that is not active; every request is
// served; runs are deterministic and identical with fast-forward on and off.
#include "sim/serving/autoscaler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "sim/config/scenario.h"
#include "sim/core/simulation.h"
#include "sim/runner.h"
#include "sim/serving/metrics.h"
#include "sim/serving/replica.h"
#include "sim/serving/router.h"
#include "tests/util/fixed_step.h"

namespace servesim {
namespace {

Scenario FromYaml(const std::string& yaml, std::vector<std::string> sets = {}) {
  return ParseScenario(ApplyOverrides(ConfigNode::LoadString(yaml, "test.yaml"), sets),
                       std::nullopt);
}

using test_util::FixedStep;

// Up to 4 replicas; a replica starts cold_start_s 5 + llama-3.1-8b's 16.06 GB over half of the
// H100's 128 GB/s PCIe Gen5 link after the decision.
const char* kSchedule = R"(
model: llama-3.1-8b
hardware: {gpu: h100-sxm-80gb, num_gpus: 4}
autoscaler:
  policy: schedule
  cold_start_s: 5
  schedule: [{at_s: 0, replicas: 1}, {at_s: 10, replicas: 3}, {at_s: 30, replicas: 1}]
workload:
  arrival: {process: poisson, rate: 20}
  duration_s: 60
  input_tokens: 64
  output_tokens: 8
seed: 2
)";

// Quiet, then a burst from 20 s to 40 s, then quiet again.
const char* kBurst = R"(
model: llama-3.1-8b
hardware: {gpu: h100-sxm-80gb, num_gpus: 4}
router: {policy: least_outstanding}
autoscaler:
  policy: queue_depth
  target_per_replica: 20
  interval_s: 1
  scale_down_cooldown_s: 15
  cold_start_s: 2
workload:
  arrival:
    process: poisson
    rate_schedule: {steps: [{at_s: 0, rate: 1}, {at_s: 20, rate: 200}, {at_s: 40, rate: 1}]}
  duration_s: 100
  input_tokens: 64
  output_tokens: 20
seed: 5
)";

constexpr double kStepS = 0.02;

const Summary::Autoscaling& Scaling(const RunResult& r) {
  EXPECT_TRUE(r.summary.autoscaling.has_value());
  return *r.summary.autoscaling;
}

// The time of the first point at or after `from` where `booked` drops.
SimTime FirstDrop(const Summary::Autoscaling& a, SimTime from) {
  for (size_t k = 1; k < a.timeline.size(); ++k) {
    if (a.timeline[k].at >= from && a.timeline[k].replicas < a.timeline[k - 1].replicas) {
      return a.timeline[k].at;
    }
  }
  return -1;
}

void ExpectWithinBounds(const Summary::Autoscaling& a) {
  for (const auto& p : a.timeline) {
    EXPECT_GE(p.active, a.min_replicas);
    EXPECT_LE(p.replicas, a.max_replicas);
    EXPECT_LE(p.active, p.replicas);
  }
}

TEST(AutoscalerTest, ScheduleGivesItsCountsAtItsTimesAfterTheScaleUpDelay) {
  const Scenario s = FromYaml(kSchedule);
  ASSERT_TRUE(s.autoscaler.has_value());
  const SimTime delay = s.autoscaler->ScaleUpDelay();
  EXPECT_EQ(s.autoscaler->cold_start, 5 * kNsPerSecond);
  EXPECT_EQ(s.autoscaler->weight_load, SecondsToSimTime(s.memory.weight_bytes / 64e9));
  const RunResult r = RunScenario(s, FixedStep(kStepS));
  const Summary::Autoscaling& a = Scaling(r);
  ASSERT_GE(a.timeline.size(), 4u);
  EXPECT_EQ(a.timeline[0].at, 0);
  EXPECT_EQ(a.timeline[0].replicas, 1);
  EXPECT_EQ(a.timeline[0].active, 1);
  EXPECT_EQ(a.timeline[1].at, 10 * kNsPerSecond);  // booked at the decision ...
  EXPECT_EQ(a.timeline[1].replicas, 3);
  EXPECT_EQ(a.timeline[1].active, 1);
  EXPECT_EQ(a.timeline[2].at, 10 * kNsPerSecond + delay);  // ... serving after the delay
  EXPECT_EQ(a.timeline[2].replicas, 3);
  EXPECT_EQ(a.timeline[2].active, 3);
  EXPECT_EQ(a.timeline[3].at, 30 * kNsPerSecond);  // drained: no new requests from 30 s on
  EXPECT_EQ(a.timeline[3].active, 1);
  EXPECT_EQ(a.timeline.back().replicas, 1);  // ... and released when empty
  EXPECT_EQ(a.timeline.back().active, 1);
  EXPECT_EQ(a.scale_ups, 2);
  EXPECT_EQ(a.scale_downs, 2);
  EXPECT_EQ(a.cold_starts, 2);
  EXPECT_EQ(a.peak_replicas, 3);
  // Booked replica-seconds: 1 to 10 s, 3 from 10 s to about 30 s, then 1.
  const double end_s = r.summary.duration_s;
  EXPECT_GT(a.gpu_hours * 3600, end_s + 2 * 20);
  EXPECT_LT(a.gpu_hours * 3600, end_s + 2 * 21);
  EXPECT_DOUBLE_EQ(a.static_gpu_hours * 3600, 4 * SimTimeToSeconds(SecondsToSimTime(end_s)));
}

TEST(AutoscalerTest, RequestsGoOnlyToActiveReplicasUnderEveryRouterPolicy) {
  for (const std::string& policy : RouterPolicyNames()) {
    const Scenario s = FromYaml(kSchedule, {"router.policy=" + policy});
    const SimTime ready = 10 * kNsPerSecond + s.autoscaler->ScaleUpDelay();
    const RunResult r = RunScenario(s, FixedStep(kStepS));
    int32_t late_replica = -1;
    int64_t served = 0;
    std::vector<int64_t> per_replica(4, 0);
    for (const Request& q : r.requests) {
      ASSERT_GE(q.finish, 0) << policy;
      ++served;
      ++per_replica[static_cast<size_t>(q.replica)];
      // Only replica 0 is active before the two new ones are ready ...
      if (q.arrival < ready) {
        EXPECT_EQ(q.replica, 0) << policy << " at " << q.arrival;
      }
      // ... and a single one (whichever was kept) after the scale-down at 30 s.
      if (q.arrival >= 30 * kNsPerSecond) {
        if (late_replica < 0) late_replica = q.replica;
        EXPECT_EQ(q.replica, late_replica) << policy << " at " << q.arrival;
      }
    }
    EXPECT_EQ(served, r.summary.completed) << policy;
    EXPECT_EQ(per_replica[3], 0) << policy;  // never started
    // Between the delay and 30 s the three share the load (except where a policy keeps every
    // request on the replica of its session: none have sessions here).
    EXPECT_GT(per_replica[1], 0) << policy;
    EXPECT_GT(per_replica[2], 0) << policy;
  }
}

TEST(AutoscalerTest, QueueDepthScalesUpUnderABurstAndDownAfterTheCooldown) {
  const Scenario s = FromYaml(kBurst);
  const RunResult r = RunScenario(s, FixedStep(kStepS));
  const Summary::Autoscaling& a = Scaling(r);
  ExpectWithinBounds(a);
  EXPECT_EQ(a.peak_replicas, 4);
  // Nothing before the burst ...
  EXPECT_EQ(a.timeline[1].at >= 20 * kNsPerSecond, true);
  // ... nothing released until the cooldown after the burst's last high recommendation ...
  const SimTime drop = FirstDrop(a, 20 * kNsPerSecond);
  ASSERT_GT(drop, 0);
  EXPECT_GE(drop, (40 + 15 - 1) * kNsPerSecond);
  // ... and back to the minimum at the end.
  EXPECT_EQ(a.timeline.back().replicas, 1);
  EXPECT_LT(a.gpu_hours, a.static_gpu_hours);
  EXPECT_EQ(a.scale_ups, a.scale_downs);
}

TEST(AutoscalerTest, ToleranceKeepsTheCountWhileTheLoadIsClose) {
  // The burst asks for about 1.7 replicas of 50 requests each.
  const Scenario exact =
      FromYaml(kBurst, {"autoscaler.target_per_replica=50", "autoscaler.tolerance=0"});
  EXPECT_EQ(Scaling(RunScenario(exact, FixedStep(kStepS))).peak_replicas, 2);
  const Scenario tolerant =
      FromYaml(kBurst, {"autoscaler.target_per_replica=50", "autoscaler.tolerance=1"});
  const RunResult r = RunScenario(tolerant, FixedStep(kStepS));  // `a` refers into it
  const Summary::Autoscaling& a = Scaling(r);
  EXPECT_EQ(a.peak_replicas, 1);
  EXPECT_EQ(a.scale_ups, 0);
}

TEST(AutoscalerTest, CountsStayWithinMinAndMax) {
  const Scenario s = FromYaml(
      kBurst, {"autoscaler.min_replicas=2", "autoscaler.max_replicas=3", "hardware.num_gpus=4"});
  const RunResult r = RunScenario(s, FixedStep(kStepS));
  const Summary::Autoscaling& a = Scaling(r);
  ExpectWithinBounds(a);
  EXPECT_EQ(a.min_replicas, 2);
  EXPECT_EQ(a.max_replicas, 3);
  EXPECT_EQ(a.peak_replicas, 3);
  EXPECT_EQ(a.timeline.front().replicas, 2);  // initial_replicas defaults to min_replicas
  EXPECT_EQ(r.summary.num_replicas, 3);       // the pool is max_replicas
}

TEST(AutoscalerTest, UtilizationPolicyScalesWithKvUse) {
  // KV use grows with long sequences in flight.
  const Scenario s =
      FromYaml(kBurst, {"autoscaler.policy=utilization",
                        "autoscaler.target_per_replica=", "autoscaler.target_kv_usage=0.02",
                        "workload.input_tokens=2000", "workload.output_tokens=200"});
  const RunResult r = RunScenario(s, FixedStep(kStepS));
  const Summary::Autoscaling& a = Scaling(r);
  ExpectWithinBounds(a);
  EXPECT_EQ(a.peak_replicas, 4);
  EXPECT_LT(a.timeline.back().replicas, 4);  // back down after the burst
  EXPECT_EQ(r.summary.completed, static_cast<int64_t>(r.requests.size()));
}

TEST(AutoscalerTest, DeterministicAndIdenticalWithoutFastForward) {
  for (const std::string policy : {"queue_depth", "utilization", "schedule"}) {
    std::vector<std::string> sets;
    if (policy == "utilization") {
      sets = {"autoscaler.policy=utilization",
              "autoscaler.target_per_replica=", "autoscaler.target_kv_usage=0.01"};
    }
    const Scenario s = FromYaml(policy == "schedule" ? kSchedule : kBurst, sets);
    RunOptions slow;
    slow.fast_forward = false;
    const RunResult a = RunScenario(s, FixedStep(kStepS));
    const RunResult b = RunScenario(s, FixedStep(kStepS));
    const RunResult c = RunScenario(s, FixedStep(kStepS), nullptr, slow);
    const std::string ja = SummaryToJson(a.summary).dump();
    EXPECT_EQ(ja, SummaryToJson(b.summary).dump()) << policy;
    EXPECT_EQ(ja, SummaryToJson(c.summary).dump()) << policy;
    ASSERT_EQ(a.requests.size(), c.requests.size()) << policy;
    for (size_t i = 0; i < a.requests.size(); ++i) {
      EXPECT_EQ(a.requests[i].replica, c.requests[i].replica) << policy;
      EXPECT_EQ(a.requests[i].finish, c.requests[i].finish) << policy;
    }
  }
}

// Sessions behind session_affinity with prefix caching, pipeline parallelism, a closed loop with
// warm-up under sglang: every request is served, and fast-forward changes nothing.
TEST(AutoscalerTest, ExampleWorkloadsUnderAnAutoscalerCompleteIdenticallyWithoutFastForward) {
  const std::string scaler =
      "autoscaler={policy: queue_depth, target_per_replica: 3, interval_s: 2, "
      "scale_down_cooldown_s: 6, cold_start_s: 1}";
  const std::string dir = std::string(SERVESIM_SOURCE_DIR) + "/configs/scenarios/";
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"prefix-caching-sessions.yaml", {"hardware.num_gpus=4", scaler}},
      {"prefix-caching-sessions.yaml", {"hardware.num_gpus=8", "parallel.pp=2", scaler}},
      {"closed-loop.yaml",
       {"hardware.num_gpus=3", "workload.num_requests=600", "workload.warmup_requests=8",
        "router.policy=least_kv_usage", scaler}},
  };
  for (const auto& [file, sets] : cases) {
    const Scenario s = LoadScenario(dir + file, sets);
    RunOptions slow;
    slow.fast_forward = false;
    const RunResult fast = RunScenario(s);
    const RunResult ref = RunScenario(s, nullptr, slow);
    EXPECT_EQ(SummaryToJson(fast.summary).dump(), SummaryToJson(ref.summary).dump()) << file;
    const Summary::Autoscaling& a = Scaling(fast);
    EXPECT_GT(a.scale_ups, 0) << file;
    ExpectWithinBounds(a);
    for (const Request& r : fast.requests) EXPECT_GE(r.finish, 0) << file;
  }
}

TEST(AutoscalerTest, WindowsCoverTheArrivalsAndCountEveryRequest) {
  // No arrival from 40 s to 80 s: those windows are left out.
  const Scenario s = FromYaml(
      kBurst, {"workload.arrival.rate_schedule={steps: [{at_s: 0, rate: 1}, {at_s: 20, rate: "
               "200}, {at_s: 40, rate: 0}, {at_s: 80, rate: 1}]}",
               "autoscaler.report_window_s=10", "slo.ttft_ms=100"});
  const RunResult r = RunScenario(s, FixedStep(kStepS));
  const Summary::Autoscaling& a = Scaling(r);
  std::vector<double> starts;
  int64_t completed = 0;
  double gpu_hours = 0;
  for (const auto& w : a.windows) {
    starts.push_back(w.start_s);
    completed += w.completed;
    gpu_hours += w.gpu_hours;
    EXPECT_GT(w.completed, 0);
    EXPECT_GE(w.slo_attainment, 0);
    EXPECT_LE(w.slo_attainment, 1);
    EXPECT_GE(w.mean_replicas, 1);
    EXPECT_LE(w.mean_replicas, 4);
  }
  EXPECT_EQ(starts, (std::vector<double>{0, 10, 20, 30, 80, 90}));
  EXPECT_EQ(completed, r.summary.completed);
  EXPECT_EQ(a.windows[2].mean_replicas > a.windows[0].mean_replicas, true);  // the burst
  // The windows left out held at least one replica each for 40 s.
  EXPECT_LT(gpu_hours, a.gpu_hours - 40.0 / 3600 + 1e-9);
  EXPECT_NEAR(a.mean_replicas * r.summary.duration_s / 3600, a.gpu_hours, 1e-9);
}

TEST(AutoscalerTest, NoAutoscalerNoAutoscalingOutput) {
  const Scenario s = FromYaml(kBurst, {"autoscaler="});
  EXPECT_FALSE(s.autoscaler.has_value());
  const RunResult r = RunScenario(s, FixedStep(kStepS));
  EXPECT_FALSE(r.summary.autoscaling.has_value());
  EXPECT_EQ(SummaryToJson(r.summary).count("autoscaling"), 0u);
}

// Routers, directly: replicas that are not routable are never picked, and a session whose
// replica stops being routable moves.
TEST(AutoscalerRouterTest, EveryPolicySkipsReplicasThatAreNotRoutable) {
  Simulation sim;
  RequestTable table(1);
  Metrics metrics(&table, 4);
  const FixedStep model(kStepS);
  SchedulerConfig config;
  config.num_blocks = 64;
  std::vector<std::unique_ptr<Replica>> replicas;
  for (int i = 0; i < 4; ++i) {
    replicas.push_back(std::make_unique<Replica>(i, &sim, config, 1, &table, &model, &metrics));
  }
  for (const std::string& name : RouterPolicyNames()) {
    Router router(ParseRouterPolicy(name), 1, "router", replicas.size());
    router.SetAutoscaled(true);  // as the cluster does when an autoscaler drives the pool
    for (size_t i = 0; i < replicas.size(); ++i) replicas[i]->SetLoadIndex(router.load_index(), i);
    for (size_t i = 0; i < replicas.size(); ++i) replicas[i]->SetRoutable(i == 1 || i == 3);
    Request r;
    r.session = 7;
    for (int k = 0; k < 50; ++k) {
      const size_t to = router.Route(r, replicas);
      EXPECT_TRUE(to == 1 || to == 3) << name << " picked " << to;
    }
    const size_t before = router.Route(r, replicas);
    replicas[before]->SetRoutable(false);
    replicas[0]->SetRoutable(true);
    for (int k = 0; k < 20; ++k) {
      const size_t to = router.Route(r, replicas);
      EXPECT_NE(to, before) << name;
      EXPECT_TRUE(replicas[to]->Routable()) << name;
    }
  }
}

}  // namespace
}  // namespace servesim
