// The purchase plan (`servesim plan PLAN.yaml`): for each candidate GPU, the cheapest deployment
// that serves the target load at the SLO.
//   1. Every replica shape (tp x pp (x ep) GPUs, up to max_gpus_per_replica) valid for the model
//      on that GPU (sim/studies/deployment_space.h) gets the capacity of one replica at the SLO.
//   2. A shape needs ceil(target x peak_factor / replica capacity) serving replicas, plus n_plus
//      redundancy replicas; its cost per hour is its GPUs x the candidate's price per GPU-hour.
//   3. The cheapest shape is checked by simulating all its serving replicas behind the
//      scenario's router at the peak load (`verify`); while the SLO fails there, a replica is
//      added (at most kMaxVerifyReplicas times).
// Candidates are ranked by cost per hour. Sensitivity: steps 1-2 again with every step time x
// each factor of sensitivity.step_time_scales (not verified), and the ranking under each.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/report/summary.h"
#include "sim/studies/deployment_space.h"
#include "sim/studies/plan_autoscale.h"
#include "sim/studies/plan_spec.h"
#include "sim/studies/steady_state.h"
#include "sim/studies/study_step_times.h"

namespace servesim {

inline constexpr int kMaxVerifyReplicas = 8;

struct ShapeCost {
  Deployment shape;              // replicas == 1: one replica
  int variant = 0;               // index into PlanOption::variants
  std::string skipped;           // why the shape is not an option
  double replica_capacity = 0;   // req/s at the SLO
  int64_t serving_replicas = 0;  // the replicas the peak needs, and any the bought units still hold
  int64_t units = 0;             // purchasable units of the candidate's unit_gpus GPUs
  int64_t num_gpus = 0;          // units x unit_gpus: the GPUs paid for
  double cost_per_hour = 0;
  int64_t simulations = 0;
  bool unreachable = false;           // the SLO fails on this shape even unloaded
  std::optional<SteadyState> steady;  // of the run at the replica's capacity
};

// One combination of the searched engine knobs (PlanSpec `search:`); without a search the
// candidate has one variant with no settings.
struct EngineVariant {
  std::string name;                  // "precision=fp8 max_num_seqs=512", "" without a search
  std::vector<Override> sets;        // engine.* overrides
  std::string skipped;               // why no shape runs these settings (e.g. no FP8 on this GPU)
  std::optional<Scenario> scenario;  // one parsed shape, for the engine settings it resolves to
};

struct Verification {
  bool done = false;
  bool holds = false;  // the SLO is met and the run reached a steady state
  int64_t replicas_added = 0;
  Summary summary;  // the last simulation at the peak load
  SteadyState steady;
};

// How many purchasable units of `unit_gpus` GPUs hold `replicas` replicas of `gpus_per_replica`
// GPUs: a replica no larger than a unit never straddles two (floor(unit / replica) per unit); a
// larger one takes ceil(replica / unit) whole units. `replicas_held`: all the replicas the units
// hold (spare slots in the last unit hold more).
struct UnitSizing {
  int64_t units = 0;
  int64_t replicas_held = 0;
};
UnitSizing SizeInUnits(int64_t gpus_per_replica, int64_t replicas, int64_t unit_gpus);

struct PlanOption {
  std::string name, gpu;
  int64_t unit_gpus = 1;
  std::vector<EngineVariant> variants;
  std::vector<ShapeCost> shapes;  // enumeration order: variant, then GPUs per replica
  int best = -1;                  // index into shapes; -1: no shape meets the SLO
  Verification verification;
  // The chosen deployment (after verification).
  Deployment deployment;                                  // replicas = serving + n_plus
  int64_t serving_replicas = 0, units = 0, num_gpus = 0;  // num_gpus: paid (units x unit_gpus)
  double capacity = 0;  // req/s of the serving replicas (replica capacity x count)
  double headroom = 0;  // capacity / peak target - 1
  double cost_per_gpu_hour = 0, cost_per_hour = 0, cost_per_million_tokens = 0, total_cost = 0;
  // With the plan's `autoscale:`: the same deployment's replicas following the daily load.
  std::optional<AutoscaledCost> autoscaled;

  bool Feasible() const { return best >= 0; }
  const ShapeCost& Best() const { return shapes[static_cast<size_t>(best)]; }
  // The engine settings of the chosen shape's variant. REQUIRES: Feasible().
  const Scenario& ChosenScenario() const {
    return *variants[static_cast<size_t>(Best().variant)].scenario;
  }
};

struct PlanResult {
  double mean_output_tokens = 0;    // per request, of the workload
  double target_rate = 0;           // req/s, average
  double peak_rate = 0;             // req/s, target x peak factor
  std::vector<PlanOption> options;  // ranked: feasible by cost per hour, then infeasible
  struct Sensitivity {
    double scale = 1;
    std::vector<PlanOption> options;  // ranked
  };
  std::vector<Sensitivity> sensitivity;
};

struct PlanRunOptions {
  int jobs = 1;
  StepTimeAdjust step_times;
  bool sensitivity = true;  // replications skip it
  std::ostream* progress = nullptr;
};

// `base` is the plan's scenario (LoadStudyBase of spec.scenario_path). Throws InputError when a
// candidate's settings are invalid.
PlanResult RunPlan(const PlanSpec& spec, const StudyBase& base, const PlanRunOptions& options);

// The mean output length per request of `scenario`'s workload (drawn with its seed).
double MeanOutputTokens(const Scenario& scenario);

}  // namespace servesim
