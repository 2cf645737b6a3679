// FindCapacity: the highest arrival rate (req/s) at which an SLO holds. Takes any callable
// rate -> Summary (the CLI runs a simulation at that Poisson rate; tests use a fake), so the
// search itself is a pure function of that callable:
//   1. bracket: from `start_rate`, double while the SLO holds (or halve while it fails) until a
//      holding rate `lo` and a failing rate `hi` = 2 lo are found; when the start rate and half
//      of it both fail, min_rate is tried before halving further (an SLO that fails there fails
//      everywhere: the search stops at once);
//   2. bisect: evaluate the midpoint and keep the half that still brackets the boundary, until
//      hi - lo <= tolerance x lo. max_rate = lo: it held, and a rate at most `tolerance` higher
//      failed. If the SLO is not monotone in the rate, this is one boundary, not necessarily the
//      highest.
//   3. curve: evaluate the rates curve_fractions x max_rate (the knee and around it).
// A rate holds when the SLO is met and the run reached a steady state (steady_state.h): a finite
// run at a rate the deployment cannot sustain may meet a latency SLO before its backlog shows.
// Every rate is evaluated at most once (results are cached by rate).
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "sim/config/input_error.h"
#include "sim/report/summary.h"
#include "sim/studies/slo.h"
#include "sim/studies/steady_state.h"

namespace servesim {

struct CapacityOptions {
  double start_rate = 1.0;  // req/s, first rate tried
  double tolerance = 0.01;  // relative width of the final bracket
  double min_rate = 1e-3;   // below this the SLO is declared unreachable
  double max_rate = 1e7;    // above this the SLO is declared unbounded
  std::vector<double> curve_fractions = {0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5};
};

// What one evaluation of a rate gives: the run's summary and, for real simulations, whether it
// reached a steady state (fakes in tests give a summary only).
struct RateOutcome {
  RateOutcome() = default;
  RateOutcome(Summary s) : summary(std::move(s)) {}  // NOLINT: implicit, for summary-only fakes
  RateOutcome(Summary s, SteadyState st) : summary(std::move(s)), steady(st) {}
  Summary summary;
  std::optional<SteadyState> steady;
};

struct LoadPoint {
  double rate = 0;     // req/s offered
  bool holds = false;  // the SLO is met and the run is in a steady state
  bool slo_met = false;
  Summary summary;
  std::optional<SteadyState> steady;
};

struct CapacityResult {
  double max_rate = 0;   // highest rate found to hold
  double fail_rate = 0;  // lowest rate found to fail (max_rate < fail_rate <= (1+tol) max_rate)
  Summary at_max;        // the run at max_rate (its goodput is the goodput at capacity)
  std::optional<SteadyState> at_max_steady;  // its steady-state evidence
  std::vector<LoadPoint> search;             // every evaluation, in order
  std::vector<LoadPoint> curve;              // curve_fractions x max_rate, by rate
};

using RateEvaluator = std::function<RateOutcome(double rate_per_s)>;

// The SLO fails even at min_rate: it is below the deployment's unloaded latency.
class SloUnreachable : public InputError {
 public:
  using InputError::InputError;
};

// Throws SloUnreachable when the SLO fails even at min_rate (after a start rate and half of it
// failed, min_rate is tried next, so that an impossible SLO costs three simulations, not twenty),
// and InputError when it still holds at max_rate.
CapacityResult FindCapacity(const RateEvaluator& evaluate, const CapacitySlo& slo,
                            const CapacityOptions& options);

}  // namespace servesim
