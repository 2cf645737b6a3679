// HostLoadStepModel: loads from host memory priced as bytes / one direction of the host link,
// overlapped layer by layer with the step's compute (only the first layer's share and what
// exceeds the compute are exposed).
#include "models/host_load_step_model.h"

#include <gtest/gtest.h>

#include <memory>

namespace servesim {
namespace {

// A step of 10 ms of GPU time plus 1 ms of host work, whatever the batch.
class FixedStepModel : public StepModel {
 public:
  StepCost Cost(const BatchShape&) const override {
    StepCost c;
    c.breakdown.gemm_s = 10e-3;
    c.breakdown.host_s = 1e-3;
    c.last_stage_s = 10e-3;
    c.duration_s = c.breakdown.Total();
    return c;
  }
};

BatchShape Loading(int64_t tokens) {
  BatchShape b;
  b.prefills.push_back({16, tokens, true});
  b.host_load_tokens = tokens;
  return b;
}

// 1 MB per token over 1 GB/s: 1 ms per token; 10 layers.
HostLoadStepModel Model(StepModelParams p = {}) {
  return HostLoadStepModel(std::make_unique<FixedStepModel>(), 1e6, 1e9, 10, p);
}

TEST(HostLoadStepModelTest, NoLoadLeavesTheStepAlone) {
  const StepCost c = Model().Cost(Loading(0));
  EXPECT_DOUBLE_EQ(c.duration_s, 11e-3);
  EXPECT_EQ(c.breakdown.kv_load_s, 0);
  EXPECT_EQ(c.kv_load_transfer_s, 0);
}

TEST(HostLoadStepModelTest, ALoadShorterThanComputeExposesItsFirstLayer) {
  const StepCost c = Model().Cost(Loading(4));  // 4 ms of loads under 10 ms of compute
  EXPECT_DOUBLE_EQ(c.kv_load_transfer_s, 4e-3);
  EXPECT_DOUBLE_EQ(c.breakdown.kv_load_s, 0.4e-3);
  EXPECT_DOUBLE_EQ(c.duration_s, 11.4e-3);
  EXPECT_DOUBLE_EQ(c.last_stage_s, 10.4e-3);
}

TEST(HostLoadStepModelTest, ALoadLongerThanComputeSetsTheStepTime) {
  const StepCost c = Model().Cost(Loading(30));  // max(10, 30) + 30 / 10 layers, plus host
  EXPECT_DOUBLE_EQ(c.breakdown.kv_load_s, 20e-3 + 3e-3);
  EXPECT_DOUBLE_EQ(c.duration_s, 1e-3 + 33e-3);
}

TEST(HostLoadStepModelTest, OverlappedHostWorkHidesBehindTheLongerStep) {
  StepModelParams p;
  p.overlap_host = true;
  const StepCost c = Model(p).Cost(Loading(4));
  EXPECT_DOUBLE_EQ(c.breakdown.host_s, 0.6e-3);  // 1 ms of host work, 0.4 ms more GPU time
  EXPECT_DOUBLE_EQ(c.duration_s, 11e-3);
}

}  // namespace
}  // namespace servesim
