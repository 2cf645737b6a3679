#include "sim/studies/study_capacity.h"

#include <algorithm>
#include <cmath>

#include "sim/config/input_error.h"
#include "sim/core/check.h"
#include "sim/studies/capacity.h"
#include "sim/studies/capacity_study.h"

namespace servesim {

StudyCapacity SearchCapacity(const Scenario& scenario, const CapacitySlo& slo, double tolerance,
                             double start_rate, const StepTimeAdjust& step_times) {
  SERVESIM_CHECK(start_rate > 0 && tolerance > 0 && tolerance < 1);
  CapacityOptions o;
  o.tolerance = tolerance;
  o.start_rate = std::clamp(start_rate, o.min_rate, o.max_rate);
  o.curve_fractions.clear();
  StudyCapacity r;
  const auto evaluate = [&](double rate) {
    ++r.simulations;
    return RunSteadyAtRate(scenario, rate, slo,
                           [&](const Scenario& s) { return RunAdjusted(s, step_times); });
  };
  try {
    const CapacityResult c = FindCapacity(evaluate, slo, o);
    r.capacity = c.max_rate;
    r.at_capacity = c.at_max;
    r.steady = c.at_max_steady;
  } catch (const SloUnreachable& e) {
    r.failed = e.what();
    r.unreachable = true;
  } catch (const InputError& e) {
    r.failed = e.what();
  }
  return r;
}

void ScaleRequests(double factor, Scenario* scenario) {
  std::optional<int64_t>& n = scenario->workload.num_requests;
  if (n) n = static_cast<int64_t>(std::ceil(static_cast<double>(*n) * factor));
}

}  // namespace servesim
