// GPU tests (ctest label `gpu`): every CUDA kernel passes its reference check on the tiny test
// model, a small calibration runs end to end, and fp8 GEMMs and NCCL collectives where the
// machine has them. Each test skips when no CUDA device is visible.
#include "calibrate/cuda/cuda_backend.h"

#include <gtest/gtest.h>

#include "calibrate/harness.h"
#include "sim/config/zoo.h"

namespace servesim {
namespace {

class CudaBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device";
    model_ = LoadModelFile(ConfigRoot() + "/test-models/tiny-llama-test.yaml");
  }
  std::unique_ptr<Backend> Make(const DeploymentShape& shape) {
    return MakeCudaBackend(KernelDimsOf(model_, shape, 16), Timing{1, 3}, 3, 0);
  }
  ModelSpec model_;
};

TEST_F(CudaBackendTest, EveryKernelMatchesItsReference) {
  for (Precision p : {Precision::kBf16, Precision::kFp16}) {
    DeploymentShape shape;
    shape.weight_precision = shape.activation_precision = shape.kv_precision = p;
    const std::unique_ptr<Backend> b = Make(shape);
    for (CalOp op : {CalOp::kGemmQkv, CalOp::kGemmO, CalOp::kGemmGateUp, CalOp::kGemmDown,
                     CalOp::kGemmLmHead}) {
      for (int64_t rows : {1, 17, 300}) EXPECT_LE(b->Gemm(op, rows).check_error, b->Tolerance(op));
    }
    for (auto [c, ctx] : {std::pair{1, 0}, {33, 0}, {70, 100}, {200, 37}}) {
      EXPECT_LE(b->PrefillAttention(c, ctx).check_error, b->Tolerance(CalOp::kPrefillAttention))
          << c << " " << ctx;
    }
    for (const std::vector<int64_t>& lens : {std::vector<int64_t>{1}, {16, 17, 300, 5}}) {
      EXPECT_LE(b->DecodeAttention(lens).check_error, b->Tolerance(CalOp::kDecodeAttention));
    }
    for (CalOp op : {CalOp::kEmbedding, CalOp::kRmsNorm, CalOp::kRotary, CalOp::kSiluMul,
                     CalOp::kKvWrite, CalOp::kSampling}) {
      EXPECT_LE(b->Elementwise(op, 37).check_error, b->Tolerance(op)) << OpInfo(op).name;
    }
    EXPECT_EQ(b->Copy(int64_t{64} << 20).check_error, 0);
    EXPECT_GT(b->Step({64, 4, 100, 2}).time_s, 0);
  }
}

TEST_F(CudaBackendTest, SmallCalibrationRunsEndToEnd) {
  CalibrationRequest r;
  r.model = model_;
  r.grid = CalibrationGrid::Tiny();
  r.command_line = "gpu test";
  const std::unique_ptr<Backend> b = Make(r.shape);
  const CalibrationProfile p = RunCalibration(r, *b, nullptr);
  EXPECT_EQ(p.backend, "cuda");
  EXPECT_EQ(p.provenance.device_kind, "gpu");
  EXPECT_GT(p.provenance.compute_units, 0);
  EXPECT_FALSE(p.steps.empty());
}

TEST_F(CudaBackendTest, Fp8GemmsWhereSupported) {
  DeploymentShape shape;
  shape.weight_precision = Precision::kFp8;
  shape.kv_precision = Precision::kBf16;
  std::unique_ptr<Backend> b;
  try {
    b = Make(shape);
  } catch (const CalibrationError& e) {
    GTEST_SKIP() << e.what();
  }
  EXPECT_LE(b->Gemm(CalOp::kGemmGateUp, 64).check_error, b->Tolerance(CalOp::kGemmGateUp));
}

TEST_F(CudaBackendTest, CollectivesWithTwoOrMoreGpus) {
  const std::unique_ptr<Backend> b = Make({});
  if (!b->HasCollectives()) GTEST_SKIP() << "fewer than two GPUs or no NCCL";
  EXPECT_GT(b->Collective(CalOp::kAllReduce, 1 << 20).time_s, 0);
  EXPECT_GT(b->Collective(CalOp::kAllGather, 1 << 20).time_s, 0);
}

}  // namespace
}  // namespace servesim
