#include "sim/studies/steady_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace servesim {

std::string SteadyState::Reason() const {
  if (steady) return "";
  return fmt::format(
      "not a steady state: the backlog grew by {:.0f} requests over the second half of the "
      "arrivals (more than the threshold {:.0f}); {} completions for {} arrivals{}",
      backlog_trend, threshold, completions, arrivals,
      extended > 1 ? fmt::format(" (workload x{})", extended) : "");
}

SteadyState AssessSteadyState(const RequestTable& requests) {
  SteadyState s;
  std::vector<SimTime> arrivals, finishes, e2el;
  for (const Request& r : requests) {
    if (r.rejected || r.finish < 0) continue;
    arrivals.push_back(r.arrival);
    finishes.push_back(r.finish);
    e2el.push_back(r.finish - r.arrival);
  }
  if (arrivals.size() < 2) return s;
  std::sort(arrivals.begin(), arrivals.end());
  std::sort(finishes.begin(), finishes.end());
  std::sort(e2el.begin(), e2el.end());
  s.p99_e2el_s = SimTimeToSeconds(e2el[(e2el.size() - 1) * 99 / 100]);
  const SimTime first = arrivals.front(), last = arrivals.back();
  const SimTime mid = first + (last - first) / 2;
  const auto count_to = [](const std::vector<SimTime>& v, SimTime t) {
    return static_cast<int64_t>(std::upper_bound(v.begin(), v.end(), t) - v.begin());
  };
  s.window_start_s = SimTimeToSeconds(mid);
  s.window_end_s = SimTimeToSeconds(last);
  s.arrivals = count_to(arrivals, last) - count_to(arrivals, mid);
  s.completions = count_to(finishes, last) - count_to(finishes, mid);
  if (s.arrivals < kSteadyStateMinArrivals || last <= mid) return s;
  s.judged = true;
  s.long_enough = s.window_end_s - s.window_start_s >= kWarmupLatencies * s.p99_e2el_s;
  // Backlog at evenly spaced instants x_i = i / K of the window; least-squares line q = a + b x.
  const int64_t k = kSteadyStateSamples;
  std::vector<double> q(static_cast<size_t>(k + 1));
  double sum_q = 0;
  for (int64_t i = 0; i <= k; ++i) {
    const SimTime t = mid + static_cast<SimTime>(static_cast<double>(last - mid) *
                                                 static_cast<double>(i) / static_cast<double>(k));
    q[static_cast<size_t>(i)] = static_cast<double>(count_to(arrivals, t) - count_to(finishes, t));
    sum_q += q[static_cast<size_t>(i)];
  }
  const double n = static_cast<double>(k + 1), mean_x = 0.5;
  s.mean_backlog = sum_q / n;
  double sxx = 0, sxy = 0;
  for (int64_t i = 0; i <= k; ++i) {
    const double dx = static_cast<double>(i) / static_cast<double>(k) - mean_x;
    sxx += dx * dx;
    sxy += dx * (q[static_cast<size_t>(i)] - s.mean_backlog);
  }
  s.backlog_trend = sxy / sxx;  // the slope per window length
  double ss = 0;
  for (int64_t i = 0; i <= k; ++i) {
    const double x = static_cast<double>(i) / static_cast<double>(k);
    const double r = q[static_cast<size_t>(i)] - (s.mean_backlog + s.backlog_trend * (x - mean_x));
    ss += r * r;
  }
  s.backlog_noise = std::sqrt(ss / n);
  s.threshold = std::max({3.0 * s.backlog_noise, 0.01 * static_cast<double>(s.arrivals), 2.0});
  s.steady = s.backlog_trend <= s.threshold;
  return s;
}

nlohmann::ordered_json SteadyStateToJson(const SteadyState& s) {
  return {{"steady", s.steady},
          {"judged", s.judged},
          {"window_start_s", s.window_start_s},
          {"window_end_s", s.window_end_s},
          {"arrivals", s.arrivals},
          {"completions", s.completions},
          {"mean_backlog", s.mean_backlog},
          {"backlog_trend", s.backlog_trend},
          {"backlog_noise", s.backlog_noise},
          {"threshold", s.threshold},
          {"p99_e2el_s", s.p99_e2el_s},
          {"long_enough", s.long_enough},
          {"workload_extended", s.extended}};
}

}  // namespace servesim
