// AutoscalerConfig: the autoscaler's plain settings (sim/serving/autoscaler.h runs them;
// sim/config/autoscaler_config turns the scenario's `autoscaler:` section into them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/time.h"

namespace servesim {

enum class AutoscalerPolicy { kQueueDepth, kUtilization, kSchedule };

const std::vector<std::string>& AutoscalerPolicyNames();

struct AutoscalerConfig {
  AutoscalerPolicy policy = AutoscalerPolicy::kQueueDepth;
  int64_t min_replicas = 1;
  int64_t max_replicas = 1;
  int64_t initial_replicas = 1;
  SimTime interval = 30 * kNsPerSecond;              // queue_depth, utilization
  SimTime scale_down_cooldown = 300 * kNsPerSecond;  // queue_depth, utilization
  SimTime cold_start = 60 * kNsPerSecond;
  SimTime weight_load = 0;        // derived: per-GPU weights over the host link
  double target_per_replica = 0;  // queue_depth: requests in the system per serving replica
  double target_kv_usage = 0;     // utilization: KV-cache use of the active replicas
  double tolerance = 0.1;  // queue_depth, utilization: no change within this ratio of the count
  struct Step {
    SimTime at = 0;
    int64_t replicas = 1;
  };
  std::vector<Step> schedule;  // schedule: ascending times
  SimTime report_window = 3600 * kNsPerSecond;

  SimTime ScaleUpDelay() const { return cold_start + weight_load; }
};

}  // namespace servesim
