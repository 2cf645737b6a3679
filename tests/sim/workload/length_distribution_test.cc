#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

#include "sim/config/config_node.h"
#include "sim/config/input_error.h"
#include "sim/workload/workload.h"

namespace servesim {
namespace {

constexpr int kSamples = 50'000;

// Parses `workload: {input_tokens: <yaml>}` and returns the distribution.
std::unique_ptr<LengthDistribution> Parse(const std::string& yaml) {
  const ConfigNode root = ConfigNode::LoadString("input_tokens: " + yaml, "t.yaml");
  return ParseLengthDistribution(root.Child("input_tokens"));
}

std::string ErrorOf(const std::string& yaml) {
  try {
    Parse(yaml);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

double SampleMean(const LengthDistribution& dist, int64_t* lo = nullptr, int64_t* hi = nullptr) {
  Rng rng(1, "test");
  double sum = 0;
  int64_t min_seen = INT64_MAX, max_seen = INT64_MIN;
  for (int i = 0; i < kSamples; ++i) {
    const int64_t v = dist.Sample(rng);
    sum += static_cast<double>(v);
    min_seen = std::min(min_seen, v);
    max_seen = std::max(max_seen, v);
  }
  if (lo) *lo = min_seen;
  if (hi) *hi = max_seen;
  return sum / kSamples;
}

TEST(LengthDistributionTest, PlainIntegerIsFixed) {
  const auto dist = Parse("128");
  Rng rng(1, "x");
  EXPECT_EQ(dist->Sample(rng), 128);
  EXPECT_EQ(dist->Mean(), 128.0);
  EXPECT_EQ(dist->Describe(), "fixed 128");
}

TEST(LengthDistributionTest, UniformStaysInBoundsAndHitsBoth) {
  const auto dist = Parse("{dist: uniform, min: 64, max: 512}");
  int64_t lo = 0, hi = 0;
  const double mean = SampleMean(*dist, &lo, &hi);
  EXPECT_EQ(lo, 64);
  EXPECT_EQ(hi, 512);
  EXPECT_NEAR(mean, 288.0, 3.0);
  EXPECT_EQ(dist->Mean(), 288.0);
  EXPECT_EQ(dist->Describe(), "uniform [64, 512]");
}

TEST(LengthDistributionTest, NormalIsClippedAndRounded) {
  const auto dist = Parse("{dist: normal, mean: 100, std: 50, min: 80, max: 150}");
  int64_t lo = 0, hi = 0;
  const double mean = SampleMean(*dist, &lo, &hi);
  EXPECT_EQ(lo, 80);
  EXPECT_EQ(hi, 150);
  EXPECT_NEAR(mean, dist->Mean(), 0.5);  // Mean() is the clipped mean
  EXPECT_GT(dist->Mean(), 100.0);        // clipping at 80 lifts it more than 150 lowers it
}

TEST(LengthDistributionTest, NormalDefaultsToMinOne) {
  const auto dist = Parse("{dist: normal, mean: 2, std: 10}");
  int64_t lo = 0, hi = 0;
  SampleMean(*dist, &lo, &hi);
  EXPECT_EQ(lo, 1);
  EXPECT_EQ(dist->Describe(), "normal(mean 2, std 10) in [1, 1000000]");
}

TEST(LengthDistributionTest, LognormalMeanIsTheMeanInTokens) {
  const auto dist = Parse("{dist: lognormal, mean: 256, sigma: 0.8}");
  EXPECT_NEAR(dist->Mean(), 256.0, 0.01);  // the cap at 1e6 is far away
  EXPECT_NEAR(SampleMean(*dist), 256.0, 256.0 * 0.02);
}

TEST(LengthDistributionTest, LognormalClippedMeanMatchesSamples) {
  const auto dist = Parse("{dist: lognormal, mean: 256, sigma: 1.5, min: 16, max: 1024}");
  int64_t lo = 0, hi = 0;
  const double mean = SampleMean(*dist, &lo, &hi);
  EXPECT_EQ(lo, 16);
  EXPECT_EQ(hi, 1024);
  EXPECT_NEAR(mean, dist->Mean(), dist->Mean() * 0.02);
  EXPECT_LT(dist->Mean(), 256.0);
}

TEST(LengthDistributionTest, ZeroSpreadIsAConstant) {
  const auto dist = Parse("{dist: lognormal, mean: 300, sigma: 0}");
  Rng rng(1, "x");
  EXPECT_EQ(dist->Sample(rng), 300);
  EXPECT_EQ(dist->Mean(), 300.0);
}

TEST(LengthDistributionTest, Errors) {
  EXPECT_EQ(ErrorOf("0"), "t.yaml:1:15: input_tokens: must be in [1, 10000000], got 0");
  EXPECT_EQ(ErrorOf("12.5"), "t.yaml:1:15: input_tokens: expected an integer, got '12.5'");
  EXPECT_EQ(ErrorOf("[1, 2]"),
            "t.yaml:1:15: input_tokens: expected a token count or a mapping "
            "{dist: uniform|normal|lognormal, ...}, got a list");
  EXPECT_EQ(ErrorOf("{dist: norml, mean: 3}"),
            "t.yaml:1:22: input_tokens.dist: must be one of uniform, normal, lognormal, got "
            "'norml' (did you mean 'normal'?)");
  EXPECT_EQ(ErrorOf("{min: 3}"), "t.yaml:1:15: input_tokens.dist: missing required key");
  EXPECT_EQ(ErrorOf("{dist: uniform, min: 10, max: 5}"),
            "t.yaml:1:45: input_tokens.max: min (10) must be <= max (5)");
  EXPECT_EQ(ErrorOf("{dist: uniform, min: 10}"),
            "t.yaml:1:15: input_tokens.max: missing required key");
  EXPECT_EQ(ErrorOf("{dist: uniform, min: 1, max: 5, mean: 3}"),
            "t.yaml:1:47: input_tokens.mean: unknown key");
  EXPECT_EQ(ErrorOf("{dist: lognormal, mean: 100, std: 3}"),
            "t.yaml:1:44: input_tokens.std: unknown key");
  EXPECT_EQ(ErrorOf("{dist: normal, mean: 0, std: 3}"),
            "t.yaml:1:36: input_tokens.mean: must be in (0, 10000000], got 0");
  EXPECT_EQ(ErrorOf("{dist: normal, mean: 10, std: -1}"),
            "t.yaml:1:45: input_tokens.std: must be in [0, 10000000], got -1");
}

}  // namespace
}  // namespace servesim
