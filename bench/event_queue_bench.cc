// EventQueue: one pop and one push per iteration with `pending` events in the heap, the steady
// state of a run (each replica has one step in flight, plus the next arrival).
#include <benchmark/benchmark.h>

#include "sim/core/event_queue.h"
#include "sim/core/rng.h"

namespace servesim {
namespace {

class NullHandler : public EventHandler {
 public:
  void OnEvent(SimTime, uint64_t) override {}
};

void BM_EventQueuePopPush(benchmark::State& state) {
  NullHandler handler;
  EventQueue queue;
  Rng rng(1, "bench");
  for (int64_t i = 0; i < state.range(0); ++i)
    queue.Push(rng.UniformInt(0, 10'000'000), &handler, 0);
  for (auto _ : state) {
    const Event e = queue.Pop();
    queue.Push(e.time + 5'000'000 + static_cast<SimTime>(e.seq % 1024), &handler, 0);
  }
  state.SetItemsProcessed(state.iterations());  // events
}
BENCHMARK(BM_EventQueuePopPush)->Arg(2)->Arg(9)->Arg(64)->Arg(1024);

}  // namespace
}  // namespace servesim
