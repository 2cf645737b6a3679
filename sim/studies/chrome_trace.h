// ChromeTrace: records every engine step of a run (through StepTraceSink) and writes them in the
// Trace Event format that Perfetto (ui.perfetto.dev) and chrome://tracing open. One process per
// replica; each step is one complete event ("ph": "X") named by its composition (decode,
// prefill or mixed) with the batch in its args; counters ("ph": "C") track batch size and KV use.
// Overlapping micro-batches (pipeline parallelism) go to separate lanes (threads) of the replica.
// Recording appends a small struct per step; all JSON work happens in ToJson.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/serving/step_trace.h"

namespace servesim {

class ChromeTrace : public StepTraceSink {
 public:
  void OnStep(int replica, SimTime start, SimTime duration, const BatchShape& batch,
              int64_t kv_used_blocks, int64_t kv_total_blocks) override;

  int64_t NumSteps() const { return static_cast<int64_t>(steps_.size()); }
  // The trace document; `metadata` (e.g. scenario, seed) goes under "metadata".
  nlohmann::ordered_json ToJson(const nlohmann::ordered_json& metadata) const;

 private:
  struct Step {
    int replica;
    SimTime start;
    SimTime duration;
    int64_t decode_seqs;
    int64_t decode_context_tokens;
    int64_t prefill_seqs;
    int64_t prefill_tokens;
    int64_t kv_used_blocks;
    int64_t kv_total_blocks;
  };
  static nlohmann::ordered_json StepEvent(const Step& s, int lane);

  std::vector<Step> steps_;
};

// The steps of a trace written by ChromeTrace (for reports): one entry per "X" event.
struct TracedStep {
  int replica = 0;
  double start_s = 0;
  double duration_s = 0;
  int64_t batch_seqs = 0;
  int64_t batch_tokens = 0;
  double kv_utilization = 0;
};
// Throws InputError naming `where` when `trace` is not a servesim trace.
std::vector<TracedStep> ReadTracedSteps(const nlohmann::ordered_json& trace,
                                        const std::string& where);

}  // namespace servesim
