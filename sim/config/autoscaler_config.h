// The scenario's `autoscaler:` section (docs/config.md#autoscaler): validated against the
// colocated deployment it scales, whose replicas are the most it may use, and turned into the
// engine's AutoscalerConfig, with the scale-up delay derived from the weights and the host link.
#pragma once

#include <optional>

#include "sim/config/config_node.h"
#include "sim/serving/autoscaler_config.h"

namespace servesim {

struct Scenario;

// Absent section: nullopt. REQUIRES: the deployment and memory plan of `s` are parsed. Throws
// InputError (file:line:col, key, rule).
std::optional<AutoscalerConfig> ParseAutoscaler(const ConfigNode& root, const Scenario& s);

// The fixed start-up part of the scale-up delay when `cold_start_s` is not given (seconds).
inline constexpr double kDefaultColdStartS = 60;

}  // namespace servesim
