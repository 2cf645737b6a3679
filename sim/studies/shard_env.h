// `servesim sweep --shard auto`: the shard of this process from the batch system's environment.
// Slurm job arrays set SLURM_ARRAY_TASK_ID with MIN/MAX/STEP/COUNT; a Kubernetes Indexed Job sets
// JOB_COMPLETION_INDEX (and the shard count comes from `--shards N`). The result says which
// variables it used, for the log.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sim/studies/sweep_store.h"

namespace servesim {

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment (getenv).
std::optional<std::string> ProcessEnv(const std::string& name);

struct AutoShard {
  ShardSpec shard;
  std::string source;  // e.g. "SLURM_ARRAY_TASK_ID=3 of SLURM_ARRAY_TASK_COUNT=16"
};

// Slurm with `shards` (what --emit-slurm writes): index = SLURM_ARRAY_TASK_ID, which must be
// below `shards`: the array is 0..N-1 or, when failed tasks are resubmitted, any subset of it.
// Slurm without `shards`: index = (SLURM_ARRAY_TASK_ID - MIN) / STEP (MIN 0 and STEP 1 when
// unset), count = SLURM_ARRAY_TASK_COUNT or (MAX - MIN) / STEP + 1; a sparse array (--array=1,4,9)
// whose count disagrees with MIN..MAX is refused, since its task ids cannot be numbered 0..N-1.
// Kubernetes: index = JOB_COMPLETION_INDEX, count = `shards` (required).
// InputError (naming the variable and the rule) for missing, malformed or inconsistent values, and
// when both batch systems' variables are set.
AutoShard ShardFromEnvironment(const EnvLookup& env, std::optional<int64_t> shards);

}  // namespace servesim
