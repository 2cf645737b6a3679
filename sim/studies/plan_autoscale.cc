#include "sim/studies/plan_autoscale.h"

#include <algorithm>
#include <cmath>

#include "sim/core/check.h"
#include "sim/studies/plan.h"

namespace servesim {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kSamplesPerStep = 64;  // the step's highest rate, sampled (ends included)

// The replicas `units` units of `unit_gpus` GPUs hold.
int64_t ReplicasHeld(int64_t gpus_per_replica, int64_t unit_gpus, int64_t units) {
  if (gpus_per_replica <= unit_gpus) return units * (unit_gpus / gpus_per_replica);
  return units / ((gpus_per_replica + unit_gpus - 1) / unit_gpus);
}

}  // namespace

double DiurnalRate(const PlanAutoscale& a, double target, double peak, double t_s) {
  return target + (peak - target) * std::cos(2 * kPi * (t_s - a.peak_at_s) / a.period_s);
}

AutoscaledCost AutoscaleCost(const PlanAutoscale& a, double target_rate, double peak_rate,
                             double replica_capacity, int64_t gpus_per_replica, int64_t n_plus,
                             int64_t unit_gpus, int64_t static_units, const GpuPrice& price,
                             double weight_load_s) {
  SERVESIM_CHECK(replica_capacity > 0 && target_rate > 0);
  SERVESIM_CHECK(peak_rate >= target_rate && peak_rate <= 2 * target_rate * (1 + 1e-12));
  AutoscaledCost c;
  c.scale_up_delay_s = a.cold_start_s + weight_load_s;
  const int64_t steps = static_cast<int64_t>(std::ceil(a.period_s / a.step_s - 1e-9));
  double unit_seconds = 0;
  int64_t previous = -1;
  for (int64_t i = 0; i < steps; ++i) {
    AutoscaledCost::Step s;
    s.at_s = static_cast<double>(i) * a.step_s;
    const double end = std::min(a.period_s, s.at_s + a.step_s);
    for (int k = 0; k <= kSamplesPerStep; ++k) {
      const double t = s.at_s + (end - s.at_s) * k / kSamplesPerStep;
      s.peak_rate = std::max(s.peak_rate, DiurnalRate(a, target_rate, peak_rate, t));
    }
    const int64_t serving =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil(s.peak_rate / replica_capacity)));
    const UnitSizing sized = SizeInUnits(gpus_per_replica, serving + n_plus, unit_gpus);
    s.units = std::min(sized.units, static_units);  // never more than the peak's deployment
    s.replicas = ReplicasHeld(gpus_per_replica, unit_gpus, s.units);
    unit_seconds += static_cast<double>(s.units) * (end - s.at_s);
    // Units added are booked a scale-up delay before they serve (the first step's are there).
    if (previous >= 0 && s.units > previous) {
      unit_seconds += static_cast<double>(s.units - previous) * c.scale_up_delay_s;
    }
    previous = s.units;
    c.steps.push_back(s);
  }
  // Around midnight the schedule wraps: the first step's units were started the day before.
  if (c.steps.front().units > c.steps.back().units) {
    unit_seconds +=
        static_cast<double>(c.steps.front().units - c.steps.back().units) * c.scale_up_delay_s;
  }
  c.min_units = c.max_units = c.steps.front().units;
  for (const AutoscaledCost::Step& s : c.steps) {
    c.min_units = std::min(c.min_units, s.units);
    c.max_units = std::max(c.max_units, s.units);
  }
  const double gpu = static_cast<double>(unit_gpus);
  c.mean_gpus = unit_seconds * gpu / a.period_s;
  c.gpu_hours_per_day = c.mean_gpus * 24;
  const double static_gpus = static_cast<double>(static_units) * gpu;
  c.static_gpu_hours_per_day = static_gpus * 24;
  c.static_cost_per_hour = static_gpus * price.PerHourUsd();
  c.cost_per_hour = static_gpus * price.AmortisedPerHourUsd() +
                    c.mean_gpus * (price.per_hour_usd + price.EnergyPerHourUsd());
  return c;
}

}  // namespace servesim
