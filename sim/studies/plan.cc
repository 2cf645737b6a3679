#include "sim/studies/plan.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>

#include "sim/config/input_error.h"
#include "sim/config/zoo.h"
#include "sim/core/check.h"
#include "sim/studies/capacity_study.h"
#include "sim/studies/ordered_parallel.h"
#include "sim/studies/study_capacity.h"
#include "sim/workload/workload.h"

namespace servesim {
namespace {

constexpr int64_t kMaxRequestsForMean = 1'000'000;

// The plan's scenario on a candidate's GPU: the model, workload and engine of the base; the
// candidate's hardware (with the scenario's interconnect overrides) for the enumeration rules.
StudyBase CandidateBase(const StudyBase& base, const PlanCandidate& c) {
  StudyBase b = base;
  b.sets.insert(b.sets.end(), c.sets.begin(), c.sets.end());
  const ConfigNode root = ApplyLocatedOverrides(b.doc, b.sets);
  const ConfigNode hardware = root.Child("hardware");
  b.scenario.hardware = LoadHardware(hardware.Child("gpu"));
  ApplyInterconnectOverrides(hardware, &b.scenario.hardware);
  return b;
}

struct ShapeTask {
  size_t option = 0, shape = 0;
  Scenario scenario;
};

int64_t MaxGpusPerReplica(const PlanSpec& spec, const StudyBase& cbase) {
  return spec.max_gpus_per_replica > 0 ? spec.max_gpus_per_replica
                                       : cbase.scenario.hardware.topology.gpus_per_node;
}

void Cost(const PlanSpec& spec, const PlanCandidate& c, double peak_rate, ShapeCost* s) {
  if (!s->skipped.empty()) return;
  s->serving_replicas =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(peak_rate / s->replica_capacity)));
  s->num_gpus = (s->serving_replicas + spec.n_plus) * s->shape.GpusPerReplica();
  s->cost_per_hour = static_cast<double>(s->num_gpus) * c.price.PerHourUsd();
}

bool Cheaper(const ShapeCost& a, const ShapeCost& b) {
  if (a.cost_per_hour != b.cost_per_hour) return a.cost_per_hour < b.cost_per_hour;
  return a.num_gpus < b.num_gpus;
}

void Choose(const PlanSpec& spec, const PlanCandidate& c, const PlanResult& r, PlanOption* o) {
  for (size_t i = 0; i < o->shapes.size(); ++i) {
    const ShapeCost& s = o->shapes[i];
    if (s.skipped.empty() && (o->best < 0 || Cheaper(s, o->shapes[static_cast<size_t>(o->best)]))) {
      o->best = static_cast<int>(i);
    }
  }
  if (o->best < 0) return;
  const ShapeCost& s = o->shapes[static_cast<size_t>(o->best)];
  o->serving_replicas = s.serving_replicas + o->verification.replicas_added;
  o->deployment = s.shape;
  o->deployment.replicas = o->serving_replicas + spec.n_plus;
  o->num_gpus = o->deployment.NumGpus();
  o->capacity = s.replica_capacity * static_cast<double>(o->serving_replicas);
  o->headroom = o->capacity / r.peak_rate - 1.0;
  o->cost_per_gpu_hour = c.price.PerHourUsd();
  o->cost_per_hour = o->cost_per_gpu_hour * static_cast<double>(o->num_gpus);
  const double tokens_per_hour = r.target_rate * r.mean_output_tokens * 3600.0;
  o->cost_per_million_tokens = o->cost_per_hour / tokens_per_hour * 1e6;
  o->total_cost = o->cost_per_hour * spec.horizon_years * kHoursPerYear;
}

// Simulates the serving replicas at the peak load; adds replicas while the SLO fails.
void Verify(const PlanSpec& spec, const StudyBase& cbase, const PlanCandidate& c,
            const PlanResult& r, const StepTimeAdjust& adjust, PlanOption* o) {
  const ShapeCost& s = o->shapes[static_cast<size_t>(o->best)];
  Verification& v = o->verification;
  v.done = true;
  for (int64_t added = 0; added <= kMaxVerifyReplicas; ++added) {
    Deployment d = s.shape;
    d.replicas = s.serving_replicas + added;
    Scenario scenario = DeploymentScenario(cbase, d, c.sets);
    ScaleRequests(static_cast<double>(d.replicas), &scenario);
    v.summary = RunAdjusted(ScenarioAtRate(scenario, r.peak_rate, spec.slo), adjust).summary;
    v.replicas_added = added;
    v.holds = spec.slo.Holds(v.summary);
    if (v.holds) return;
  }
}

void Rank(std::vector<PlanOption>* options) {
  std::stable_sort(options->begin(), options->end(), [](const PlanOption& a, const PlanOption& b) {
    if (a.Feasible() != b.Feasible()) return a.Feasible();
    if (!a.Feasible()) return false;
    if (a.cost_per_hour != b.cost_per_hour) return a.cost_per_hour < b.cost_per_hour;
    return a.num_gpus < b.num_gpus;
  });
}

// The candidates' options with every replica shape; the valid shapes become search tasks.
std::vector<PlanOption> EnumerateShapes(const PlanSpec& spec, const StudyBase& base,
                                        std::vector<StudyBase>* cbases,
                                        std::vector<ShapeTask>* tasks) {
  std::vector<PlanOption> options;
  Strategies per_replica = spec.strategies;
  per_replica.dp = false;
  for (const PlanCandidate& c : spec.candidates) {
    cbases->push_back(CandidateBase(base, c));
    PlanOption o;
    o.name = c.name;
    o.gpu = cbases->back().scenario.hardware.name;
    const int64_t max_gpus = MaxGpusPerReplica(spec, cbases->back());
    for (int64_t g = 1; g <= max_gpus; g *= 2) {
      for (DeploymentCandidate& d : EnumerateDeployments(cbases->back(), g, per_replica, c.sets)) {
        ShapeCost s;
        s.shape = d.deployment;
        s.skipped = d.skipped;
        if (d.scenario) {
          if (o.scenario.model.name.empty()) o.scenario = *d.scenario;
          tasks->push_back({options.size(), o.shapes.size(), std::move(*d.scenario)});
        }
        o.shapes.push_back(std::move(s));
      }
    }
    options.push_back(std::move(o));
  }
  return options;
}

// The capacity of one replica of every task's shape, `run.jobs` searches at a time.
void SearchShapes(const PlanSpec& spec, const StudyBase& base, const StepTimeAdjust& adjust,
                  const PlanRunOptions& run, const std::vector<ShapeTask>& tasks,
                  std::vector<PlanOption>* options) {
  const double start = DefaultStartRate(base.scenario);
  RunOrdered(
      static_cast<int64_t>(tasks.size()), std::max(1, run.jobs),
      [&](int64_t i) {
        const ShapeTask& t = tasks[static_cast<size_t>(i)];
        const StudyCapacity c = SearchCapacity(t.scenario, spec.slo, spec.tolerance, start, adjust);
        ShapeCost& s = (*options)[t.option].shapes[t.shape];
        s.replica_capacity = c.capacity;
        s.simulations = c.simulations;
        s.skipped = c.failed;
        s.unreachable = c.unreachable;
      },
      [&](int64_t i) {
        if (!run.progress) return;
        const ShapeTask& t = tasks[static_cast<size_t>(i)];
        const ShapeCost& s = (*options)[t.option].shapes[t.shape];
        fmt::print(*run.progress, "plan{}: {}/{}: {} {}: {}\n",
                   adjust.scale == 1.0 ? "" : fmt::format(" (step times x{})", adjust.scale), i + 1,
                   tasks.size(), (*options)[t.option].name, s.shape.Name(),
                   s.skipped.empty() ? fmt::format("{:.4g} req/s per replica", s.replica_capacity)
                                     : s.skipped);
        run.progress->flush();
      });
}

std::vector<PlanOption> Evaluate(const PlanSpec& spec, const StudyBase& base, const PlanResult& r,
                                 const StepTimeAdjust& adjust, bool verify,
                                 const PlanRunOptions& run) {
  std::vector<StudyBase> cbases;
  std::vector<ShapeTask> tasks;
  std::vector<PlanOption> options = EnumerateShapes(spec, base, &cbases, &tasks);
  SearchShapes(spec, base, adjust, run, tasks, &options);
  for (size_t i = 0; i < options.size(); ++i) {
    PlanOption& o = options[i];
    for (ShapeCost& s : o.shapes) Cost(spec, spec.candidates[i], r.peak_rate, &s);
    Choose(spec, spec.candidates[i], r, &o);
    if (verify && o.Feasible()) {
      Verify(spec, cbases[i], spec.candidates[i], r, adjust, &o);
      Choose(spec, spec.candidates[i], r, &o);
    }
  }
  Rank(&options);
  return options;
}

}  // namespace

double MeanOutputTokens(const Scenario& scenario) {
  RequestGenerator gen(scenario.workload, scenario.seed);
  double sum = 0;
  int64_t n = 0;
  while (n < kMaxRequestsForMean) {
    const std::optional<RequestSpec> r = gen.NextArrival();
    if (!r) break;
    sum += static_cast<double>(r->output_tokens);
    ++n;
  }
  if (n == 0) throw InputError(fmt::format("{}: workload: issues no request", scenario.file));
  return sum / static_cast<double>(n);
}

// When no shape of any candidate meets the SLO even unloaded, the SLO is the problem, not the
// hardware: an input error like `servesim capacity`'s, before the sensitivity runs.
void CheckSloReachable(const PlanSpec& spec, const std::vector<PlanOption>& options) {
  int64_t shapes = 0;
  for (const PlanOption& o : options) {
    if (o.Feasible()) return;
    for (const ShapeCost& s : o.shapes) {
      if (s.simulations == 0) continue;  // skipped before any simulation (memory, KV)
      if (!s.unreachable) return;
      ++shapes;
    }
  }
  if (shapes == 0) return;  // nothing was simulated: every shape was skipped
  throw InputError(fmt::format(
      "{}: slo: {} fails on every shape of every candidate ({} searched) even at {:g} req/s, "
      "below their unloaded latency: no deployment can meet it; loosen the limits",
      spec.slo_origin, spec.slo.Describe(), shapes, CapacityOptions{}.min_rate));
}

PlanResult RunPlan(const PlanSpec& spec, const StudyBase& base, const PlanRunOptions& run) {
  PlanResult r;
  r.mean_output_tokens = MeanOutputTokens(base.scenario);
  r.target_rate =
      spec.request_rate ? *spec.request_rate : *spec.output_tokens_per_s / r.mean_output_tokens;
  r.peak_rate = r.target_rate * spec.peak_factor;
  r.options = Evaluate(spec, base, r, run.step_times, spec.verify, run);
  CheckSloReachable(spec, r.options);
  if (!run.sensitivity) return r;
  for (double scale : spec.sensitivity_scales) {
    StepTimeAdjust adjust = run.step_times;
    adjust.scale *= scale;
    r.sensitivity.push_back({scale, Evaluate(spec, base, r, adjust, false, run)});
  }
  return r;
}

}  // namespace servesim
