#include "sim/studies/scaling.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>

#include "sim/config/input_error.h"
#include "sim/config/run_estimate.h"
#include "sim/config/whole_number.h"
#include "sim/core/check.h"
#include "sim/studies/capacity_study.h"
#include "sim/studies/ordered_parallel.h"
#include "sim/studies/progress.h"
#include "sim/studies/scaling_loss.h"
#include "sim/studies/study_capacity.h"

namespace servesim {
namespace {

// Where the candidates of every point are and which of them need a search.
struct Task {
  size_t point = 0;
  size_t candidate = 0;
  Scenario scenario;
};

// Refuses, before any simulation, a deployment whose runs cannot fit in this machine's memory.
void CheckFitsInMemory(const ScalingOptions& o, const Scenario& s) {
  const std::string refusal = MemoryRefusal(ExpectedRequests(s.workload).value_or(0), s.replicas);
  if (refusal.empty()) return;
  std::string counts;
  for (int64_t n : o.gpu_counts) counts += fmt::format("{}{}", counts.empty() ? "" : ",", n);
  throw InputError(fmt::format(
      "--gpus {}: at {} GPUs, {}{}; lower the largest count or workload.num_requests", counts,
      s.num_gpus, refusal,
      o.scale_requests ? " (the request count grows with the GPUs; --fixed-requests keeps it)"
                       : ""));
}

std::vector<Task> Enumerate(const StudyBase& base, const ScalingOptions& o, ScalingResult* result) {
  std::vector<Task> tasks;
  const int64_t smallest = o.gpu_counts.front();
  for (int64_t n : o.gpu_counts) {
    ScalingPoint point;
    point.num_gpus = n;
    for (DeploymentCandidate& c : EnumerateDeployments(base, n, o.strategies)) {
      CandidateResult r;
      r.deployment = c.deployment;
      r.skipped = c.skipped;
      if (c.scenario) {
        if (o.scale_requests) ScaleRequests(static_cast<double>(n) / smallest, &*c.scenario);
        CheckFitsInMemory(o, *c.scenario);
        tasks.push_back({result->points.size(), point.candidates.size(), std::move(*c.scenario)});
      }
      point.candidates.push_back(std::move(r));
    }
    result->points.push_back(std::move(point));
  }
  return tasks;
}

void PickBest(ScalingPoint* p) {
  for (size_t i = 0; i < p->candidates.size(); ++i) {
    const CandidateResult& c = p->candidates[i];
    if (!c.skipped.empty()) continue;
    if (p->best < 0 || c.capacity > p->candidates[static_cast<size_t>(p->best)].capacity) {
      p->best = static_cast<int>(i);
    }
  }
}

std::string NoFeasibleDeployment(const ScalingResult& r) {
  std::string reasons;
  for (const ScalingPoint& p : r.points) {
    for (const CandidateResult& c : p.candidates) {
      reasons += fmt::format("\n  {} GPUs, {}: {}", p.num_gpus, c.deployment.Name(), c.skipped);
    }
  }
  return fmt::format("scaling: no deployment is feasible at any requested GPU count:{}", reasons);
}

void Attribute(ScalingResult* r) {
  const ScalingPoint* base = nullptr;
  for (ScalingPoint& p : r->points) {
    const CandidateResult* best = p.Best();
    if (!best) continue;
    if (!base) {
      base = &p;
      r->baseline_gpus = p.num_gpus;
      r->capacity_per_gpu = best->capacity / static_cast<double>(p.num_gpus);
    }
    p.capacity = best->capacity;
    p.linear = r->capacity_per_gpu * static_cast<double>(p.num_gpus);
    p.efficiency = p.capacity / p.linear;
    p.loss =
        AttributeLoss(base->Best()->at_capacity, base->capacity, best->at_capacity, best->capacity);
  }
}

void FitAndExtrapolate(const ScalingOptions& o, ScalingResult* r) {
  std::vector<std::pair<double, double>> xy;
  int64_t largest = 0;
  for (const ScalingPoint& p : r->points) {
    if (!p.Best()) continue;
    xy.emplace_back(static_cast<double>(p.num_gpus), p.capacity);
    largest = p.num_gpus;
  }
  r->usl = FitUsl(xy);
  if (!r->usl) return;
  // Superlinear: a point above linear by more than the capacity search resolves.
  const ScalingPoint* above = nullptr;
  for (const ScalingPoint& p : r->points) {
    if (p.Best() && p.efficiency > 1 + o.tolerance &&
        (!above || p.efficiency > above->efficiency)) {
      above = &p;
    }
  }
  if (r->usl->r_squared < kMinUslRSquared) {
    r->extrapolation_withheld = fmt::format(
        "the fit is poor (R^2 {:.3f} < {}): the points do not follow the USL, so its curve says "
        "nothing beyond them",
        r->usl->r_squared, kMinUslRSquared);
    return;
  }
  if (above) {
    r->extrapolation_withheld = fmt::format(
        "scaling is superlinear ({} GPUs at {:.1f}% of linear): the USL cannot describe gains "
        "above linear, and they do not continue indefinitely",
        above->num_gpus, 100 * above->efficiency);
    return;
  }
  for (double f : o.extrapolate) {
    ExtrapolatedPoint e;
    e.num_gpus = static_cast<int64_t>(std::llround(f * static_cast<double>(largest)));
    e.capacity = UslThroughput(r->usl->params, static_cast<double>(e.num_gpus));
    e.linear = r->capacity_per_gpu * static_cast<double>(e.num_gpus);
    e.efficiency = e.capacity / e.linear;
    r->extrapolated.push_back(e);
  }
}

}  // namespace

std::vector<int64_t> ParseGpuCounts(const std::string& text) {
  std::vector<int64_t> counts;
  for (size_t start = 0;;) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma - start);
    const int64_t v = ParseWholeNumber(item).value_or(0);
    if (v < 1 || v > 1000000) {
      throw InputError(fmt::format(
          "--gpus {}: '{}' is not a GPU count (an integer in [1, 1000000])", text, item));
    }
    if (!counts.empty() && v <= counts.back()) {
      throw InputError(fmt::format("--gpus {}: counts must be strictly ascending, got {} after {}",
                                   text, v, counts.back()));
    }
    counts.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return counts;
}

ScalingResult RunScaling(const StudyBase& base, const ScalingOptions& o, std::ostream* progress) {
  SERVESIM_CHECK(!o.gpu_counts.empty());
  ScalingResult result;
  std::vector<Task> tasks = Enumerate(base, o, &result);
  const double start_per_gpu =
      DefaultStartRate(base.scenario) / static_cast<double>(o.gpu_counts.front());
  const EtaClock clock;
  RunOrdered(
      static_cast<int64_t>(tasks.size()), std::max(1, o.jobs),
      [&](int64_t i) {
        Task& t = tasks[static_cast<size_t>(i)];
        const double start = start_per_gpu * static_cast<double>(t.scenario.num_gpus);
        const StudyCapacity c = SearchCapacity(t.scenario, o.slo, o.tolerance, start, o.step_times);
        CandidateResult& r = result.points[t.point].candidates[t.candidate];
        r.capacity = c.capacity;
        r.at_capacity = c.at_capacity;
        r.steady = c.steady;
        r.simulations = c.simulations;
        r.skipped = c.failed;
      },
      [&](int64_t i) {
        const Task& t = tasks[static_cast<size_t>(i)];
        const CandidateResult& c = result.points[t.point].candidates[t.candidate];
        if (!progress) return;
        fmt::print(*progress, "scaling: {}/{}: {} GPUs {}: {} ({} simulations{})\n", i + 1,
                   tasks.size(), t.scenario.num_gpus, c.deployment.Name(),
                   c.skipped.empty() ? fmt::format("{:.4g} req/s", c.capacity) : c.skipped,
                   c.simulations, clock.EtaSuffix(i + 1, static_cast<int64_t>(tasks.size())));
        progress->flush();
      });
  for (ScalingPoint& p : result.points) PickBest(&p);
  Attribute(&result);
  if (result.baseline_gpus == 0) throw InputError(NoFeasibleDeployment(result));
  FitAndExtrapolate(o, &result);
  return result;
}

}  // namespace servesim
