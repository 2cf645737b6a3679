// StepTraceSink: an optional observer of every engine step, for timelines (Chrome/Perfetto
// traces, batch-size and KV plots). A replica given no sink (the default) pays one null-pointer
// test per step; a sink sees each step once, when it starts, in simulation order.
#pragma once

#include <cstdint>

#include "models/batch.h"
#include "sim/core/time.h"

namespace servesim {

class StepTraceSink {
 public:
  virtual ~StepTraceSink() = default;
  // Replica `replica` starts a step at `start` that runs for `duration` over `batch`, with
  // `kv_used_blocks` of its `kv_total_blocks` KV blocks in use once the batch is admitted.
  virtual void OnStep(int replica, SimTime start, SimTime duration, const BatchShape& batch,
                      int64_t kv_used_blocks, int64_t kv_total_blocks) = 0;
};

}  // namespace servesim
