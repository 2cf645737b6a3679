// Deterministic random streams. One run seed; each entity draws from its own stream derived from
// (seed, stable name), so adding a stream never shifts another. Distributions are our own code:
// std:: distributions differ between standard libraries and would break byte-identical output.
#pragma once

#include <cstdint>
#include <string_view>

namespace servesim {

// xoshiro256** (Blackman & Vigna, 2018), seeded through splitmix64.
class Rng {
 public:
  Rng(uint64_t seed, std::string_view stream_name);

  uint64_t NextU64();
  // Uniform in [0, 1) with 53 random bits.
  double Uniform01();
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform01(); }
  // Uniform integer in [lo, hi], both inclusive. REQUIRES: lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi);
  // Exponential with the given mean. REQUIRES: mean > 0.
  double Exponential(double mean);
  // Normal(mean, stddev) by the Box-Muller transform (no cached second value: stateless draws).
  double Normal(double mean, double stddev);
  // Gamma(shape, scale) by Marsaglia & Tsang (2000); shape < 1 via the boost u^(1/shape).
  double Gamma(double shape, double scale);
  // exp(Normal(mu, sigma)).
  double Lognormal(double mu, double sigma);

 private:
  uint64_t s_[4];
};

// 64-bit FNV-1a of a name; used to derive stream seeds.
uint64_t StableHash(std::string_view s);

}  // namespace servesim
