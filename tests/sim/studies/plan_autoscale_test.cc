// The plan's autoscaled alternative: the daily sine, the units each step books, the scale-up
// delay booked ahead, and which part of the price scales with the GPU-hours.
#include "sim/studies/plan_autoscale.h"

#include <gtest/gtest.h>

#include <cmath>

namespace servesim {
namespace {

GpuPrice Rented(double per_hour) {
  GpuPrice p;
  p.per_hour_usd = per_hour;
  return p;
}

TEST(PlanAutoscaleTest, TheDailyLoadHasTheTargetAsMeanAndPeaksWhenAsked) {
  const PlanAutoscale a;  // a day, peak at 14:00
  EXPECT_DOUBLE_EQ(DiurnalRate(a, 20, 30, 50400), 30);
  EXPECT_NEAR(DiurnalRate(a, 20, 30, 50400 - 43200), 10, 1e-9);  // trough = 2 x 20 - 30
  double sum = 0;
  for (int i = 0; i < 86400; ++i) sum += DiurnalRate(a, 20, 30, i);
  EXPECT_NEAR(sum / 86400, 20, 1e-6);
}

TEST(PlanAutoscaleTest, StepsBookWhatTheirHighestRateNeedsAndScaleUpsStartEarly) {
  PlanAutoscale a;
  a.cold_start_s = 50;
  // 10 req/s per one-GPU replica; the load swings from 10 to 30 req/s: 2 to 3 replicas (a step
  // at the trough still sees more than 10 req/s at its ends).
  const AutoscaledCost c = AutoscaleCost(a, 20, 30, 10, 1, 0, 1, 3, Rented(2.0), 10);
  EXPECT_DOUBLE_EQ(c.scale_up_delay_s, 60);
  ASSERT_EQ(c.steps.size(), 96u);  // 15-minute steps
  EXPECT_EQ(c.min_units, 2);
  EXPECT_EQ(c.max_units, 3);
  int64_t three = 0, ups = 0;
  for (size_t i = 0; i < c.steps.size(); ++i) {
    const AutoscaledCost::Step& s = c.steps[i];
    EXPECT_EQ(s.units, s.peak_rate > 20 ? 3 : 2) << s.at_s;
    three += s.units == 3 ? 1 : 0;
    if (i > 0 && s.units > c.steps[i - 1].units) ++ups;
  }
  // The rate exceeds 20 req/s for half the day, 08:00 to 20:00: exactly 48 steps.
  EXPECT_EQ(three, 48);
  EXPECT_EQ(ups, 1);
  const double unit_hours = (three * 3 + (96 - three) * 2) * 0.25 + ups * 60.0 / 3600;
  EXPECT_NEAR(c.gpu_hours_per_day, unit_hours, 1e-9);
  EXPECT_NEAR(c.mean_gpus, unit_hours / 24, 1e-12);
  EXPECT_DOUBLE_EQ(c.static_gpu_hours_per_day, 72);
  EXPECT_NEAR(c.cost_per_hour, 2.0 * c.mean_gpus, 1e-12);
  EXPECT_DOUBLE_EQ(c.static_cost_per_hour, 6.0);
  EXPECT_GT(c.Savings(), 0.15);
}

TEST(PlanAutoscaleTest, WholeUnitsAndSparesAndAFlatLoadSaveNothing) {
  const PlanAutoscale a;
  // One-GPU replicas bought as 8-GPU nodes: 4 serving + 1 spare fit one node all day.
  const AutoscaledCost node = AutoscaleCost(a, 20, 30, 10, 1, 1, 8, 1, Rented(4.0), 1);
  EXPECT_EQ(node.min_units, 1);
  EXPECT_EQ(node.max_units, 1);
  EXPECT_EQ(node.steps.front().replicas, 8);  // the node's slots all serve
  EXPECT_NEAR(node.Savings(), 0, 1e-12);
  // peak_factor 1: the same replicas all day.
  const AutoscaledCost flat = AutoscaleCost(a, 20, 20, 10, 1, 0, 1, 2, Rented(4.0), 1);
  EXPECT_EQ(flat.min_units, 2);
  EXPECT_EQ(flat.max_units, 2);
  EXPECT_NEAR(flat.Savings(), 0, 1e-12);
}

TEST(PlanAutoscaleTest, OwnedGpusCostTheSameIdleOnlyRentAndEnergyScale) {
  const PlanAutoscale a;
  GpuPrice owned;
  owned.purchase_usd = 30000;
  owned.amortisation_years = 3;
  const AutoscaledCost c = AutoscaleCost(a, 20, 30, 10, 1, 0, 1, 3, owned, 1);
  EXPECT_LT(c.mean_gpus, 3);
  EXPECT_DOUBLE_EQ(c.cost_per_hour, c.static_cost_per_hour);
  owned.power_w = 700;
  owned.usd_per_kwh = 0.1;
  const AutoscaledCost e = AutoscaleCost(a, 20, 30, 10, 1, 0, 1, 3, owned, 1);
  EXPECT_NEAR(e.static_cost_per_hour - e.cost_per_hour, (3 - e.mean_gpus) * 0.07, 1e-12);
}

}  // namespace
}  // namespace servesim
