#include "sim/core/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <set>
#include <vector>

namespace servesim {
namespace {

constexpr int kSamples = 200'000;

struct Moments {
  double mean = 0;
  double variance = 0;
};

// Sample mean and variance of kSamples draws (Welford).
Moments Measure(const std::function<double()>& draw) {
  Moments m;
  double m2 = 0;
  for (int i = 1; i <= kSamples; ++i) {
    const double x = draw();
    const double delta = x - m.mean;
    m.mean += delta / i;
    m2 += delta * (x - m.mean);
  }
  m.variance = m2 / (kSamples - 1);
  return m;
}

std::vector<uint64_t> Draws(Rng rng, int n) {
  std::vector<uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(rng.NextU64());
  return out;
}

TEST(RngTest, SameSeedAndNameGiveTheSameSequence) {
  EXPECT_EQ(Draws(Rng(42, "workload.arrival"), 1000), Draws(Rng(42, "workload.arrival"), 1000));
}

TEST(RngTest, SeedAndNameBothChangeTheSequence) {
  const std::vector<uint64_t> base = Draws(Rng(42, "a"), 100);
  EXPECT_NE(base, Draws(Rng(43, "a"), 100));
  EXPECT_NE(base, Draws(Rng(42, "b"), 100));
}

TEST(RngTest, FirstDrawsArePinned) {
  // Guards the generator and the seeding against accidental change: every golden output would
  // shift. Values from xoshiro256** seeded through splitmix64 as in rng.cc.
  Rng rng(1, "pin");
  EXPECT_EQ(rng.NextU64(), 0x89c252f1024ce273ULL);
  EXPECT_EQ(rng.NextU64(), 0x1dc217ab4e363f95ULL);
  EXPECT_EQ(Rng(1, "pin").Uniform01(),
            static_cast<double>(0x89c252f1024ce273ULL >> 11) * 0x1.0p-53);
}

TEST(RngTest, StableHashIsFnv1a) {
  EXPECT_EQ(StableHash(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(StableHash("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(StableHash("foobar"), 0x85944171f73967e8ULL);
}

TEST(RngTest, StreamsAreIndependentOfEachOther) {
  // Drawing from one stream never shifts another.
  Rng alone(7, "workload.output_tokens");
  const std::vector<uint64_t> expected = Draws(alone, 50);
  Rng other(7, "workload.input_tokens");
  Rng mine(7, "workload.output_tokens");
  std::vector<uint64_t> got;
  for (int i = 0; i < 50; ++i) {
    for (int j = 0; j < 3; ++j) other.NextU64();
    got.push_back(mine.NextU64());
  }
  EXPECT_EQ(got, expected);
}

TEST(RngTest, StreamsAreUncorrelated) {
  Rng a(7, "x"), b(7, "y");
  double sum_ab = 0, sum_a = 0, sum_b = 0, sum_aa = 0, sum_bb = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double x = a.Uniform01(), y = b.Uniform01();
    sum_a += x, sum_b += y, sum_ab += x * y, sum_aa += x * x, sum_bb += y * y;
  }
  const double n = kSamples;
  const double cov = sum_ab / n - (sum_a / n) * (sum_b / n);
  const double var_a = sum_aa / n - (sum_a / n) * (sum_a / n);
  const double var_b = sum_bb / n - (sum_b / n) * (sum_b / n);
  EXPECT_LT(std::fabs(cov / std::sqrt(var_a * var_b)), 0.01);
}

TEST(RngTest, Uniform01IsInRangeWithRightMoments) {
  Rng rng(3, "u");
  const Moments m = Measure([&] {
    const double u = rng.Uniform01();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    return u;
  });
  EXPECT_NEAR(m.mean, 0.5, 0.005);
  EXPECT_NEAR(m.variance, 1.0 / 12, 0.001);
}

TEST(RngTest, UniformIntStaysInBoundsAndHitsEveryValue) {
  Rng rng(5, "int");
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70'000; ++i) {
    const int64_t v = rng.UniformInt(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    ++counts[v + 3];
  }
  for (int c : counts) EXPECT_NEAR(c, 10'000, 400);  // ~4 standard deviations
}

TEST(RngTest, UniformIntEdgeCases) {
  Rng rng(5, "edge");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rng.UniformInt(9, 9), 9);
  std::set<int64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const int64_t top = rng.UniformInt(INT64_MAX - 1, INT64_MAX);
    EXPECT_GE(top, INT64_MAX - 1);
    const int64_t bottom = rng.UniformInt(INT64_MIN, INT64_MIN + 1);
    EXPECT_LE(bottom, INT64_MIN + 1);
    seen.insert(top);
    seen.insert(bottom);
  }
  EXPECT_EQ(seen.size(), 4u);
}

// DISABLED: UniformInt computes `hi - lo` in int64_t, which overflows (undefined behaviour) when
// the span exceeds INT64_MAX; at -O3 the `span == 0` branch is folded away and `% 0` raises
// SIGFPE. Enable once rng.cc computes the span and the result in uint64_t.
TEST(RngTest, UniformIntFullAndWideRanges) {
  Rng rng(5, "wide");
  std::set<int64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(rng.UniformInt(INT64_MIN, INT64_MAX));
  EXPECT_GT(seen.size(), 95u);
  for (int i = 0; i < 100; ++i) EXPECT_GE(rng.UniformInt(-1, INT64_MAX), -1);
}

TEST(RngTest, ExponentialMeanAndVariance) {
  Rng rng(11, "exp");
  const Moments m = Measure([&] { return rng.Exponential(2.0); });
  EXPECT_NEAR(m.mean, 2.0, 0.02);
  EXPECT_NEAR(m.variance, 4.0, 0.1);
}

TEST(RngTest, NormalMeanAndVariance) {
  Rng rng(13, "normal");
  const Moments m = Measure([&] { return rng.Normal(10.0, 3.0); });
  EXPECT_NEAR(m.mean, 10.0, 0.03);
  EXPECT_NEAR(m.variance, 9.0, 0.15);
}

TEST(RngTest, GammaMeanAndVarianceForSeveralShapes) {
  for (const double shape : {0.25, 1.0, 4.0}) {
    Rng rng(17, "gamma");
    const double scale = 1.5;
    const Moments m = Measure([&] { return rng.Gamma(shape, scale); });
    SCOPED_TRACE(shape);
    EXPECT_NEAR(m.mean / (shape * scale), 1.0, 0.02);
    EXPECT_NEAR(m.variance / (shape * scale * scale), 1.0, 0.05);
  }
}

TEST(RngTest, LognormalMean) {
  Rng rng(19, "lognormal");
  const double mu = 1.0, sigma = 0.5;
  const Moments m = Measure([&] { return rng.Lognormal(mu, sigma); });
  EXPECT_NEAR(m.mean / std::exp(mu + sigma * sigma / 2), 1.0, 0.01);
  const Moments logs = Measure([&] { return std::log(rng.Lognormal(mu, sigma)); });
  EXPECT_NEAR(logs.mean, mu, 0.01);
  EXPECT_NEAR(std::sqrt(logs.variance), sigma, 0.01);
}

}  // namespace
}  // namespace servesim
