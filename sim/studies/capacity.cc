#include "sim/studies/capacity.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "sim/config/input_error.h"
#include "sim/core/check.h"

namespace servesim {
namespace {

// Evaluates rates at most once each, recording the search order.
class Prober {
 public:
  Prober(const RateEvaluator& evaluate, const CapacitySlo& slo, CapacityResult* result)
      : evaluate_(evaluate), slo_(slo), result_(result) {}

  const LoadPoint& At(double rate, bool record) {
    auto it = cache_.find(rate);
    if (it == cache_.end()) {
      LoadPoint p;
      p.rate = rate;
      RateOutcome o = evaluate_(rate);
      p.summary = std::move(o.summary);
      p.steady = o.steady;
      p.slo_met = slo_.Holds(p.summary);
      p.holds = p.slo_met && (!p.steady || p.steady->steady);
      it = cache_.emplace(rate, std::move(p)).first;
      if (record) result_->search.push_back(it->second);
    }
    return it->second;
  }

 private:
  const RateEvaluator& evaluate_;
  const CapacitySlo& slo_;
  CapacityResult* result_;
  std::map<double, LoadPoint> cache_;
};

// Finds lo (holds) and hi = 2 lo (fails).
std::pair<double, double> Bracket(Prober& probe, const CapacitySlo& slo, const CapacityOptions& o) {
  double rate = o.start_rate;
  if (probe.At(rate, true).holds) {
    while (probe.At(rate * 2, true).holds) {
      rate *= 2;
      if (rate * 2 > o.max_rate) {
        throw InputError(fmt::format(
            "capacity: the SLO ({}) still holds at {:.6g} req/s; is the workload too short to "
            "load the deployment (workload.num_requests / duration_s)?",
            slo.Describe(), rate));
      }
    }
    return {rate, rate * 2};
  }
  const auto unreachable = [&](double failing) {
    return SloUnreachable(fmt::format(
        "capacity: the SLO ({}) fails even at {:.6g} req/s: it is below the unloaded latency",
        slo.Describe(), failing));
  };
  bool floor_checked = false;
  while (!probe.At(rate / 2, true).holds) {
    rate /= 2;
    if (rate / 2 < o.min_rate) throw unreachable(rate);
    // Two failures in a row: before halving on, see whether the SLO holds at all.
    if (!floor_checked) {
      floor_checked = true;
      if (!probe.At(o.min_rate, true).holds) throw unreachable(o.min_rate);
    }
  }
  return {rate / 2, rate};
}

}  // namespace

CapacityResult FindCapacity(const RateEvaluator& evaluate, const CapacitySlo& slo,
                            const CapacityOptions& options) {
  SERVESIM_CHECK(options.start_rate > 0 && options.tolerance > 0 && options.min_rate > 0);
  CapacityResult result;
  Prober probe(evaluate, slo, &result);
  auto [lo, hi] = Bracket(probe, slo, options);
  while (hi - lo > options.tolerance * lo) {
    const double mid = 0.5 * (lo + hi);
    if (probe.At(mid, true).holds) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  result.max_rate = lo;
  result.fail_rate = hi;
  const LoadPoint& at_max = probe.At(lo, true);
  result.at_max = at_max.summary;
  result.at_max_steady = at_max.steady;
  for (double f : options.curve_fractions) result.curve.push_back(probe.At(f * lo, false));
  std::sort(result.curve.begin(), result.curve.end(),
            [](const LoadPoint& a, const LoadPoint& b) { return a.rate < b.rate; });
  return result;
}

}  // namespace servesim
