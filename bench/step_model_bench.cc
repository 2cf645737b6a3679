// StepModel::Cost for the shapes a run prices most: a pure decode step (every step of a
// fast-forwarded run) and a mixed step with prefill chunks. Llama-3.1-8B on one H100, and on a
// TP=4 group (collectives priced).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "sim/config/scenario.h"
#include "sim/step_model_factory.h"

namespace servesim {
namespace {

std::unique_ptr<StepModel> ModelFor(const std::string& tp) {
  const Scenario s =
      LoadScenario(std::string(SERVESIM_SOURCE_DIR) + "/configs/scenarios/default.yaml",
                   {"hardware.num_gpus=" + tp, "parallel.tp=" + tp});
  return std::move(MakeStepModels(s).front());
}

void BM_StepModelDecode(benchmark::State& state) {
  const std::unique_ptr<StepModel> model = ModelFor(std::to_string(state.range(0)));
  BatchShape batch;
  batch.decode_seqs = 32;
  batch.decode_context_tokens = 32 * 1500;
  for (auto _ : state) {
    batch.decode_context_tokens += batch.decode_seqs;  // context grows every step
    benchmark::DoNotOptimize(model->Cost(batch));
  }
  state.SetItemsProcessed(state.iterations());  // steps priced
}
BENCHMARK(BM_StepModelDecode)->Arg(1)->Arg(4);

void BM_StepModelMixed(benchmark::State& state) {
  const std::unique_ptr<StepModel> model = ModelFor(std::to_string(state.range(0)));
  BatchShape batch;
  batch.decode_seqs = 32;
  batch.decode_context_tokens = 32 * 1500;
  batch.prefills = {{512, 0, false}, {1024, 2048, true}};
  for (auto _ : state) benchmark::DoNotOptimize(model->Cost(batch));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StepModelMixed)->Arg(1)->Arg(4);

}  // namespace
}  // namespace servesim
