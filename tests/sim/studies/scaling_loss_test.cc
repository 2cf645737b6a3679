// Loss attribution: the causes sum exactly to linear - capacity, each cause moves only with its
// own part of the GPU time accounting, and the baseline loses nothing.
#include "sim/studies/scaling_loss.h"

#include <gtest/gtest.h>

#include <cmath>

namespace servesim {
namespace {

// A run of `replicas` replicas of tp x pp GPUs over 100 s with `completed` requests, 20 steps
// per request.
Summary FakeRun(int64_t tp, int64_t pp, int64_t replicas, double busy, int64_t completed = 1000) {
  Summary s;
  s.tp = tp;
  s.pp = pp;
  s.num_replicas = replicas;
  s.num_gpus = tp * pp * replicas;
  s.duration_s = 100;
  s.completed = completed;
  s.num_steps = 20 * completed;
  s.busy_fraction = busy;
  for (int64_t i = 0; i < replicas; ++i) s.replicas.push_back({s.num_steps / replicas, 10, busy});
  return s;
}

double Sum(const std::map<std::string, double>& loss) {
  double sum = 0;
  for (const auto& [cause, v] : loss) sum += v;
  return sum;
}

TEST(ScalingLossTest, BaselineLosesNothing) {
  const Summary base = FakeRun(1, 1, 1, 0.7);
  const auto loss = AttributeLoss(base, 10.0, base, 10.0);
  ASSERT_EQ(loss.size(), LossCauses().size());
  for (const auto& [cause, v] : loss) EXPECT_NEAR(v, 0.0, 1e-12) << cause;
}

TEST(ScalingLossTest, CausesSumToTheLostCapacity) {
  const Summary base = FakeRun(1, 1, 1, 0.7);
  Summary run = FakeRun(4, 2, 2, 0.8);
  run.communication_s = 150;  // x tp 4 = 600 GPU-s
  run.pipeline_bubble_fraction = 0.1;
  run.num_steps = 30000;
  run.replicas[0].busy_fraction = 0.9;
  run.replicas[1].busy_fraction = 0.7;
  for (double capacity : {40.0, 80.0, 95.0, 130.0}) {  // 16 GPUs: linear = 160 req/s
    const auto loss = AttributeLoss(base, 10.0, run, capacity);
    EXPECT_NEAR(Sum(loss), 160.0 - capacity, 1e-9 * 160) << capacity;
    EXPECT_GT(loss.at("communication"), 0);
    EXPECT_GT(loss.at("pipeline_bubbles"), 0);
    EXPECT_GT(loss.at("routing_imbalance"), 0);
    EXPECT_GT(loss.at("kv_limited_batch"), 0);  // more steps per request than the baseline
  }
}

TEST(ScalingLossTest, EachCauseFollowsItsOwnTime) {
  // 8 GPUs at 8x the baseline's rate, the same busy time per request, but a quarter of it is
  // communication (the GEMMs split 8 ways take correspondingly less).
  const Summary base = FakeRun(1, 1, 1, 0.5, 1000);  // 10 req/s: 0.05 GPU-s of work per request
  Summary run = FakeRun(8, 1, 1, 0.5, 8000);         // 80 req/s
  run.communication_s = 12.5;                        // x tp 8 = 100 GPU-s of the 400 busy
  const GpuTimePerRequest g = GpuTimeAtCapacity(run, 80.0);
  EXPECT_NEAR(g.Total(), 8.0 / 80.0, 1e-15);
  EXPECT_NEAR(g.communication, 0.0125, 1e-15);
  EXPECT_NEAR(g.work, 0.0375, 1e-15);
  EXPECT_NEAR(g.queueing, 0.05, 1e-15);
  const auto loss = AttributeLoss(base, 10.0, run, 80.0);
  EXPECT_NEAR(Sum(loss), 0.0, 1e-12);
  EXPECT_NEAR(loss.at("communication"), 10.0, 1e-9);  // 8 x 0.0125 / (0.1 x 0.1)
  EXPECT_NEAR(loss.at("compute_saturation"), -10.0, 1e-9);
  EXPECT_NEAR(loss.at("kv_limited_batch"), 0, 1e-12);
  EXPECT_NEAR(loss.at("pipeline_bubbles"), 0, 1e-12);
  EXPECT_NEAR(loss.at("queueing"), 0, 1e-12);
  // If the SLO held only up to 40 req/s, the extra GPU time per request is idle headroom.
  const auto half = AttributeLoss(base, 10.0, run, 40.0);
  EXPECT_NEAR(Sum(half), 40.0, 1e-9);
  EXPECT_NEAR(half.at("queueing"), 40.0, 1e-9);      // 8 x (0.15 - 0.05) / (0.2 x 0.1)
  EXPECT_NEAR(half.at("communication"), 5.0, 1e-9);  // 8 x 0.0125 / (0.2 x 0.1)
}

}  // namespace
}  // namespace servesim
