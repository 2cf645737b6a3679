// Scheduler step (plan + commit) of a steady decode batch of `batch` sequences: the general
// Plan/Commit (one event per step) against the O(1) plain-decode forms fast-forward uses.
#include <benchmark/benchmark.h>

#include <memory>

#include "sim/serving/scheduler.h"

namespace servesim {
namespace {

class NullObserver : public StepObserver {
 public:
  void OnFirstToken(RequestId, SimTime) override {}
  void OnTokenGaps(SimTime, int64_t) override {}
  void OnFinish(RequestId, SimTime) override {}
  void OnPreempt(RequestId, SimTime) override {}
};

// A scheduler whose `batch` requests have finished their prompts and decode (nearly) forever.
struct DecodingEngine {
  explicit DecodingEngine(int64_t batch) {
    SchedulerConfig c;
    c.max_num_seqs = batch;
    c.max_num_batched_tokens = std::max<int64_t>(8192, batch);
    c.num_blocks = 1 << 26;
    table.reserve(static_cast<size_t>(batch));
    scheduler = std::make_unique<Scheduler>(c, &table);
    for (int64_t i = 0; i < batch; ++i) {
      Request r;
      r.input_tokens = 64;
      r.output_tokens = 1'000'000'000;
      table.push_back(r);
      scheduler->Enqueue(static_cast<RequestId>(i));
    }
    while (scheduler->NumWaiting() > 0 || shape.prefills.size() > 0 || now == 0) Step(false);
  }
  void Step(bool plain) {
    if (!(plain && scheduler->PlanPlainDecode(&shape))) scheduler->Plan(now, &shape, &observer);
    now += 10'000'000;
    if (plain && scheduler->InFlightIsPlainDecode()) {
      scheduler->CommitPlainDecode(now, &observer);
    } else {
      scheduler->Commit(now, &observer);
    }
  }
  RequestTable table;
  std::unique_ptr<Scheduler> scheduler;
  NullObserver observer;
  BatchShape shape;
  SimTime now = 0;
};

void BM_SchedulerStep(benchmark::State& state) {
  DecodingEngine engine(state.range(0));
  const bool plain = state.range(1) != 0;
  for (auto _ : state) engine.Step(plain);
  state.SetItemsProcessed(state.iterations());  // steps
  state.SetLabel(plain ? "plain decode (fast-forward)" : "general Plan/Commit");
}
BENCHMARK(BM_SchedulerStep)->ArgsProduct({{1, 32, 256}, {0, 1}});

}  // namespace
}  // namespace servesim
