#include "sim/studies/plan.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>

#include "sim/config/input_error.h"
#include "sim/config/run_estimate.h"
#include "sim/config/zoo.h"
#include "sim/core/check.h"
#include "sim/studies/capacity_study.h"
#include "sim/studies/ordered_parallel.h"
#include "sim/studies/progress.h"
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

// Sizes `replicas` replicas of the shape in whole units and prices them.
void SizeAndPrice(const PlanSpec& spec, const PlanCandidate& c, const Deployment& shape,
                  int64_t serving_needed, int64_t* serving, int64_t* units, int64_t* num_gpus,
                  double* cost_per_hour) {
  const UnitSizing sized =
      SizeInUnits(shape.GpusPerReplica(), serving_needed + spec.n_plus, c.unit_gpus);
  *serving = sized.replicas_held - spec.n_plus;  // spare slots of a bought unit serve too
  *units = sized.units;
  *num_gpus = sized.units * c.unit_gpus;
  *cost_per_hour = static_cast<double>(*num_gpus) * c.price.PerHourUsd();
}

void Cost(const PlanSpec& spec, const PlanCandidate& c, double peak_rate, ShapeCost* s) {
  if (!s->skipped.empty()) return;
  const int64_t needed =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(peak_rate / s->replica_capacity)));
  SizeAndPrice(spec, c, s->shape, needed, &s->serving_replicas, &s->units, &s->num_gpus,
               &s->cost_per_hour);
}

// Cheaper per hour; on a tie fewer GPUs, then more capacity (headroom for the same price).
bool Cheaper(const ShapeCost& a, const ShapeCost& b) {
  if (a.cost_per_hour != b.cost_per_hour) return a.cost_per_hour < b.cost_per_hour;
  if (a.num_gpus != b.num_gpus) return a.num_gpus < b.num_gpus;
  return a.replica_capacity * static_cast<double>(a.serving_replicas) >
         b.replica_capacity * static_cast<double>(b.serving_replicas);
}

void Choose(const PlanSpec& spec, const PlanCandidate& c, const PlanResult& r, PlanOption* o) {
  for (size_t i = 0; i < o->shapes.size(); ++i) {
    const ShapeCost& s = o->shapes[i];
    if (s.skipped.empty() && (o->best < 0 || Cheaper(s, o->shapes[static_cast<size_t>(o->best)]))) {
      o->best = static_cast<int>(i);
    }
  }
  if (o->best < 0) return;
  const ShapeCost& s = o->Best();
  SizeAndPrice(spec, c, s.shape, s.serving_replicas + o->verification.replicas_added,
               &o->serving_replicas, &o->units, &o->num_gpus, &o->cost_per_hour);
  o->deployment = s.shape;
  o->deployment.replicas = o->serving_replicas + spec.n_plus;
  o->capacity = s.replica_capacity * static_cast<double>(o->serving_replicas);
  o->headroom = o->capacity / r.peak_rate - 1.0;
  o->cost_per_gpu_hour = c.price.PerHourUsd();
  const double tokens_per_hour = r.target_rate * r.mean_output_tokens * 3600.0;
  o->cost_per_million_tokens = o->cost_per_hour / tokens_per_hour * 1e6;
  o->total_cost = o->cost_per_hour * spec.horizon_years * kHoursPerYear;
}

// The candidate's overrides for variant `v`: its `set:` and the variant's engine settings.
std::vector<Override> VariantSets(const PlanCandidate& c, const EngineVariant& v) {
  std::vector<Override> sets = c.sets;
  sets.insert(sets.end(), v.sets.begin(), v.sets.end());
  return sets;
}

// Simulates the serving replicas at the peak load; adds replicas while the SLO fails.
void Verify(const PlanSpec& spec, const StudyBase& cbase, const PlanCandidate& c,
            const PlanResult& r, const StepTimeAdjust& adjust, PlanOption* o) {
  const ShapeCost& s = o->Best();
  const std::vector<Override> sets = VariantSets(c, o->variants[static_cast<size_t>(s.variant)]);
  Verification& v = o->verification;
  v.done = true;
  for (int64_t added = 0; added <= kMaxVerifyReplicas; ++added) {
    Deployment d = s.shape;
    d.replicas = s.serving_replicas + added;
    Scenario scenario = DeploymentScenario(cbase, d, sets);
    ScaleRequests(static_cast<double>(d.replicas), &scenario);
    const std::string refusal =
        MemoryRefusal(ExpectedRequests(scenario.workload).value_or(0), scenario.replicas);
    if (!refusal.empty()) {
      throw InputError(fmt::format(
          "{}: verify: checking {} on {} replicas of {}: {}; lower the target or set verify: "
          "false",
          spec.path, o->name, d.replicas, d.Name(), refusal));
    }
    const RateOutcome run = RunSteadyAtRate(
        scenario, r.peak_rate, spec.slo, [&](const Scenario& s) { return RunAdjusted(s, adjust); });
    v.summary = run.summary;
    v.steady = *run.steady;
    v.replicas_added = added;
    v.holds = spec.slo.Holds(v.summary) && v.steady.steady;
    if (v.holds) return;
  }
}

// The chosen deployment's autoscaled alternative (spec.autoscale). Its replicas serve what the
// capacity search found per replica, less what verification had to add at the peak.
void Autoscale(const PlanSpec& spec, const StudyBase& cbase, const PlanCandidate& c,
               const PlanResult& r, PlanOption* o) {
  const ShapeCost& s = o->Best();
  const Scenario scenario = DeploymentScenario(
      cbase, s.shape, VariantSets(c, o->variants[static_cast<size_t>(s.variant)]));
  const double weight_load_s =
      scenario.memory.weight_bytes / (scenario.hardware.host_link_bandwidth_bytes_per_s / 2);
  double capacity = s.replica_capacity;
  if (o->verification.replicas_added > 0) {
    const double needed = std::ceil(r.peak_rate / capacity);
    capacity *= needed / (needed + static_cast<double>(o->verification.replicas_added));
  }
  o->autoscaled =
      AutoscaleCost(*spec.autoscale, r.target_rate, r.peak_rate, capacity, s.shape.GpusPerReplica(),
                    spec.n_plus, c.unit_gpus, o->units, c.price, weight_load_s);
}

void Rank(std::vector<PlanOption>* options) {
  std::stable_sort(options->begin(), options->end(), [](const PlanOption& a, const PlanOption& b) {
    if (a.Feasible() != b.Feasible()) return a.Feasible();
    if (!a.Feasible()) return false;
    if (a.cost_per_hour != b.cost_per_hour) return a.cost_per_hour < b.cost_per_hour;
    return a.num_gpus < b.num_gpus;
  });
}

// The engine variants of a candidate: the product of its search dimensions, in order (the last
// dimension varies fastest). A knob the scenario spells the TensorRT-LLM way (max_batch_size,
// max_num_tokens) is searched under that name.
std::vector<EngineVariant> Variants(const PlanCandidate& c, const StudyBase& cbase) {
  std::vector<EngineVariant> out(1);
  const ConfigNode engine = ApplyLocatedOverrides(cbase.doc, cbase.sets).Child("engine");
  for (const SearchDimension& d : c.search) {
    std::string key = d.key;
    if (d.knob == "max_num_seqs" && engine.Has("max_batch_size")) key = "engine.max_batch_size";
    if (d.knob == "max_num_batched_tokens" && engine.Has("max_num_tokens")) {
      key = "engine.max_num_tokens";
    }
    std::vector<EngineVariant> next;
    for (const EngineVariant& v : out) {
      for (const std::string& value : d.values) {
        EngineVariant w = v;
        w.name += fmt::format("{}{}={}", w.name.empty() ? "" : " ", d.knob, value);
        w.sets.push_back({key, value, d.origin});
        if (d.knob == "precision" && value == "fp8" &&
            cbase.scenario.hardware.peak_flops_fp8 <= 0) {
          w.skipped = fmt::format("{} has no FP8 tensor cores", cbase.scenario.hardware.name);
        }
        next.push_back(std::move(w));
      }
    }
    out = std::move(next);
  }
  return out;
}

// The shapes of one variant, appended to `o` (tasks for the valid ones). A variant whose
// settings the scenario rules refuse is skipped with the reason, unless the candidate's own
// settings are what is refused: that is bad input.
void EnumerateVariant(const PlanSpec& spec, const PlanCandidate& c, const StudyBase& cbase,
                      size_t option, int variant, PlanOption* o, std::vector<ShapeTask>* tasks) {
  EngineVariant& v = o->variants[static_cast<size_t>(variant)];
  if (!v.skipped.empty()) return;
  Strategies per_replica = spec.strategies;
  per_replica.dp = false;
  const std::vector<Override> sets = VariantSets(c, v);
  std::vector<DeploymentCandidate> all;
  try {
    for (int64_t g = 1; g <= MaxGpusPerReplica(spec, cbase); g *= 2) {
      for (DeploymentCandidate& d : EnumerateDeployments(cbase, g, per_replica, sets)) {
        all.push_back(std::move(d));
      }
    }
  } catch (const InputError& e) {
    if (v.sets.empty()) throw;
    EnumerateDeployments(cbase, 1, per_replica, c.sets);  // the candidate's own settings
    v.skipped = e.what();
    return;
  }
  for (DeploymentCandidate& d : all) {
    ShapeCost s;
    s.shape = d.deployment;
    s.variant = variant;
    s.skipped = d.skipped;
    if (d.scenario) {
      if (!v.scenario) v.scenario = *d.scenario;
      tasks->push_back({option, o->shapes.size(), std::move(*d.scenario)});
    }
    o->shapes.push_back(std::move(s));
  }
}

// The candidates' options with every variant and replica shape; the valid shapes become search
// tasks.
std::vector<PlanOption> EnumerateShapes(const PlanSpec& spec, const StudyBase& base,
                                        std::vector<StudyBase>* cbases,
                                        std::vector<ShapeTask>* tasks) {
  std::vector<PlanOption> options;
  for (const PlanCandidate& c : spec.candidates) {
    cbases->push_back(CandidateBase(base, c));
    PlanOption o;
    o.name = c.name;
    o.gpu = cbases->back().scenario.hardware.name;
    o.unit_gpus = c.unit_gpus;
    o.variants = Variants(c, cbases->back());
    for (size_t v = 0; v < o.variants.size(); ++v) {
      EnumerateVariant(spec, c, cbases->back(), options.size(), static_cast<int>(v), &o, tasks);
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
  const EtaClock clock;
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
        s.steady = c.steady;
      },
      [&](int64_t i) {
        if (!run.progress) return;
        const ShapeTask& t = tasks[static_cast<size_t>(i)];
        const ShapeCost& s = (*options)[t.option].shapes[t.shape];
        const std::string& variant =
            (*options)[t.option].variants[static_cast<size_t>(s.variant)].name;
        fmt::print(*run.progress, "plan{}: {}/{}: {} {}{}: {}{}\n",
                   adjust.scale == 1.0 ? "" : fmt::format(" (step times x{})", adjust.scale), i + 1,
                   tasks.size(), (*options)[t.option].name, s.shape.Name(),
                   variant.empty() ? "" : " " + variant,
                   s.skipped.empty() ? fmt::format("{:.4g} req/s per replica", s.replica_capacity)
                                     : s.skipped,
                   clock.EtaSuffix(i + 1, static_cast<int64_t>(tasks.size())));
        run.progress->flush();
      });
}

// `main`: the plan's own evaluation (verified when spec.verify, autoscaled alternatives); the
// sensitivity evaluations are neither.
std::vector<PlanOption> Evaluate(const PlanSpec& spec, const StudyBase& base, const PlanResult& r,
                                 const StepTimeAdjust& adjust, bool main,
                                 const PlanRunOptions& run) {
  const bool verify = main && spec.verify;
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
      o.best = -1;
      Choose(spec, spec.candidates[i], r, &o);
    }
    // The main evaluation only (the sensitivity runs compare static rankings).
    if (spec.autoscale && main && o.Feasible()) {
      Autoscale(spec, cbases[i], spec.candidates[i], r, &o);
    }
  }
  Rank(&options);
  return options;
}

}  // namespace

UnitSizing SizeInUnits(int64_t gpus_per_replica, int64_t replicas, int64_t unit_gpus) {
  SERVESIM_CHECK(gpus_per_replica >= 1 && replicas >= 1 && unit_gpus >= 1);
  UnitSizing u;
  if (gpus_per_replica <= unit_gpus) {
    const int64_t per_unit = unit_gpus / gpus_per_replica;
    u.units = (replicas + per_unit - 1) / per_unit;
    u.replicas_held = u.units * per_unit;
  } else {
    u.units = replicas * ((gpus_per_replica + unit_gpus - 1) / unit_gpus);
    u.replicas_held = replicas;
  }
  return u;
}

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
  r.options = Evaluate(spec, base, r, run.step_times, true, run);
  CheckSloReachable(spec, r.options);
  if (!run.sensitivity) return r;
  for (double scale : spec.sensitivity_scales) {
    StepTimeAdjust adjust = run.step_times;
    adjust.scale *= scale;
    r.sensitivity.push_back({scale, Evaluate(spec, base, r, adjust, false, run)});  // not main
  }
  return r;
}

}  // namespace servesim
