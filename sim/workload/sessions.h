// Parsing of the workload's prefix-sharing keys (workload.shared_prefix_tokens and
// workload.sessions); the generator side lives in sessions.cc too. Internal to sim/workload.
#pragma once

#include "sim/config/config_node.h"
#include "sim/workload/workload.h"

namespace servesim {

// Reads workload.shared_prefix_tokens and workload.sessions into `config` (after the trace, the
// closed loop and the limits are parsed). Throws InputError for bad values and combinations.
void ParsePrefixSharing(const ConfigNode& w, WorkloadConfig& config);

}  // namespace servesim
