#include "sim/runner.h"

#include <algorithm>
#include <optional>

#include "sim/autoscaling_summary.h"
#include "sim/core/check.h"
#include "sim/core/simulation.h"
#include "sim/serving/cluster.h"
#include "sim/serving/metrics.h"
#include "sim/serving/workload_driver.h"
#include "sim/step_model_factory.h"
#include "sim/workload/workload.h"

namespace servesim {
namespace {

// The most request records sized up front (2.3 GB of address space at 136 bytes each); a
// larger bound grows the table as before.
constexpr int64_t kMaxReserve = int64_t{1} << 24;

// End of run: every request that arrived finished exactly once with exactly its output tokens
// (arrived = completed + rejected; nothing runs or waits any more), the tokens the engines emitted
// are exactly those, and each request's timeline is ordered.
void CheckConservation(const RequestTable& table, const Metrics& metrics) {
  int64_t finished = 0, tokens = 0;
  for (const Request& r : table) {
    if (r.rejected) {
      SERVESIM_CHECK(r.finish < 0 && r.generated == 0);
      continue;
    }
    SERVESIM_CHECK(r.arrival <= r.scheduled && r.scheduled <= r.first_token);
    SERVESIM_CHECK(r.finish >= r.first_token && r.first_token > r.arrival);
    SERVESIM_CHECK(r.generated == r.output_tokens && !r.in_decode_set && r.blocks == 0);
    ++finished;
    tokens += r.output_tokens;
  }
  SERVESIM_CHECK(finished == metrics.Completed());
  SERVESIM_CHECK(tokens == metrics.TokensEmitted());
}

// What ran: the colocated deployment, or the two pools of a disaggregated one.
void DescribeDeployment(const Scenario& scenario, Summary* s, Metrics::Capacity* capacity) {
  const Precision precision = scenario.engine.shape.weight_precision;
  if (!scenario.disaggregation) {
    s->gpu = scenario.hardware.name;
    s->num_gpus = scenario.num_gpus;
    s->num_replicas = scenario.replicas;
    s->tp = scenario.engine.shape.tp;
    s->pp = scenario.pp;
    s->ep = scenario.engine.shape.ep;
    s->kv_cache_blocks = scenario.memory.num_kv_blocks;
    s->kv_cache_tokens = scenario.memory.kv_capacity_tokens;
    capacity->peak_flops_per_gpu = scenario.hardware.PeakFlops(precision);
    capacity->bandwidth_bytes_per_s_per_gpu = scenario.hardware.memory_bandwidth_bytes_per_s;
    capacity->num_gpus = scenario.num_gpus;
    capacity->pp = scenario.pp;
    return;
  }
  const DisaggregationConfig& d = *scenario.disaggregation;
  double flops = 0, bandwidth = 0;
  for (const PoolSpec* pool : {&d.prefill, &d.decode}) {
    flops += pool->hardware.PeakFlops(precision) * static_cast<double>(pool->num_gpus);
    bandwidth += pool->hardware.memory_bandwidth_bytes_per_s * static_cast<double>(pool->num_gpus);
    s->pools.push_back({pool->role, pool->hardware.name, pool->num_gpus, pool->replicas, pool->tp,
                        pool->pp, pool->memory.num_kv_blocks, 0, 0});
  }
  s->gpu = d.prefill.hardware.name == d.decode.hardware.name
               ? d.prefill.hardware.name
               : d.prefill.hardware.name + "+" + d.decode.hardware.name;
  s->num_gpus = d.prefill.num_gpus + d.decode.num_gpus;
  s->num_replicas = d.prefill.replicas + d.decode.replicas;
  capacity->num_gpus = s->num_gpus;
  capacity->peak_flops_per_gpu = flops / static_cast<double>(s->num_gpus);
  capacity->bandwidth_bytes_per_s_per_gpu = bandwidth / static_cast<double>(s->num_gpus);
}

// Per-pool busy time and batch size from the per-replica stats; KV transfer statistics.
void SummarizePools(const Cluster& cluster, Summary* s) {
  if (s->pools.empty()) return;
  for (size_t p = 0; p < cluster.pools().size(); ++p) {
    const Pool& pool = cluster.pools()[p];
    double busy = 0, batch = 0;
    for (size_t i = 0; i < pool.replicas.size(); ++i) {
      const Summary::ReplicaStats& r = s->replicas[static_cast<size_t>(pool.first_index) + i];
      busy += r.busy_fraction;
      batch += r.mean_batch_size;
    }
    const double n = static_cast<double>(pool.replicas.size());
    s->pools[p].busy_fraction = busy / n;
    s->pools[p].mean_batch_size = batch / n;
  }
  const KvTransferStats& t = cluster.transfer()->stats();
  std::vector<double> ms;
  for (SimTime x : t.times) ms.push_back(SimTimeToMs(x));
  std::sort(ms.begin(), ms.end());
  s->kv_transfer.count = t.count;
  s->kv_transfer.total_gb = t.total_bytes / 1e9;
  if (t.count > 0) {
    s->kv_transfer.mean_ms = 1e3 * t.sum_time_s / static_cast<double>(t.count);
    s->kv_transfer.mean_queue_ms = 1e3 * t.sum_queue_s / static_cast<double>(t.count);
    s->kv_transfer.p99_ms = Percentile(ms, 99);
  }
}

void Summarize(const Scenario& scenario, const std::vector<const StepModel*>& models,
               const Cluster& cluster, Metrics& metrics, const Simulation& sim,
               const RequestTable& requests, Summary* s) {
  s->scenario = scenario.name;
  s->model = scenario.model.name;
  s->router = scenario.router;
  s->scheduler = scenario.engine.scheduler;
  s->preset = scenario.engine.preset;
  s->prefix_caching = scenario.engine.batching.prefix_caching;
  // Built as values, then assigned: clang does not let optional::emplace() default-construct a
  // nested struct with member initializers (its triviality is decided inside Summary).
  if (const int64_t host_blocks = scenario.engine.batching.host_offload_blocks; host_blocks > 0) {
    Summary::KvOffload kv;
    kv.host_offload_gib = scenario.host_offload_gib;
    kv.host_blocks = host_blocks;
    s->kv_offload = kv;
  }
  if (const SpeculativeConfig& spec = scenario.engine.speculative; spec.enabled) {
    Summary::Speculation sp;
    sp.method = spec.method;
    sp.num_tokens = spec.num_tokens;
    sp.expected_tokens_per_step = spec.ExpectedTokensPerStep();
    s->speculative = sp;
  }
  s->seed = scenario.seed;
  s->events = sim.EventsProcessed() + sim.EventsInlined();
  Metrics::Capacity capacity;
  DescribeDeployment(scenario, s, &capacity);
  metrics.Summarize({scenario.slo.ttft_ms, scenario.slo.tpot_ms}, capacity, s);
  SummarizePools(cluster, s);
  if (s->kv_offload) {
    for (const Pool& pool : cluster.pools()) {
      for (const auto& replica : pool.replicas) {
        const HostTierCounts c = replica->HostTier();
        s->kv_offload->blocks_offloaded += c.offloaded;
        s->kv_offload->host_evictions += c.evictions;
        s->kv_offload->blocks_loaded += c.loads;
      }
    }
  }
  if (const Autoscaler* a = cluster.autoscaler()) {
    SummarizeAutoscaling(*a, scenario, requests, metrics.LastFinish(), s);
  }
  if (const CoverageLedger* ledger = models.front()->Coverage()) s->coverage = *ledger;
}

// The longest request (input + output) the deployment can ever serve: engine.max_model_len, and
// no more than one virtual engine of any pool holds. Scenario validation makes max_model_len fit;
// this keeps a request that could never be admitted out of the engines (it is counted in `failed`)
// for any scenario built without that validation.
int64_t MaxSequenceTokens(const Scenario& s) {
  int64_t len = s.engine.max_model_len;
  const SchedulerConfig& batching = s.engine.batching;
  if (!s.disaggregation) return std::min(len, SequenceKvTokens(s.memory, s.pp, batching));
  for (const PoolSpec* pool : {&s.disaggregation->prefill, &s.disaggregation->decode}) {
    len = std::min(len, SequenceKvTokens(pool->memory, pool->pp, batching));
  }
  return len;
}

RunResult Run(const Scenario& scenario, const std::vector<const StepModel*>& models,
              StepTraceSink* step_trace, const RunOptions& options) {
  RunResult result;
  Simulation sim;
  RequestGenerator generator(scenario.workload, scenario.seed);
  // Sized once when the bound is known: growing the table copies it and touches twice its
  // memory (page faults were about half of a 10,000-request run's time, docs/performance.md).
  // Untouched capacity costs no memory.
  if (const std::optional<int64_t> most = generator.MaxRequests(); most && *most <= kMaxReserve) {
    result.requests.reserve(static_cast<size_t>(*most));
  }
  Metrics metrics(&result.requests, Cluster::NumReplicas(scenario));
  Cluster cluster(scenario, models, &sim, &result.requests, &metrics, step_trace);
  cluster.SetFastForward(options.fast_forward);
  const SchedulerConfig& batching = scenario.engine.batching;
  const int64_t max_len = MaxSequenceTokens(scenario);
  const int64_t max_prompt_len = batching.enable_chunked_prefill
                                     ? max_len
                                     : std::min(max_len, batching.max_num_batched_tokens);
  WorkloadDriver driver(
      &sim, &generator, &result.requests, [&cluster](RequestId id) { cluster.Submit(id); }, max_len,
      max_prompt_len);
  int64_t finished = 0;
  metrics.SetOnFinish([&](RequestId id, SimTime now) {
    cluster.OnRequestDone(now);
    driver.OnRequestDone(id, now);
    if (options.on_progress && ++finished % options.progress_every == 0) {
      options.on_progress(finished);
    }
  });
  driver.SetOnMeasureStart([&metrics](SimTime t) { metrics.OnMeasureStart(t); });
  metrics.SetOnHandoff([&cluster](RequestId id) { cluster.OnPrefillDone(id); });
  cluster.Start();
  driver.Start();
  sim.Run();
  SERVESIM_CHECK(cluster.Idle());
  CheckConservation(result.requests, metrics);
  Summarize(scenario, models, cluster, metrics, sim, result.requests, &result.summary);
  result.events_inlined = sim.EventsInlined();
  return result;
}

}  // namespace

RunResult RunScenario(const Scenario& scenario, const StepModel& step_model,
                      StepTraceSink* step_trace, const RunOptions& options) {
  const size_t pools = scenario.disaggregation ? 2 : 1;
  return Run(scenario, std::vector<const StepModel*>(pools, &step_model), step_trace, options);
}

RunResult RunScenario(const Scenario& scenario, StepTraceSink* step_trace,
                      const RunOptions& options) {
  const std::vector<std::unique_ptr<StepModel>> owned = MakeStepModels(scenario);
  std::vector<const StepModel*> models;
  for (const auto& m : owned) models.push_back(m.get());
  return Run(scenario, models, step_trace, options);
}

}  // namespace servesim
