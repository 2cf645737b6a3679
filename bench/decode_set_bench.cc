// DecodeSet::Advance costs O(1) whatever the batch size: members join with long outputs, then
// the set advances one step per iteration (members that finish are replaced).
#include <benchmark/benchmark.h>

#include <vector>

#include "sim/serving/decode_set.h"

namespace servesim {
namespace {

void BM_DecodeSetAdvance(benchmark::State& state) {
  const int64_t batch = state.range(0);
  RequestTable table;
  table.reserve(static_cast<size_t>(batch) * 4);
  DecodeSet set(&table, 16);
  auto join = [&](int64_t output) {
    Request r;
    r.input_tokens = 100;
    r.output_tokens = static_cast<int32_t>(output);
    r.computed = 100;
    r.generated = 1;
    r.admit_seq = table.size() + 1;
    table.push_back(r);
    set.Add(static_cast<RequestId>(table.size() - 1));
  };
  for (int64_t i = 0; i < batch; ++i) join(1'000'000'000);
  std::vector<RequestId> finished;
  int64_t blocks = 0;
  for (auto _ : state) {
    blocks += set.NewBlocksNextStep();
    set.Advance(&finished);
    benchmark::DoNotOptimize(set.SumComputed());
  }
  benchmark::DoNotOptimize(blocks);
  state.SetItemsProcessed(state.iterations());  // steps
  state.counters["tokens_per_step"] = static_cast<double>(batch);
}
BENCHMARK(BM_DecodeSetAdvance)->Arg(1)->Arg(16)->Arg(256)->Arg(4096);

}  // namespace
}  // namespace servesim
