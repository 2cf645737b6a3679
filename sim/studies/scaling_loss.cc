#include "sim/studies/scaling_loss.h"

#include <algorithm>
#include <cmath>

#include "sim/core/check.h"

namespace servesim {

const std::vector<std::string>& LossCauses() {
  static const std::vector<std::string> causes = {"communication",    "pipeline_bubbles",
                                                  "kv_limited_batch", "compute_saturation",
                                                  "queueing",         "routing_imbalance"};
  return causes;
}

GpuTimePerRequest GpuTimeAtCapacity(const Summary& run, double capacity) {
  SERVESIM_CHECK(capacity > 0 && run.completed > 0 && run.duration_s > 0 && run.num_gpus > 0);
  const auto n = static_cast<double>(run.num_gpus);
  const auto completed = static_cast<double>(run.completed);
  const double gpu_time_s = n * run.duration_s;
  const double busy = run.busy_fraction;  // mean over replicas, all of the same size
  double max_busy = busy;
  for (const Summary::ReplicaStats& r : run.replicas)
    max_busy = std::max(max_busy, r.busy_fraction);
  const double busy_s = busy * gpu_time_s;
  const double comm_s = static_cast<double>(run.tp) * run.communication_s;
  const double bubbles_s = run.pp > 1 ? run.pipeline_bubble_fraction * busy_s : 0.0;
  GpuTimePerRequest g;
  g.communication = comm_s / completed;
  g.bubbles = bubbles_s / completed;
  g.work = (busy_s - comm_s - bubbles_s) / completed;
  g.imbalance = (max_busy - busy) * gpu_time_s / completed;
  g.queueing = n / capacity - g.communication - g.bubbles - g.work - g.imbalance;
  g.steps_per_request = static_cast<double>(run.num_steps) / completed;
  return g;
}

std::map<std::string, double> AttributeLoss(const Summary& baseline, double baseline_capacity,
                                            const Summary& run, double capacity) {
  const GpuTimePerRequest g0 = GpuTimeAtCapacity(baseline, baseline_capacity);
  const GpuTimePerRequest g = GpuTimeAtCapacity(run, capacity);
  const auto n = static_cast<double>(run.num_gpus);
  const double big_g0 = static_cast<double>(baseline.num_gpus) / baseline_capacity;
  const double big_g = n / capacity;
  const double scale = n / (big_g * big_g0);  // lost req/s per GPU-second per request
  const double b0 = g0.steps_per_request, b = g.steps_per_request;
  const double a0 = b0 > 0 ? g0.work / b0 : 0.0, a = b > 0 ? g.work / b : 0.0;
  std::map<std::string, double> loss;
  loss["communication"] = scale * (g.communication - g0.communication);
  loss["pipeline_bubbles"] = scale * (g.bubbles - g0.bubbles);
  if (b0 > 0 && b > 0) {
    loss["compute_saturation"] = scale * (a - a0) * (b + b0) / 2;
    loss["kv_limited_batch"] = scale * (b - b0) * (a + a0) / 2;
  } else {  // a run without steps: all of its work change is per-step cost
    loss["compute_saturation"] = scale * (g.work - g0.work);
    loss["kv_limited_batch"] = 0;
  }
  loss["queueing"] = scale * (g.queueing - g0.queueing);
  loss["routing_imbalance"] = scale * (g.imbalance - g0.imbalance);
  double sum = 0;
  for (const auto& [cause, value] : loss) sum += value;
  const double linear = n / big_g0, lost = linear - capacity;
  SERVESIM_CHECK(std::fabs(sum - lost) <= 1e-9 * std::max(linear, capacity));
  return loss;
}

}  // namespace servesim
