// RateSchedule: a time-varying arrival rate (`workload.arrival.rate_schedule`), either
// piecewise-constant steps or a diurnal sine between a trough and a peak. Arrivals follow it by
// time rescaling (Cinlar 1975; Lewis & Shedler 1979): the arrival process (Poisson, gamma,
// constant) runs at unit rate in "operational time" u, and each arrival at u is placed at the real
// time t with Cumulative(t) = u. A Poisson process becomes the non-homogeneous Poisson process of
// the schedule exactly; a gamma process keeps its cv in operational time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/config/config_node.h"

namespace servesim {

class RateSchedule {
 public:
  // Parses the `rate_schedule` mapping: {steps: [{at_s, rate}, ...]} or
  // {diurnal: {trough, peak, period_s, peak_at_s}}. InputError names the key and the rule.
  static RateSchedule Parse(const ConfigNode& node);
  // Steps: the rate is rates[i] from starts_s[i] until the next start (the last holds forever).
  // REQUIRES: starts_s[0] == 0, strictly increasing, rates >= 0 and one of them > 0.
  static RateSchedule Steps(std::vector<double> starts_s, std::vector<double> rates);
  // trough + (peak - trough) (1 + cos(2 pi (t - peak_at_s) / period_s)) / 2.
  // REQUIRES: 0 <= trough <= peak, peak > 0, period_s > 0.
  static RateSchedule Diurnal(double trough, double peak, double period_s, double peak_at_s);

  // Requests per second at time t >= 0 (seconds).
  double RateAt(double t) const;
  // Expected arrivals in [0, t]: the integral of RateAt.
  double Cumulative(double t) const;
  // The smallest t with Cumulative(t) >= u, to well below a nanosecond; nullopt when the schedule
  // never reaches u (its last step's rate is 0). REQUIRES: u >= 0.
  std::optional<double> TimeOf(double u) const;
  // "steps 0 s: 4/s, 600 s: 12/s", "diurnal 2..20/s, period 86400 s, peak at 50400 s".
  std::string Describe() const;
  double PeakRate() const;

 private:
  bool diurnal_ = false;
  // Steps.
  std::vector<double> starts_s_, rates_, cumulative_;  // cumulative_[i] = Cumulative(starts_s_[i])
  // Diurnal.
  double trough_ = 0, peak_ = 0, period_s_ = 0, peak_at_s_ = 0;
};

}  // namespace servesim
