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

// The windows in which some measured request arrived (their indices, ascending), with their
// completions, SLO attainment and p99 TTFT. Windows without one are left out, so that the
// count is bounded by the requests however long the run.
void SummarizeWindows(const Scenario& scenario, const RequestTable& requests, SimTime window,
                      std::vector<SimTime>* index,
                      std::vector<Summary::Autoscaling::Window>* windows) {
  for (const Request& r : requests) {
    if (!r.warmup && r.finish >= 0) index->push_back(r.arrival / window);
  }
  std::sort(index->begin(), index->end());
  index->erase(std::unique(index->begin(), index->end()), index->end());
  windows->resize(index->size());
  std::vector<std::vector<double>> ttft(index->size());
  std::vector<int64_t> good(index->size(), 0);
  const SloConfig& slo = scenario.slo;
  for (const Request& r : requests) {
    if (r.warmup || r.finish < 0) continue;
    const size_t w = static_cast<size_t>(
        std::lower_bound(index->begin(), index->end(), r.arrival / window) - index->begin());
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
    out.start_s = ExactSeconds((*index)[w] * window);
    out.completed = static_cast<int64_t>(ttft[w].size());
    std::sort(ttft[w].begin(), ttft[w].end());
    out.p99_ttft_ms = Percentile(ttft[w], 99);
    out.slo_attainment = static_cast<double>(good[w]) / static_cast<double>(out.completed);
  }
}

// Booked replica x seconds of `timeline` (points ascending, the last one lasting to `end`) over
// [from, to). `k`: the segment to start from, advanced for the next, later call.
double BookedSeconds(const std::vector<Summary::Autoscaling::Point>& timeline, SimTime end,
                     SimTime from, SimTime to, size_t* k) {
  while (*k + 1 < timeline.size() && timeline[*k + 1].at <= from) ++*k;
  double sum = 0;
  for (size_t i = *k; i < timeline.size(); ++i) {
    const SimTime a = std::max(from, timeline[i].at);
    const SimTime b = std::min(to, i + 1 < timeline.size() ? timeline[i + 1].at : end);
    if (a >= to) break;
    if (b > a) sum += static_cast<double>(timeline[i].replicas) * SimTimeToSeconds(b - a);
  }
  return sum;
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
  std::vector<SimTime> index;
  SummarizeWindows(scenario, requests, c.report_window, &index, &a.windows);
  size_t segment = 0;
  for (size_t w = 0; w < index.size(); ++w) {
    Summary::Autoscaling::Window& out = a.windows[w];
    const SimTime from = index[w] * c.report_window, to = std::min(end, from + c.report_window);
    const double span_s = SimTimeToSeconds(to - from);
    const double booked = BookedSeconds(a.timeline, end, from, to, &segment);
    out.mean_replicas = span_s > 0 ? booked / span_s : 0;
    out.gpu_hours = booked * gpus / kSecondsPerHour;
  }
  s->autoscaling = std::move(a);
}

}  // namespace servesim
