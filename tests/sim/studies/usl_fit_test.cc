// USL fit: recovers known parameters from exact and noisy synthetic curves, respects sigma,
// kappa >= 0, and refuses too few points.
#include "sim/studies/usl_fit.h"

#include <gtest/gtest.h>

#include <cmath>

namespace servesim {
namespace {

std::vector<std::pair<double, double>> Curve(const UslParams& p, std::vector<double> noise = {}) {
  std::vector<std::pair<double, double>> pts;
  const double ns[] = {1, 2, 4, 8, 16, 32, 64};
  for (size_t i = 0; i < std::size(ns); ++i) {
    const double e = i < noise.size() ? noise[i] : 0.0;
    pts.emplace_back(ns[i], UslThroughput(p, ns[i]) * (1 + e));
  }
  return pts;
}

TEST(UslFitTest, RecoversKnownParametersFromAnExactCurve) {
  for (const UslParams truth : {UslParams{100, 0.03, 2e-4}, UslParams{7.5, 0.2, 0.0},
                                UslParams{18.4, 0.0, 1e-3}, UslParams{50, 0.0, 0.0}}) {
    const std::optional<UslFit> fit = FitUsl(Curve(truth));
    ASSERT_TRUE(fit.has_value());
    EXPECT_NEAR(fit->params.lambda, truth.lambda, 1e-6 * truth.lambda);
    EXPECT_NEAR(fit->params.sigma, truth.sigma, 1e-6);
    EXPECT_NEAR(fit->params.kappa, truth.kappa, 1e-8);
    EXPECT_GT(fit->r_squared, 1 - 1e-9);
    EXPECT_LT(fit->rms_relative_error, 1e-6);
    EXPECT_EQ(fit->num_points, 7);
  }
}

TEST(UslFitTest, NoisyCurveStaysCloseAndParametersStayNonNegative) {
  const UslParams truth{100, 0.05, 5e-4};
  const std::optional<UslFit> fit =
      FitUsl(Curve(truth, {0.02, -0.015, 0.01, -0.02, 0.015, -0.01, 0.02}));
  ASSERT_TRUE(fit.has_value());
  EXPECT_NEAR(fit->params.lambda, truth.lambda, 5);
  EXPECT_NEAR(fit->params.sigma, truth.sigma, 0.03);
  EXPECT_NEAR(fit->params.kappa, truth.kappa, 3e-4);
  EXPECT_GT(fit->r_squared, 0.99);
  // Superlinear data (more than N x lambda) would need sigma < 0: held at the bound instead.
  const std::optional<UslFit> super = FitUsl({{1, 10}, {2, 21}, {4, 44}, {8, 92}});
  ASSERT_TRUE(super.has_value());
  EXPECT_EQ(super->params.sigma, 0.0);
  EXPECT_EQ(super->params.kappa, 0.0);
  EXPECT_GT(super->params.lambda, 10.0);
}

TEST(UslFitTest, PeakAndTooFewPoints) {
  EXPECT_NEAR(*UslPeak({1, 0.0, 1e-2}), 10.0, 1e-12);
  EXPECT_FALSE(UslPeak({1, 0.1, 0.0}).has_value());
  EXPECT_FALSE(FitUsl({{1, 10}, {2, 19}}).has_value());
  EXPECT_FALSE(FitUsl({{1, 10}, {2, 19}, {2, 19.5}}).has_value());
  EXPECT_DOUBLE_EQ(UslThroughput({10, 0.1, 0.01}, 1), 10.0);
}

}  // namespace
}  // namespace servesim
