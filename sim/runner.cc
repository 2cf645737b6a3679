#include "sim/runner.h"

#include <algorithm>
#include <optional>

#include "sim/core/check.h"
#include "sim/core/simulation.h"
#include "sim/serving/metrics.h"
#include "sim/serving/replica.h"
#include "sim/serving/router.h"
#include "sim/step_model_factory.h"
#include "sim/workload/workload.h"

namespace servesim {
namespace {

// Turns the workload's requests into arrival events and hands them to the replica. Open loop:
// one pending arrival at a time (the trace is streamed). Closed loop: a new request each time
// one finishes.
class WorkloadDriver : public EventHandler {
 public:
  WorkloadDriver(Simulation* sim, RequestGenerator* gen, RequestTable* table,
                 const std::vector<std::unique_ptr<Replica>>* replicas, Router* router,
                 int64_t max_model_len, int64_t max_prompt_len)
      : sim_(sim),
        gen_(gen),
        table_(table),
        replicas_(replicas),
        router_(router),
        max_model_len_(max_model_len),
        max_prompt_len_(max_prompt_len) {}

  void Start() {
    if (gen_->config().ClosedLoop()) {
      for (int64_t i = 0; i < gen_->config().concurrency; ++i) IssueClosedLoop(0, false);
      return;
    }
    pending_ = gen_->NextArrival();
    if (pending_) sim_->ScheduleAt(pending_->arrival, this, kOpenLoop);
  }

  // Called when request `id` leaves the system (finished or rejected).
  void OnRequestDone(SimTime now) {
    if (gen_->config().ClosedLoop()) IssueClosedLoop(now, true);
  }

  void OnEvent(SimTime now, uint64_t payload) override {
    if (payload != kOpenLoop) {
      Admit(static_cast<RequestId>(payload - kFirstId), now);
      return;
    }
    // Admit every request that arrives at this instant, then wait for the next one.
    while (pending_ && pending_->arrival == now) {
      Admit(NewRequest(*pending_), now);
      pending_ = gen_->NextArrival();
    }
    if (pending_) {
      SERVESIM_CHECK(pending_->arrival > now);
      sim_->ScheduleAt(pending_->arrival, this, kOpenLoop);
    }
  }

 private:
  static constexpr uint64_t kOpenLoop = 0;
  static constexpr uint64_t kFirstId = 1;  // closed-loop payloads are id + 1

  RequestId NewRequest(const RequestSpec& spec) {
    Request r;
    r.arrival = spec.arrival;
    r.input_tokens = spec.input_tokens;
    r.output_tokens = spec.output_tokens;
    r.session = spec.session;
    table_->push_back(r);
    return static_cast<RequestId>(table_->size() - 1);
  }

  void IssueClosedLoop(SimTime now, bool after_completion) {
    const std::optional<RequestSpec> spec = gen_->NextClosedLoop(now, after_completion);
    if (!spec) return;
    const RequestId id = NewRequest(*spec);
    sim_->ScheduleAt(spec->arrival, this, static_cast<uint64_t>(id) + kFirstId);
  }

  void Admit(RequestId id, SimTime now) {
    Request& r = (*table_)[id];
    // Like vLLM, a request whose prompt plus max_tokens exceeds max_model_len is refused; like
    // TensorRT-LLM without chunked context, so is a prompt longer than the token budget.
    if (r.input_tokens + r.output_tokens > max_model_len_ || r.input_tokens > max_prompt_len_) {
      r.rejected = true;
      OnRequestDone(now);
      return;
    }
    const size_t target = router_->Route(r, *replicas_);
    r.replica = static_cast<int32_t>(target);
    (*replicas_)[target]->Submit(id);
  }

  Simulation* sim_;
  RequestGenerator* gen_;
  RequestTable* table_;
  const std::vector<std::unique_ptr<Replica>>* replicas_;
  Router* router_;
  int64_t max_model_len_;
  int64_t max_prompt_len_;
  std::optional<RequestSpec> pending_;
};

// Every request finished exactly once with exactly its output tokens, or was rejected.
void CheckConservation(const RequestTable& table, const Metrics& metrics) {
  int64_t finished = 0;
  for (const Request& r : table) {
    if (r.rejected) {
      SERVESIM_CHECK(r.finish < 0 && r.generated == 0);
      continue;
    }
    SERVESIM_CHECK(r.finish >= r.first_token && r.first_token > r.arrival);
    SERVESIM_CHECK(r.generated == r.output_tokens && !r.in_decode_set && r.blocks == 0);
    ++finished;
  }
  SERVESIM_CHECK(finished == metrics.Completed());
}

void Summarize(const Scenario& scenario, const StepModel& step_model, const Metrics& metrics,
               const Simulation& sim, Summary* s) {
  s->scenario = scenario.name;
  s->model = scenario.model.name;
  s->gpu = scenario.hardware.name;
  s->num_gpus = scenario.num_gpus;
  s->num_replicas = scenario.replicas;
  s->tp = scenario.engine.shape.tp;
  s->pp = scenario.pp;
  s->router = scenario.router;
  s->scheduler = scenario.engine.scheduler;
  s->seed = scenario.seed;
  s->kv_cache_blocks = scenario.memory.num_kv_blocks;
  s->kv_cache_tokens = scenario.memory.kv_capacity_tokens;
  s->events = sim.EventsProcessed();
  Metrics::Capacity capacity;
  capacity.peak_flops_per_gpu = scenario.hardware.PeakFlops(scenario.engine.shape.weight_precision);
  capacity.bandwidth_bytes_per_s_per_gpu = scenario.hardware.memory_bandwidth_bytes_per_s;
  capacity.num_gpus = scenario.num_gpus;
  capacity.pp = scenario.pp;
  metrics.Summarize({scenario.slo.ttft_ms, scenario.slo.tpot_ms}, capacity, s);
  if (const CoverageLedger* ledger = step_model.Coverage()) s->coverage = *ledger;
}

}  // namespace

RunResult RunScenario(const Scenario& scenario, const StepModel& step_model,
                      StepTraceSink* step_trace) {
  RunResult result;
  Simulation sim;
  RequestGenerator generator(scenario.workload, scenario.seed);
  Metrics metrics(&result.requests, static_cast<int>(scenario.replicas));
  std::vector<std::unique_ptr<Replica>> replicas;
  for (int64_t i = 0; i < scenario.replicas; ++i) {
    replicas.push_back(std::make_unique<Replica>(static_cast<int>(i), &sim,
                                                 scenario.engine.batching, scenario.pp,
                                                 &result.requests, &step_model, &metrics));
    replicas.back()->SetStepTrace(step_trace);
  }
  Router router(ParseRouterPolicy(scenario.router), scenario.seed);
  const SchedulerConfig& batching = scenario.engine.batching;
  const int64_t max_prompt_len =
      batching.enable_chunked_prefill
          ? scenario.engine.max_model_len
          : std::min(scenario.engine.max_model_len, batching.max_num_batched_tokens);
  WorkloadDriver driver(&sim, &generator, &result.requests, &replicas, &router,
                        scenario.engine.max_model_len, max_prompt_len);
  metrics.SetOnFinish([&driver](RequestId, SimTime now) { driver.OnRequestDone(now); });
  driver.Start();
  sim.Run();
  for (const auto& r : replicas) SERVESIM_CHECK(r->Idle() && r->KvBlocksUsed() == 0);
  CheckConservation(result.requests, metrics);
  Summarize(scenario, step_model, metrics, sim, &result.summary);
  return result;
}

RunResult RunScenario(const Scenario& scenario) {
  const std::unique_ptr<StepModel> model = MakeStepModel(scenario);
  return RunScenario(scenario, *model);
}

}  // namespace servesim
