// Error statistics on hand-made numbers.
#include "sim/validation/error_stats.h"

#include <gtest/gtest.h>

namespace servesim {
namespace {

TEST(ValidationErrorStatsTest, RelativeErrorSign) {
  EXPECT_DOUBLE_EQ(RelativeError(110, 100), 0.10);
  EXPECT_DOUBLE_EQ(RelativeError(80, 100), -0.20);
}

TEST(ValidationErrorStatsTest, QuantileInterpolatesLinearly) {
  EXPECT_DOUBLE_EQ(Quantile({3, 1, 2}, 0.5), 2);
  EXPECT_DOUBLE_EQ(Quantile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(Quantile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0.9), 10);
  EXPECT_DOUBLE_EQ(Quantile({0, 10}, 0.9), 9);
  EXPECT_DOUBLE_EQ(Quantile({7}, 0.9), 7);
}

TEST(ValidationErrorStatsTest, SummaryOfSignedErrors) {
  // |e| = 0.05, 0.10, 0.20, 0.02, 0.30 -> sorted 0.02 0.05 0.10 0.20 0.30.
  const ErrorStats s = ComputeErrorStats({-0.05, 0.10, -0.20, 0.02, 0.30});
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.median_abs, 0.10);
  EXPECT_NEAR(s.p90_abs, 0.26, 1e-12);  // position 3.6 between 0.20 and 0.30
  EXPECT_DOUBLE_EQ(s.max_abs, 0.30);
  EXPECT_DOUBLE_EQ(s.bias, 0.02);  // signed sorted: -0.20 -0.05 0.02 0.10 0.30
}

TEST(ValidationErrorStatsTest, EmptyIsZero) {
  const ErrorStats s = ComputeErrorStats({});
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.median_abs, 0);
}

}  // namespace
}  // namespace servesim
