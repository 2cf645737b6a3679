// The autoscaled alternative of a purchase plan (plan file `autoscale:`): instead of the peak's
// deployment all day, replicas that follow a daily load on a schedule. The load is a sine with
// the plan's average (target) and peak (target x peak_factor), so its trough is target x
// (2 - peak_factor); each schedule step books the whole units its highest rate needs (at the
// capacity of one replica the plan found, plus the N+k spares), started a scale-up delay early
// so that they serve when the step begins. Rental and energy scale with the GPU-hours booked;
// owned GPUs (purchase price) cost the same idle or not. An estimate from the plan's capacity
// search, not a simulation: `schedule` gives the steps as `autoscaler.schedule` entries so that
// `servesim run` can check a day of it (docs/studies.md, "Autoscaled provisioning").
#pragma once

#include <cstdint>
#include <vector>

#include "sim/studies/plan_spec.h"

namespace servesim {

struct AutoscaledCost {
  double scale_up_delay_s = 0;  // cold start + weight load
  struct Step {
    double at_s = 0;       // the step starts (its units serve from here)
    double peak_rate = 0;  // highest rate within the step, req/s
    int64_t replicas = 0;  // serving + spares the units hold
    int64_t units = 0;
  };
  std::vector<Step> steps;
  int64_t min_units = 0, max_units = 0;
  double mean_gpus = 0;  // booked, time-weighted (scale-up delays included)
  double gpu_hours_per_day = 0;
  double static_gpu_hours_per_day = 0;
  double cost_per_hour = 0;  // owned part on the static count + rent and energy on the booked
  double static_cost_per_hour = 0;
  double Savings() const { return 1 - cost_per_hour / static_cost_per_hour; }
};

// The load of the day at time t (seconds from midnight).
double DiurnalRate(const PlanAutoscale& a, double target, double peak, double t_s);

// The schedule and its cost for a deployment of replicas of `gpus_per_replica` GPUs, each
// serving `replica_capacity` req/s, bought as `static_units` units of `unit_gpus` at `price`.
// REQUIRES: replica_capacity > 0, 1 <= peak / target <= 2.
AutoscaledCost AutoscaleCost(const PlanAutoscale& a, double target_rate, double peak_rate,
                             double replica_capacity, int64_t gpus_per_replica, int64_t n_plus,
                             int64_t unit_gpus, int64_t static_units, const GpuPrice& price,
                             double weight_load_s);

}  // namespace servesim
