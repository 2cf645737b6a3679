// The least-squares fits recover known coefficients from synthetic data.
#include "calibrate/fit.h"

#include <gtest/gtest.h>

#include "sim/core/rng.h"
#include "tests/calibrate/synthetic_profile.h"

namespace servesim {
namespace {

using test_profiles::TestPeaks;
using test_profiles::TinyModel;

TEST(FitTest, RecoversExactCoefficients) {
  Rng rng(1, "fit");
  std::vector<Features> rows;
  std::vector<double> t;
  const Features truth = {3e-6, 1.7, 0.4};
  for (int i = 0; i < 30; ++i) {
    const Features f = {1, rng.Uniform(1e-6, 1e-3), rng.Uniform(1e-6, 1e-3)};
    rows.push_back(f);
    t.push_back(truth[0] + truth[1] * f[1] + truth[2] * f[2]);
  }
  const Features c = FitNonNegative(rows, t, 3);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(c[i] / truth[i], 1.0, 1e-9) << i;
}

TEST(FitTest, RecoversCoefficientsUnderNoise) {
  Rng rng(2, "fit");
  std::vector<Features> rows;
  std::vector<double> t;
  const Features truth = {8e-6, 1.25, 2.5};
  for (int i = 0; i < 200; ++i) {
    const Features f = {1, rng.Uniform(1e-6, 1e-4), rng.Uniform(1e-6, 1e-4)};
    rows.push_back(f);
    t.push_back((truth[0] + truth[1] * f[1] + truth[2] * f[2]) * rng.Uniform(0.99, 1.01));
  }
  const Features c = FitNonNegative(rows, t, 3);
  EXPECT_NEAR(c[1] / truth[1], 1.0, 0.02);
  EXPECT_NEAR(c[2] / truth[2], 1.0, 0.02);
  EXPECT_NEAR(c[0] / truth[0], 1.0, 0.2);
}

TEST(FitTest, CoefficientsStayNonNegative) {
  // Times fall with the second feature: an unconstrained fit would give it a negative slope.
  const std::vector<Features> rows = {{1, 1, 0}, {1, 2, 0}, {1, 3, 0}, {1, 4, 0}};
  const std::vector<double> t = {4, 3, 2, 1};
  const Features c = FitNonNegative(rows, t, 2);
  EXPECT_GE(c[0], 0);
  EXPECT_EQ(c[1], 0);
  EXPECT_GT(c[0], 1);
}

TEST(FitTest, GemmFitSplitsWhereTheEfficiencyChanges) {
  const ModelSpec m = TinyModel();
  const OpDims dims = OpDims::From(m, {});
  const Peaks peaks = TestPeaks();
  OpProfile op;
  op.op = CalOp::kGemmGateUp;
  // Efficiency 0.25 up to 64 tokens (memory-bound skinny GEMMs), 0.8 above; continuous at 64.
  const double f64 = FeaturesOf(op.op, WorkOf(op.op, dims, 64, 0), peaks)[1];
  for (double tokens : {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048}) {
    const Features f = FeaturesOf(op.op, WorkOf(op.op, dims, tokens, 0), peaks);
    const Features coef =
        tokens <= 64 ? Features{2e-6, 4, 0} : Features{2e-6 + 2.75 * f64, 1.25, 0};
    op.grid[0].push_back(tokens);
    op.points.push_back({{tokens, 0}, coef[0] + coef[1] * f[1], 0, 0, 0, {}});
  }
  const OpFit fit = FitOp(op, dims, peaks);
  ASSERT_EQ(fit.pieces.size(), 2u);
  EXPECT_EQ(fit.pieces[0].lo, 1);
  EXPECT_EQ(fit.pieces[0].hi, 64);
  EXPECT_EQ(fit.pieces[1].lo, 64);
  EXPECT_NEAR(fit.pieces[0].coef[1], 4, 1e-6);
  EXPECT_NEAR(fit.pieces[0].coef[0], 2e-6, 1e-12);
  EXPECT_NEAR(fit.pieces[1].coef[1], 1.25, 1e-6);
  EXPECT_LT(fit.max_rel_error, 1e-9);
}

TEST(FitTest, DecodeFitIsConstantPlusKvPlusSeqs) {
  const OpDims dims = OpDims::From(TinyModel(), {});
  const Peaks peaks = TestPeaks();
  OpProfile op;
  op.op = CalOp::kDecodeAttention;
  op.grid[0] = {1, 4, 16};
  op.grid[1] = {16, 128, 1024};
  // t = a + b x sum(KV) + c x seqs with known a, b, c (seconds per token and per sequence).
  const double a = 4e-6, b = 2e-9, c = 3e-7;
  for (double seqs : op.grid[0]) {
    for (double kv : op.grid[1]) {
      op.points.push_back({{seqs, kv}, a + b * seqs * kv + c * seqs, 0, 0, 0, {}});
    }
  }
  op.extra_points.push_back({{4, 300}, a + b * 1200 + c * 4, 0, 0, 0, {16, 100, 84, 1000}});
  const OpFit fit = FitOp(op, dims, peaks);
  ASSERT_EQ(fit.pieces.size(), 1u);
  // Features are bytes / bandwidth: convert the known per-token and per-seq costs.
  const double kv_bytes_per_token = 2 * dims.KvDim() * dims.kb;
  const double seq_bytes = 2 * dims.QDim() * dims.ab;
  EXPECT_NEAR(fit.pieces[0].coef[0], a, 1e-12);
  EXPECT_NEAR(fit.pieces[0].coef[1], b * peaks.bytes_per_s / kv_bytes_per_token, 1e-6);
  EXPECT_NEAR(fit.pieces[0].coef[2], c * peaks.bytes_per_s / seq_bytes, 1e-6);
  EXPECT_LT(fit.max_rel_error, 1e-9);
}

}  // namespace
}  // namespace servesim
