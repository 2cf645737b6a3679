// Projection carries each op's fitted efficiencies onto the target GPU's peaks: a point's time
// scales by fit_target / fit_source, so memory-bound ops follow the bandwidth ratio and
// compute-bound ones the FLOP/s ratio, while constant overheads stay.
#include "calibrate/projection.h"

#include <gtest/gtest.h>

#include "sim/config/input_error.h"
#include "tests/calibrate/synthetic_profile.h"
#include "tests/models/test_specs.h"

namespace servesim {
namespace {

using test_profiles::SyntheticProfile;
using test_profiles::TestPeaks;
using test_profiles::TinyModel;

TEST(ProjectionTest, PointsFollowTheTargetsRoofline) {
  const CalibrationProfile src = SyntheticProfile(TinyModel(), {});
  const HardwareSpec h100 = test_specs::H100();
  const CalibrationProfile p = ProjectProfile(src, "src.json", TinyModel(), h100);
  EXPECT_EQ(p.hardware, "h100-sxm-80gb");
  ASSERT_TRUE(p.projected.has_value());
  EXPECT_EQ(p.projected->source_profile, "src.json");
  EXPECT_EQ(p.projected->source_peaks.bytes_per_s, TestPeaks().bytes_per_s);
  EXPECT_EQ(p.peaks.bytes_per_s, h100.memory_bandwidth_bytes_per_s);
  EXPECT_EQ(p.peaks.gemm_flops_per_s, h100.peak_flops_bf16);
  EXPECT_TRUE(p.steps.empty());
  // other.rmsnorm at 512 tokens: const 5 us + 2 x bytes / bandwidth, on either GPU.
  const OpProfile& norm = *p.Find(CalOp::kRmsNorm);
  const double bytes = 3 * 512 * 256 * 2.0;
  EXPECT_DOUBLE_EQ(norm.points.back().time_s, 5e-6 + 2 * bytes / h100.memory_bandwidth_bytes_per_s);
  EXPECT_DOUBLE_EQ(norm.points.back().bytes, src.Find(CalOp::kRmsNorm)->points.back().bytes);
  // Fits (the efficiencies) are carried unchanged.
  EXPECT_EQ(norm.fit.pieces[0].coef, src.Find(CalOp::kRmsNorm)->fit.pieces[0].coef);
}

TEST(ProjectionTest, KeepsEachPointsDeviationFromTheFit) {
  CalibrationProfile src = SyntheticProfile(TinyModel(), {});
  src.ops[0].points[9].time_s *= 1.3;  // gemm.qkv at 512 tokens 30% above its fit
  const CalibrationProfile p = ProjectProfile(src, "src.json", TinyModel(), test_specs::H100());
  const CalibrationProfile base = ProjectProfile(SyntheticProfile(TinyModel(), {}), "src.json",
                                                 TinyModel(), test_specs::H100());
  EXPECT_DOUBLE_EQ(p.ops[0].points[9].time_s / base.ops[0].points[9].time_s, 1.3);
}

TEST(ProjectionTest, RefusesAPrecisionTheTargetLacks) {
  DeploymentShape fp8;
  fp8.weight_precision = Precision::kFp8;
  fp8.kv_precision = Precision::kFp8;
  HardwareSpec a100 = test_specs::H100();
  a100.name = "a100-sxm-80gb";
  a100.peak_flops_fp8 = 0;
  try {
    ProjectProfile(SyntheticProfile(TinyModel(), fp8), "src.json", TinyModel(), a100);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "--to: GPU 'a100-sxm-80gb' has no fp8 tensor cores; cannot project a fp8 "
                 "profile onto it");
  }
}

}  // namespace
}  // namespace servesim
