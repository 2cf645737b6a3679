// Time-varying arrival rates (workload.arrival.rate_schedule): the schedule's integral and its
// inverse, arrivals that follow the schedule (counts per window against the integral, constant
// arrivals exactly at Cumulative^-1(i)), determinism, and the parse errors.
#include "sim/workload/rate_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sim/core/rng.h"
#include "sim/core/time.h"
#include "sim/workload/workload.h"
#include "tests/util/workload_yaml.h"

namespace servesim {
namespace {

std::vector<RequestSpec> Drain(const WorkloadConfig& config, uint64_t seed = 1) {
  RequestGenerator gen(config, seed);
  std::vector<RequestSpec> out;
  while (std::optional<RequestSpec> r = gen.NextArrival()) out.push_back(*r);
  return out;
}

TEST(RateScheduleTest, StepsIntegrateAndInvert) {
  const RateSchedule s = RateSchedule::Steps({0, 10, 20, 30}, {2, 0, 5, 1});
  EXPECT_EQ(s.RateAt(0), 2);
  EXPECT_EQ(s.RateAt(15), 0);
  EXPECT_EQ(s.RateAt(1e6), 1);
  EXPECT_DOUBLE_EQ(s.Cumulative(10), 20);
  EXPECT_DOUBLE_EQ(s.Cumulative(20), 20);  // the rate-0 step adds nothing
  EXPECT_DOUBLE_EQ(s.Cumulative(25), 45);
  EXPECT_DOUBLE_EQ(s.Cumulative(40), 80);
  EXPECT_DOUBLE_EQ(*s.TimeOf(0), 0);
  EXPECT_DOUBLE_EQ(*s.TimeOf(20), 10);      // the end of the first step, not the rate-0 gap
  EXPECT_DOUBLE_EQ(*s.TimeOf(20.5), 20.1);  // skips the gap
  EXPECT_DOUBLE_EQ(*s.TimeOf(80), 40);
  const RateSchedule stops = RateSchedule::Steps({0, 10}, {3, 0});
  EXPECT_DOUBLE_EQ(*stops.TimeOf(30), 10);
  EXPECT_FALSE(stops.TimeOf(30.5));  // nobody arrives after the last step's rate drops to 0
  EXPECT_EQ(s.Describe(), "steps 0 s: 2/s, 10 s: 0/s, 20 s: 5/s, 30 s: 1/s");
}

TEST(RateScheduleTest, DiurnalIntegratesAndInvertsToBelowANanosecond) {
  const RateSchedule d = RateSchedule::Diurnal(2, 14, 86400, 50400);
  EXPECT_DOUBLE_EQ(d.RateAt(50400), 14);
  EXPECT_NEAR(d.RateAt(50400 - 43200), 2, 1e-9);
  EXPECT_NEAR(d.Cumulative(86400), 8 * 86400, 1e-6);  // one period: the mean rate x the period
  // The integral against a fine trapezoid sum.
  double sum = 0;
  const double dt = 1;
  for (double t = 0; t < 30000; t += dt) sum += (d.RateAt(t) + d.RateAt(t + dt)) / 2 * dt;
  EXPECT_NEAR(d.Cumulative(30000), sum, 1e-3);
  Rng rng(7, "test");
  for (int i = 0; i < 1000; ++i) {
    const double u = rng.Uniform(0, 3 * 8 * 86400);
    const double t = *d.TimeOf(u);
    EXPECT_NEAR(d.Cumulative(t), u, 14 * 1e-9) << u;  // within a ns of rate at most 14/s
  }
  const RateSchedule zero_trough = RateSchedule::Diurnal(0, 10, 100, 50);
  EXPECT_NEAR(zero_trough.RateAt(0), 0.0, 1e-12);  // a trough of 0: flat start, still invertible
  for (double u : {1e-6, 1.0, 250.0, 1234.5}) {
    EXPECT_NEAR(zero_trough.Cumulative(*zero_trough.TimeOf(u)), u, 1e-8) << u;
  }
  EXPECT_EQ(d.Describe(), "diurnal 2..14/s, period 86400 s, peak at 50400 s");
}

TEST(RateScheduleTest, PoissonArrivalsFollowTheScheduleWindowByWindow) {
  const WorkloadConfig c = test_util::ParseWorkloadYaml(
      "  arrival:\n    rate_schedule:\n      diurnal: {trough: 10, peak: 200, period_s: 100, "
      "peak_at_s: 30}\n  duration_s: 400\n  input_tokens: 1\n  output_tokens: 1\n");
  const std::vector<RequestSpec> reqs = Drain(c);
  std::vector<int64_t> counts(40, 0);
  for (size_t i = 0; i < reqs.size(); ++i) {
    ASSERT_LE(reqs[i].arrival, SecondsToSimTime(400));
    if (i > 0) {
      ASSERT_GE(reqs[i].arrival, reqs[i - 1].arrival);
    }
    ++counts[static_cast<size_t>(reqs[i].arrival / SecondsToSimTime(10))];
  }
  double chi2 = 0;
  for (int w = 0; w < 40; ++w) {
    const double expected =
        c.rate_schedule->Cumulative(10.0 * (w + 1)) - c.rate_schedule->Cumulative(10.0 * w);
    const double z =
        (static_cast<double>(counts[static_cast<size_t>(w)]) - expected) / std::sqrt(expected);
    EXPECT_LT(std::abs(z), 5) << "window " << w << ": " << counts[static_cast<size_t>(w)] << " vs "
                              << expected;
    chi2 += z * z;
  }
  EXPECT_LT(chi2, 80);  // 40 degrees of freedom: p < 1e-4 above 80
  // Same seed, same arrivals; another seed, others.
  const std::vector<RequestSpec> again = Drain(c);
  ASSERT_EQ(again.size(), reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) ASSERT_EQ(again[i].arrival, reqs[i].arrival);
  EXPECT_NE(Drain(c, 2).front().arrival, reqs.front().arrival);
}

TEST(RateScheduleTest, ConstantArrivalsSitAtTheInverseOfWholeNumbers) {
  const WorkloadConfig c = test_util::ParseWorkloadYaml(
      "  arrival:\n    process: constant\n    rate_schedule:\n      steps: [{at_s: 0, rate: 2}, "
      "{at_s: 5, rate: 0}, {at_s: 8, rate: 4}]\n  num_requests: 16\n  input_tokens: 1\n"
      "  output_tokens: 1\n");
  const std::vector<RequestSpec> reqs = Drain(c);
  ASSERT_EQ(reqs.size(), 16u);
  // 0, 0.5, ..., 5 s at 2/s (u = 0..10; u = 10 is reached at the end of the step), nothing in
  // the rate-0 step, then from 8 s every 0.25 s (u = 11 at 8.25 s).
  for (int i = 0; i <= 10; ++i)
    EXPECT_EQ(reqs[static_cast<size_t>(i)].arrival, SecondsToSimTime(0.5 * i)) << i;
  EXPECT_EQ(reqs[11].arrival, SecondsToSimTime(8.25));
  EXPECT_EQ(reqs[15].arrival, SecondsToSimTime(9.25));
}

TEST(RateScheduleTest, GammaKeepsItsBurstinessInOperationalTime) {
  const std::string schedule =
      "    rate_schedule: {steps: [{at_s: 0, rate: 50}]}\n  num_requests: 20000\n"
      "  input_tokens: 1\n  output_tokens: 1\n";
  const WorkloadConfig c =
      test_util::ParseWorkloadYaml("  arrival:\n    process: gamma\n    cv: 3\n" + schedule);
  const std::vector<RequestSpec> reqs = Drain(c);
  double sum = 0, sum2 = 0;
  for (size_t i = 1; i < reqs.size(); ++i) {
    const double gap = SimTimeToSeconds(reqs[i].arrival - reqs[i - 1].arrival);
    sum += gap;
    sum2 += gap * gap;
  }
  const double n = static_cast<double>(reqs.size() - 1), mean = sum / n;
  const double cv = std::sqrt(sum2 / n - mean * mean) / mean;
  EXPECT_NEAR(mean, 1.0 / 50, 0.002);
  EXPECT_NEAR(cv, 3, 0.3);
}

TEST(RateScheduleTest, ParseErrorsNameTheKeyAndTheRule) {
  const std::string rest = "  num_requests: 5\n  input_tokens: 1\n  output_tokens: 1\n";
  const auto error = [&](const std::string& arrival) {
    return test_util::WorkloadErrorOf("  arrival:\n" + arrival + rest);
  };
  EXPECT_EQ(error("    rate: 3\n    rate_schedule: {steps: [{at_s: 0, rate: 1}]}\n"),
            "s.yaml:3:11: workload.arrival.rate: not allowed with rate_schedule (the schedule "
            "gives the rate)");
  EXPECT_EQ(error("    rate_schedule: {steps: [{at_s: 1, rate: 1}]}\n"),
            "s.yaml:3:36: workload.arrival.rate_schedule.steps[0].at_s: the first step must "
            "start at 0, got 1");
  EXPECT_EQ(error("    rate_schedule: {steps: [{at_s: 0, rate: 1}, {at_s: 0, rate: 2}]}\n"),
            "s.yaml:3:56: workload.arrival.rate_schedule.steps[1].at_s: steps must start in "
            "increasing order: 0 after 0");
  EXPECT_EQ(error("    rate_schedule: {steps: [{at_s: 0, rate: 0}]}\n"),
            "s.yaml:3:28: workload.arrival.rate_schedule.steps: every rate is 0: no request "
            "would ever arrive");
  EXPECT_EQ(error("    rate_schedule: {diurnal: {trough: 5, peak: 2, period_s: 10}}\n"),
            "s.yaml:3:39: workload.arrival.rate_schedule.diurnal.trough: must be <= peak (2), "
            "got 5");
  EXPECT_EQ(error("    rate_schedule: {diurnal: {trough: 1, peak: 2, period_s: 10, peak_at_s: "
                  "10}}\n"),
            "s.yaml:3:76: workload.arrival.rate_schedule.diurnal.peak_at_s: must be < period_s "
            "(10), got 10");
  EXPECT_EQ(error("    rate_schedule: {}\n"),
            "s.yaml:3:20: workload.arrival.rate_schedule: give exactly one of steps: [{at_s, "
            "rate}, ...] or diurnal: {trough, peak, period_s, peak_at_s}");
  EXPECT_EQ(error("    process: burst\n    rate_schedule: {steps: [{at_s: 0, rate: 1}]}\n"),
            "s.yaml:4:20: workload.arrival.rate_schedule: not allowed with process 'burst' (all "
            "arrive at 0)");
}

}  // namespace
}  // namespace servesim
