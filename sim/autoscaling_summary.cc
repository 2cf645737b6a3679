#include "sim/autoscaling_summary.h"

#include <algorithm>
#include <vector>

#include "sim/core/check.h"
#include "sim/serving/metrics.h"

namespace servesim {
namespace {

constexpr double kSecondsPerHour = 3600;

// Seconds as the closest double to the exact decimal (SimTimeToSeconds multiplies by 1e-9, which
// writes 30 s as 30.000000000000004).
double ExactSeconds(SimTime t) { return static_cast<double>(t) / 1e9; }

// Requests by the window of their arrival: completed, within the SLO, p99 TTFT.
void SummarizeWindows(const Scenario& scenario, const RequestTable& requests, SimTime window,
                      std::vector<Summary::Autoscaling::Window>* windows) {
  std::vector<std::vector<double>> ttft(windows->size());
  std::vector<int64_t> good(windows->size(), 0);
  const SloConfig& slo = scenario.slo;
  for (const Request& r : requests) {
    if (r.warmup || r.finish < 0) continue;
    const size_t w = std::min(static_cast<size_t>(r.arrival / window), windows->size() - 1);
    const double ttft_ms = SimTimeToMs(r.first_token - r.arrival);
    const double tpot_ms = r.output_tokens > 1 ? SimTimeToMs(r.finish - r.first_token) /
                                                     static_cast<double>(r.output_tokens - 1)
                                               : 0;
    ttft[w].push_back(ttft_ms);
    // The same rule as the run's slo_attainment (Metrics::SummarizeRequests).
    if ((!slo.ttft_ms || ttft_ms <= *slo.ttft_ms) && (!slo.tpot_ms || tpot_ms <= *slo.tpot_ms)) {
      ++good[w];
    }
  }
  for (size_t w = 0; w < windows->size(); ++w) {
    Summary::Autoscaling::Window& out = (*windows)[w];
    out.completed = static_cast<int64_t>(ttft[w].size());
    if (out.completed == 0) continue;
    std::sort(ttft[w].begin(), ttft[w].end());
    out.p99_ttft_ms = Percentile(ttft[w], 99);
    out.slo_attainment = static_cast<double>(good[w]) / static_cast<double>(out.completed);
  }
}

}  // namespace

void SummarizeAutoscaling(const Autoscaler& autoscaler, const Scenario& scenario,
                          const RequestTable& requests, SimTime end, Summary* s) {
  const AutoscalerConfig& c = autoscaler.config();
  Summary::Autoscaling a;
  a.policy = AutoscalerPolicyNames()[static_cast<size_t>(c.policy)];
  a.min_replicas = c.min_replicas;
  a.max_replicas = c.max_replicas;
  a.gpus_per_replica = scenario.engine.shape.tp * scenario.pp;
  a.cold_start_s = ExactSeconds(c.cold_start);
  a.weight_load_s = ExactSeconds(c.weight_load);
  a.scale_up_delay_s = ExactSeconds(c.ScaleUpDelay());
  a.scale_ups = autoscaler.scale_ups();
  a.scale_downs = autoscaler.scale_downs();
  a.cold_starts = autoscaler.cold_starts();
  const double gpus = static_cast<double>(a.gpus_per_replica);
  const double end_s = SimTimeToSeconds(end);
  const double booked_s = autoscaler.BookedReplicaSeconds(0, end);
  a.gpu_hours = booked_s * gpus / kSecondsPerHour;
  a.static_gpu_hours = static_cast<double>(c.max_replicas) * gpus * end_s / kSecondsPerHour;
  a.cost_usd = a.gpu_hours * scenario.hardware.price_per_gpu_hour_usd;
  a.static_cost_usd = a.static_gpu_hours * scenario.hardware.price_per_gpu_hour_usd;
  a.mean_replicas = end_s > 0 ? booked_s / end_s : 0;
  for (const Autoscaler::Point& p : autoscaler.timeline()) {
    if (p.at > 0 && p.at >= end) break;  // decisions after the last completion changed nothing
    a.timeline.push_back({p.at, p.booked, p.active});
    a.peak_replicas = std::max(a.peak_replicas, p.booked);
  }
  a.window_s = ExactSeconds(c.report_window);
  const SimTime count = std::max<SimTime>(1, (end + c.report_window - 1) / c.report_window);
  a.windows.resize(static_cast<size_t>(count));
  for (SimTime w = 0; w < count; ++w) {
    Summary::Autoscaling::Window& out = a.windows[static_cast<size_t>(w)];
    const SimTime from = w * c.report_window, to = std::min(end, from + c.report_window);
    out.start_s = ExactSeconds(from);
    const double span_s = SimTimeToSeconds(to - from);
    const double booked = autoscaler.BookedReplicaSeconds(from, to);
    out.mean_replicas = span_s > 0 ? booked / span_s : 0;
    out.gpu_hours = booked * gpus / kSecondsPerHour;
  }
  SummarizeWindows(scenario, requests, c.report_window, &a.windows);
  s->autoscaling = std::move(a);
}

}  // namespace servesim
