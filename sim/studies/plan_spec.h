// PlanSpec: a purchase plan file (`servesim plan PLAN.yaml`; keys in docs/config.md, "Plan
// files"): a base scenario (its workload and engine), an SLO, a target load with a peak factor,
// N+k redundancy, a horizon, and candidate GPUs with their prices. Parsing validates everything
// with located errors before any simulation runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/config/config_node.h"
#include "sim/studies/deployment_space.h"
#include "sim/studies/slo.h"

namespace servesim {

inline constexpr double kHoursPerYear = 8760;

// What one GPU costs per hour: amortised purchase + rental (or hosting) + energy.
struct GpuPrice {
  double purchase_usd = 0;
  double amortisation_years = 1;
  double per_hour_usd = 0;
  double power_w = 0;  // per GPU, at load
  double pue = 1.0;    // facility power / IT power
  double usd_per_kwh = 0;
  std::string source;  // where the numbers come from

  double AmortisedPerHourUsd() const { return purchase_usd / (amortisation_years * kHoursPerYear); }
  double EnergyPerHourUsd() const { return power_w / 1000.0 * pue * usd_per_kwh; }
  double PerHourUsd() const { return AmortisedPerHourUsd() + per_hour_usd + EnergyPerHourUsd(); }
};

// One engine knob a plan searches (`search:`): the scenario key it sets and the values tried.
struct SearchDimension {
  std::string knob;                 // "precision", "max_num_seqs" or "max_num_batched_tokens"
  std::string key;                  // the scenario key it sets, e.g. "engine.precision"
  std::vector<std::string> values;  // YAML values, in the order tried
  std::string origin;               // "plan.yaml:7:3", where the dimension was written
};

// The knobs `search:` accepts and the values tried when a knob is listed without values
// (`search: [precision]`): around vLLM's defaults (max_num_seqs 256, V1's 8192-token budget;
// docs/config.md, engine), by factors of two.
const std::vector<std::string>& SearchKnobs();
std::vector<std::string> DefaultSearchValues(const std::string& knob);

struct PlanCandidate {
  std::string name;            // `name:`, default the GPU name
  std::string gpu;             // zoo name or resolved path
  std::vector<Override> sets;  // hardware.gpu and the candidate's `set:`
  GpuPrice price;
  // GPUs per purchasable unit (an 8-GPU HGX node, a cloud instance): deployments are sized and
  // priced in whole units.
  int64_t unit_gpus = 1;
  std::vector<SearchDimension> search;  // the plan's `search:`, or the candidate's own
};

// `autoscale:` (sim/studies/plan_autoscale.h): the daily load the autoscaled alternative follows.
struct PlanAutoscale {
  double period_s = 86400;   // one day
  double peak_at_s = 50400;  // 14:00
  double step_s = 900;       // schedule granularity (15 minutes)
  double cold_start_s = 60;  // as autoscaler.cold_start_s (docs/config.md, autoscaler)
};

struct PlanSpec {
  std::string path;
  std::string scenario_path;  // resolved
  CapacitySlo slo;
  std::string slo_origin;                     // "plan.yaml:3:3": where `slo:` is, for errors
  std::optional<double> request_rate;         // req/s, average
  std::optional<double> output_tokens_per_s;  // average
  double peak_factor = 1.0;
  int64_t n_plus = 0;  // redundancy replicas
  double horizon_years = 1.0;
  int64_t max_gpus_per_replica = 0;                // 0: the candidate GPU's gpus_per_node
  Strategies strategies{true, true, false, true};  // per replica: dp is the replica count
  std::vector<double> sensitivity_scales = {0.9, 1.1};
  bool verify = true;
  double tolerance = 0.01;
  std::vector<SearchDimension> search;  // plan-level `search:` (candidates may replace it)
  std::vector<PlanCandidate> candidates;
  std::optional<PlanAutoscale> autoscale;
};

// Loads and validates a plan file. Throws InputError "file:line:col: key: rule".
PlanSpec LoadPlan(const std::string& path);

}  // namespace servesim
