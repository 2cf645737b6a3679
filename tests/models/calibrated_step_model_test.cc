// CalibratedStepModel on a synthetic profile whose times follow known fits: measured points come
// back exactly, points between them are interpolated, points outside are extrapolated and
// reported in the coverage ledger, and ops the profile lacks fall back to the roofline.
#include "models/calibrated_step_model.h"

#include <gtest/gtest.h>

#include "tests/calibrate/synthetic_profile.h"
#include "tests/models/test_specs.h"

namespace servesim {
namespace {

using test_profiles::SyntheticProfile;
using test_profiles::TestPeaks;
using test_profiles::TinyModel;

CalibratedStepModel MakeModel(const CalibrationProfile& profile) {
  return CalibratedStepModel(TinyModel(), test_specs::H100(), {}, StepModelParams{}, profile);
}

double FitTime(CalOp op, double x0, double x1) {
  const OpDims d = OpDims::From(TinyModel(), {});
  const Features f = FeaturesOf(op, WorkOf(op, d, x0, x1), TestPeaks());
  const Features c = test_profiles::TestCoef(op);
  return c[0] * f[0] + c[1] * f[1] + c[2] * f[2];
}

TEST(CalibratedStepModelTest, GridPointsAreMeasuredAndBetweenThemInterpolated) {
  const CalibratedStepModel m = MakeModel(SyntheticProfile(TinyModel(), {}));
  OpPrice p = m.Price(CalOp::kGemmQkv, 64, 0);
  EXPECT_EQ(p.origin, PriceOrigin::kMeasured);
  EXPECT_DOUBLE_EQ(p.time_s, FitTime(CalOp::kGemmQkv, 64, 0));
  p = m.Price(CalOp::kGemmQkv, 100, 0);
  EXPECT_EQ(p.origin, PriceOrigin::kInterpolated);
  EXPECT_DOUBLE_EQ(p.time_s, FitTime(CalOp::kGemmQkv, 100, 0));
  p = m.Price(CalOp::kDecodeAttention, 5, 300);
  EXPECT_EQ(p.origin, PriceOrigin::kInterpolated);
  EXPECT_DOUBLE_EQ(p.time_s, FitTime(CalOp::kDecodeAttention, 5, 300));
  EXPECT_EQ(m.Price(CalOp::kPrefillAttention, 16, 128).origin, PriceOrigin::kMeasured);
}

TEST(CalibratedStepModelTest, InterpolationPassesThroughEveryMeasurement) {
  CalibrationProfile profile = SyntheticProfile(TinyModel(), {});
  profile.ops[0].points[6].time_s *= 1.2;  // gemm.qkv at 64 tokens measured 20% above the fit
  const CalibratedStepModel m = MakeModel(profile);
  EXPECT_DOUBLE_EQ(m.Price(CalOp::kGemmQkv, 64, 0).time_s, 1.2 * FitTime(CalOp::kGemmQkv, 64, 0));
  // Halfway to 128 the ratio is halfway between 1.2 and 1.
  EXPECT_NEAR(m.Price(CalOp::kGemmQkv, 96, 0).time_s / FitTime(CalOp::kGemmQkv, 96, 0), 1.1, 1e-12);
  EXPECT_DOUBLE_EQ(m.Price(CalOp::kGemmQkv, 128, 0).time_s, FitTime(CalOp::kGemmQkv, 128, 0));
}

TEST(CalibratedStepModelTest, InRangeBatchesAreFullyCovered) {
  const CalibratedStepModel m = MakeModel(SyntheticProfile(TinyModel(), {}));
  BatchShape b;
  b.decode_seqs = 8;
  b.decode_context_tokens = 8 * 200;
  b.prefills = {{100, 50, true}};
  const StepCost c = m.Cost(b);
  EXPECT_DOUBLE_EQ(c.duration_s, c.breakdown.Total());
  EXPECT_GT(c.breakdown.gemm_s, 0);
  EXPECT_GT(c.breakdown.attention_s, 0);
  EXPECT_GT(c.breakdown.other_s, 0);
  const CoverageLedger& l = *m.Coverage();
  EXPECT_EQ(l.extrapolated_s + l.roofline_s, 0);
  EXPECT_NEAR(l.Total(), c.duration_s - c.breakdown.host_s, 1e-15);
  EXPECT_TRUE(l.worst.empty());
}

TEST(CalibratedStepModelTest, ExtrapolatedBatchesAreReportedAsSuch) {
  const CalibratedStepModel m = MakeModel(SyntheticProfile(TinyModel(), {}));
  BatchShape b;
  b.prefills = {{2048, 0, true}};  // beyond 512 tokens and 256-token chunks
  m.Cost(b);
  const CoverageLedger& l = *m.Coverage();
  EXPECT_GT(l.extrapolated_s, 0.5 * l.Total());
  ASSERT_FALSE(l.worst.empty());
  EXPECT_EQ(l.worst[0].op, "attention.prefill");
  EXPECT_EQ(l.worst[0].point,
            "chunk_tokens=2048 (measured 1..256), context_tokens=0 (measured 0..512)");
  EXPECT_DOUBLE_EQ(l.worst[0].factor, 8);
  EXPECT_EQ(l.worst[1].factor, 4);  // tokens 2048 over a grid up to 512
  // Outside the grid the fitted model continues (the synthetic ratio is 1 everywhere).
  EXPECT_DOUBLE_EQ(m.Price(CalOp::kGemmQkv, 2048, 0).time_s, FitTime(CalOp::kGemmQkv, 2048, 0));
}

TEST(CalibratedStepModelTest, OpsMissingFromTheProfileUseTheRoofline) {
  CalibrationProfile profile = SyntheticProfile(TinyModel(), {});
  profile.ops.erase(profile.ops.begin() + 5);  // other.embedding
  const CalibratedStepModel m = MakeModel(profile);
  EXPECT_EQ(m.Price(CalOp::kEmbedding, 8, 0).origin, PriceOrigin::kRoofline);
  BatchShape b;
  b.decode_seqs = 4;
  b.decode_context_tokens = 400;
  m.Cost(b);
  EXPECT_GT(m.Coverage()->roofline_s, 0);
  EXPECT_EQ(m.Coverage()->extrapolated_s, 0);
}

}  // namespace
}  // namespace servesim
