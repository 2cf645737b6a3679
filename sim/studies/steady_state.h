// SteadyState: whether a finite run reached a steady state, judged from its requests. A rate at
// which completions fall behind arrivals still meets a latency SLO for a while: the backlog grows
// until the workload ends, and a short run ends before the tail shows. The capacity, scaling and
// plan searches therefore count a rate as held only if, over the second half of the arrival span
// (the first half is warm-up), the backlog (requests arrived and not finished) shows no upward
// trend beyond its own noise:
//   trend = least-squares slope of the backlog sampled at kSamples + 1 evenly spaced instants of
//           the window, times the window's length (requests gained over the window);
//   noise = standard deviation of the samples around that line;
//   not steady when trend > max(3 noise, 1% of the window's arrivals, 2).
// In a steady state the backlog fluctuates around a level (trend within its noise); in an
// overload it grows by (arrival rate - service rate) x time. Rejected requests leave at once and
// are not counted. A window with fewer than kMinArrivals arrivals is not judged (steady).
// A window shorter than kWarmupLatencies x the p99 end-to-end latency may still be filling up
// (`long_enough` false): the searches then run the rate again with a longer workload
// (RunSteadyAtRate, capacity_study.h) rather than call a warm-up an overload.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/serving/request.h"

namespace servesim {

struct SteadyState {
  bool judged = false;  // enough arrivals in the window to judge
  bool steady = true;
  double window_start_s = 0, window_end_s = 0;  // second half of the arrival span
  int64_t arrivals = 0;                         // in the window
  int64_t completions = 0;                      // in the window
  double mean_backlog = 0;                      // requests in the system, over the window
  double backlog_trend = 0;                     // requests gained over the window (fitted)
  double backlog_noise = 0;                     // sd around the fitted line
  double threshold = 0;                         // trend above which the run is not steady
  double p99_e2el_s = 0;                        // of the completed requests
  bool long_enough = false;                     // window >= kWarmupLatencies x p99_e2el_s
  int64_t extended = 1;  // the workload was this many times the scenario's (RunSteadyAtRate)

  // "the backlog grew by 76 requests over the second half of the arrivals (more than the
  // threshold 30); 925 completions for 1001 arrivals", or "" when steady.
  std::string Reason() const;
};

inline constexpr int64_t kSteadyStateSamples = 256;
inline constexpr int64_t kSteadyStateMinArrivals = 20;
inline constexpr double kWarmupLatencies = 2;
inline constexpr int64_t kMaxSteadyStateExtension = 8;  // at most 8x the workload

SteadyState AssessSteadyState(const RequestTable& requests);

nlohmann::ordered_json SteadyStateToJson(const SteadyState& s);

}  // namespace servesim
