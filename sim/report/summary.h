// Summary: the numbers a run reports. Latency and throughput keys follow vLLM's
// benchmark_serving (`completed`, `duration`, `mean_ttft_ms`, ...) so scripts written for it work
// unchanged; servesim adds engine-side metrics (batch, KV, preemptions, utilisation, breakdown).
// Rendering: JSON (stable key order, for golden files), console table and per-request CSV.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "models/coverage.h"
#include "sim/serving/request.h"

namespace servesim {

// Statistics of one latency over a run's samples. With no sample (count == 0: nothing completed,
// or no request generated a second token) every value is 0 here and null in the JSON.
struct LatencyStats {
  int64_t count = 0;  // samples
  double mean_ms = 0;
  double median_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

struct Summary {
  // What ran.
  std::string scenario;
  std::string model;
  std::string gpu;
  int64_t num_gpus = 1;
  std::string scheduler;
  std::string preset;  // engine.preset; "" when none
  uint64_t seed = 0;
  int64_t kv_cache_blocks = 0;
  int64_t kv_cache_tokens = 0;

  // vLLM benchmark_serving keys.
  int64_t completed = 0;
  int64_t failed = 0;  // rejected: longer than engine.max_model_len
  double duration_s = 0;
  int64_t total_input_tokens = 0;
  int64_t total_output_tokens = 0;
  double request_throughput = 0;
  double output_throughput = 0;
  double total_token_throughput = 0;
  LatencyStats ttft, tpot, itl, e2el;

  // SLO (present when the scenario sets slo.*).
  std::optional<double> slo_ttft_ms;
  std::optional<double> slo_tpot_ms;
  double slo_attainment = 0;  // fraction of completed requests meeting every SLO
  double goodput = 0;         // such requests per second

  // Engine-side.
  int64_t num_steps = 0;
  double mean_batch_size = 0;  // sequences per step
  int64_t max_batch_size = 0;
  double mean_kv_utilization = 0;  // time-weighted over the run
  double max_kv_utilization = 0;
  int64_t preemptions = 0;
  // Prefix caching (reported when prefix_caching is on): prompt tokens of completed requests found
  // in the cache at their first admission, and their share of all their prompt tokens.
  bool prefix_caching = false;
  int64_t prefix_cache_hit_tokens = 0;
  double prefix_cache_hit_rate = 0;
  // Speculative decoding (present when engine.speculative is set; the runner fills what ran, the
  // metrics what happened): decode sequence-steps, drafts verified and accepted in them, the
  // accepted share, and tokens emitted per sequence per step (accepted drafts + 1: Spec-Bench's
  // "mean accepted tokens"; 1 without speculation). Warm-up included, like the engine metrics.
  struct Speculation {
    std::string method;
    int64_t num_tokens = 0;
    double expected_tokens_per_step = 0;  // of the acceptance model, every draft verified
    int64_t sequence_steps = 0;
    int64_t drafts_proposed = 0;
    int64_t drafts_accepted = 0;
    double acceptance_rate = 0;
    double tokens_per_step = 0;
  };
  std::optional<Speculation> speculative;
  // KV offload to host memory (present when prefix_caching.host_offload_gib > 0; the runner
  // fills the configuration and the host tiers' counters, the metrics the rest). Hits are prompt
  // tokens of completed requests at their first admission (prefix_cache_hit_tokens = gpu + host);
  // block counts are summed over replicas, warm-up included; load times cover every step.
  struct KvOffload {
    double host_offload_gib = 0;  // per GPU
    int64_t host_blocks = 0;      // per replica
    int64_t gpu_hit_tokens = 0;
    int64_t host_hit_tokens = 0;
    double host_hit_rate = 0;  // host hit tokens / prompt tokens
    int64_t blocks_offloaded = 0;
    int64_t host_evictions = 0;
    int64_t blocks_loaded = 0;
    int64_t load_steps = 0;     // steps that loaded KV
    double load_s = 0;          // host-link time of every load, summed
    double mean_load_ms = 0;    // per step that loaded
    double load_exposed_s = 0;  // step time the loads added (not hidden behind compute)
  };
  std::optional<KvOffload> kv_offload;
  double mfu = 0;  // FLOPs done / (duration x dense peak), per GPU
  double memory_bandwidth_utilization = 0;
  double busy_fraction = 0;  // share of the duration with a step running (mean over replicas)
  double pipeline_bubble_fraction = 0;  // pp > 1: stage time idle while work was in flight
  int64_t num_replicas = 1;
  int64_t tp = 1, pp = 1;
  int64_t ep = 1;  // expert-parallel degree (MoE); in the JSON only when > 1
  std::string router;
  struct ReplicaStats {
    int64_t steps = 0;
    double mean_batch_size = 0;
    double busy_fraction = 0;
  };
  std::vector<ReplicaStats> replicas;  // per replica, in index order
  // Disaggregated runs: the prefill and decode pools, and the KV transfers between them.
  struct PoolStats {
    std::string role;
    std::string gpu;
    int64_t num_gpus = 0;
    int64_t replicas = 0;
    int64_t tp = 1, pp = 1;
    int64_t kv_cache_blocks = 0;  // per replica
    double busy_fraction = 0;
    double mean_batch_size = 0;
  };
  std::vector<PoolStats> pools;
  struct TransferStats {
    int64_t count = 0;
    double total_gb = 0;
    double mean_ms = 0;  // queueing + latency + transfer
    double p99_ms = 0;
    double mean_queue_ms = 0;  // waiting for a busy link
  } kv_transfer;
  // Summed step time per op class, seconds.
  double gemm_s = 0, attention_s = 0, communication_s = 0, other_s = 0, host_s = 0;
  uint64_t events = 0;
  // Present when the scenario has an autoscaler (docs/config.md#autoscaler).
  struct Autoscaling {
    std::string policy;
    int64_t min_replicas = 1, max_replicas = 1, gpus_per_replica = 1;
    double cold_start_s = 0, weight_load_s = 0, scale_up_delay_s = 0;
    int64_t scale_ups = 0, scale_downs = 0, cold_starts = 0;
    // Over the run, [0, last completion]: GPU-hours booked (loading, active or draining), and
    // what max_replicas for the whole run would have booked.
    double gpu_hours = 0, static_gpu_hours = 0;
    double cost_usd = 0, static_cost_usd = 0;  // at the GPU's indicative price (0: none)
    double mean_replicas = 0;                  // booked, time-weighted
    int64_t peak_replicas = 0;                 // booked
    struct Point {
      SimTime at = 0;
      int64_t replicas = 0;  // booked
      int64_t active = 0;    // routable
    };
    std::vector<Point> timeline;  // from 0, a point per change, up to the run's end
    double window_s = 3600;
    // Per window of window_s in which some measured request arrived (the others are left out):
    // those requests, their SLO attainment (the JSON has it when the scenario sets slo.*) and
    // p99 TTFT; replicas booked on average over the window and its GPU-hours.
    struct Window {
      double start_s = 0;
      int64_t completed = 0;
      double slo_attainment = 0;
      double p99_ttft_ms = 0;
      double mean_replicas = 0;
      double gpu_hours = 0;
    };
    std::vector<Window> windows;
  };
  std::optional<Autoscaling> autoscaling;
  // Present when steps were priced from a calibration profile.
  std::optional<CoverageLedger> coverage;
};

nlohmann::ordered_json SummaryToJson(const Summary& s);
// What `servesim run --json` writes (and the golden files hold): the summary and
// `servesim_version`.
nlohmann::ordered_json RunJson(const Summary& s);
void PrintSummary(const Summary& s, std::ostream& out);
// Below this many ns a time written with 9 decimals in seconds (or 6 in ms) is the integer's own
// digits: the double SimTimeToSeconds / SimTimeToMs gives lies within half a unit of the last
// digit.
inline constexpr SimTime kExactFixedNs = SimTime{1} << 48;  // about 78 hours
// Appends `ns` (>= 0) in seconds with 9 decimals (`decimals` 9) or in ms with 6 (`decimals` 6):
// the characters fmt's "{:.9f}" / "{:.6f}" writes for SimTimeToSeconds / SimTimeToMs, without
// going through a double below kExactFixedNs.
void AppendNsFixed(SimTime ns, int decimals, std::string* out);
// x >= 0 as fmt's "{:.6f}" writes it (exact rounding from the binary value, half to even),
// without fmt's generic float formatting; appended to `out`.
void AppendFixed6(double x, std::string* out);
// One row per request: id, arrival, scheduled, first token, finish (seconds), lengths,
// preemptions, ttft/tpot/e2el (ms).
std::string RequestsCsv(const RequestTable& requests);

}  // namespace servesim
