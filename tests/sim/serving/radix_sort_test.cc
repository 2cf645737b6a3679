#include "sim/serving/radix_sort.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "sim/core/rng.h"

namespace servesim {
namespace {

TEST(RadixSortTest, NonNegativeDoublesSortExactlyLikeStdSort) {
  for (const size_t n : {size_t{0}, size_t{5}, size_t{4095}, size_t{100000}}) {
    Rng rng(n, "radix_sort_test");
    std::vector<double> v(n);
    for (double& x : v) {
      const int64_t kind = rng.UniformInt(0, 9);
      x = kind == 0 ? 0.0 : kind == 1 ? 1e-300 * rng.Uniform01() : rng.Exponential(50.0);
      if (kind == 2) x = static_cast<double>(rng.UniformInt(0, 20));  // many ties
    }
    std::vector<double> expected = v;
    std::sort(expected.begin(), expected.end());
    SortNonNegative(&v);
    EXPECT_EQ(v, expected) << n;
  }
}

TEST(RadixSortTest, SortsByTheHighBytesOnlyAndStably) {
  Rng rng(1, "radix_sort_bytes");
  std::vector<uint64_t> words(50000);
  for (uint64_t& w : words)
    w = static_cast<uint64_t>(rng.UniformInt(0, 1000)) << 24 | rng.UniformInt(0, 255);
  std::vector<uint64_t> expected = words;
  std::stable_sort(expected.begin(), expected.end(),
                   [](uint64_t a, uint64_t b) { return (a >> 24) < (b >> 24); });
  RadixSortBytes(&words, 3);
  EXPECT_EQ(words, expected);
}

TEST(RadixSortDeathTest, NegativeZeroIsRefused) {
  std::vector<double> v(5000, 1.0);
  v[17] = -0.0;
  EXPECT_DEATH(SortNonNegative(&v), "check failed");
}

}  // namespace
}  // namespace servesim
