// Token-length distributions for workload.input_tokens / workload.output_tokens: fixed, uniform,
// normal and lognormal (the last two clipped to [min, max] and rounded to the nearest integer).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "sim/config/input_error.h"
#include "sim/workload/workload.h"

namespace servesim {
namespace {

// Largest length a config may name, and the default `max` of normal/lognormal.
constexpr double kMaxLengthTokens = 10'000'000;
constexpr int64_t kDefaultMaxTokens = 1'000'000;

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double NormalPdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi); }

int64_t ClipRound(double x, int64_t lo, int64_t hi) {
  const double clipped = std::clamp(x, static_cast<double>(lo), static_cast<double>(hi));
  return std::llround(clipped);
}

class FixedLength : public LengthDistribution {
 public:
  explicit FixedLength(int64_t tokens) : tokens_(tokens) {}
  int64_t Sample(Rng&) const override { return tokens_; }
  double Mean() const override { return static_cast<double>(tokens_); }
  int64_t Min() const override { return tokens_; }
  std::string Describe() const override { return fmt::format("fixed {}", tokens_); }

 private:
  int64_t tokens_;
};

class UniformLength : public LengthDistribution {
 public:
  UniformLength(int64_t lo, int64_t hi) : lo_(lo), hi_(hi) {}
  int64_t Sample(Rng& rng) const override { return rng.UniformInt(lo_, hi_); }
  double Mean() const override { return 0.5 * static_cast<double>(lo_ + hi_); }
  int64_t Min() const override { return lo_; }
  std::string Describe() const override { return fmt::format("uniform [{}, {}]", lo_, hi_); }

 private:
  int64_t lo_, hi_;
};

// Normal(mean, std) clipped to [lo, hi]. Mean() is the mean of the clipped distribution.
class NormalLength : public LengthDistribution {
 public:
  NormalLength(double mean, double std, int64_t lo, int64_t hi)
      : mean_(mean), std_(std), lo_(lo), hi_(hi) {}
  int64_t Sample(Rng& rng) const override { return ClipRound(rng.Normal(mean_, std_), lo_, hi_); }
  int64_t Min() const override { return std_ == 0 ? ClipRound(mean_, lo_, hi_) : lo_; }
  double Mean() const override {
    const double a = static_cast<double>(lo_), b = static_cast<double>(hi_);
    if (std_ == 0) return std::clamp(mean_, a, b);
    const double alpha = (a - mean_) / std_, beta = (b - mean_) / std_;
    return a * NormalCdf(alpha) + b * (1 - NormalCdf(beta)) +
           mean_ * (NormalCdf(beta) - NormalCdf(alpha)) +
           std_ * (NormalPdf(alpha) - NormalPdf(beta));
  }
  std::string Describe() const override {
    return fmt::format("normal(mean {}, std {}) in [{}, {}]", mean_, std_, lo_, hi_);
  }

 private:
  double mean_, std_;
  int64_t lo_, hi_;
};

// exp(Normal(mu, sigma)) with mu = ln(mean) - sigma^2/2, so that `mean` is the mean in tokens,
// clipped to [lo, hi]. Mean() is the mean of the clipped distribution.
class LognormalLength : public LengthDistribution {
 public:
  LognormalLength(double mean, double sigma, int64_t lo, int64_t hi)
      : mean_(mean), sigma_(sigma), mu_(std::log(mean) - 0.5 * sigma * sigma), lo_(lo), hi_(hi) {}
  int64_t Sample(Rng& rng) const override {
    return ClipRound(rng.Lognormal(mu_, sigma_), lo_, hi_);
  }
  int64_t Min() const override { return sigma_ == 0 ? ClipRound(mean_, lo_, hi_) : lo_; }
  double Mean() const override {
    const double a = static_cast<double>(lo_), b = static_cast<double>(hi_);
    if (sigma_ == 0) return std::clamp(mean_, a, b);
    const double alpha = (std::log(a) - mu_) / sigma_, beta = (std::log(b) - mu_) / sigma_;
    return a * NormalCdf(alpha) + b * (1 - NormalCdf(beta)) +
           mean_ * (NormalCdf(beta - sigma_) - NormalCdf(alpha - sigma_));
  }
  std::string Describe() const override {
    return fmt::format("lognormal(mean {}, sigma {}) in [{}, {}]", mean_, sigma_, lo_, hi_);
  }

 private:
  double mean_, sigma_, mu_;
  int64_t lo_, hi_;
};

struct Bounds {
  int64_t lo, hi;
};

// `min` and `max` of a mapping: integers in [1, kMaxLengthTokens] with min <= max.
Bounds ParseBounds(const ConfigNode& node, std::optional<int64_t> default_max) {
  const Range range = Between(1, kMaxLengthTokens);
  const int64_t lo = default_max ? node.GetInt("min", 1, range) : node.Require("min").AsInt(range);
  const int64_t hi =
      default_max ? node.GetInt("max", *default_max, range) : node.Require("max").AsInt(range);
  if (lo > hi) {
    const ConfigNode at = node.Has("max") ? node.Child("max") : node.Child("min");
    at.Fail(fmt::format("min ({}) must be <= max ({})", lo, hi));
  }
  return {lo, hi};
}

std::unique_ptr<LengthDistribution> ParseMapping(const ConfigNode& node) {
  const std::string dist = node.Require("dist").AsEnum({"uniform", "normal", "lognormal"});
  if (dist == "uniform") {
    node.CheckKeys({"dist", "min", "max"});
    const Bounds b = ParseBounds(node, std::nullopt);
    return std::make_unique<UniformLength>(b.lo, b.hi);
  }
  const Range positive{0.0, kMaxLengthTokens, true};
  if (dist == "normal") {
    node.CheckKeys({"dist", "mean", "std", "min", "max"});
    const double mean = node.Require("mean").AsDouble(positive);
    const double std = node.Require("std").AsDouble(Between(0, kMaxLengthTokens));
    const Bounds b = ParseBounds(node, kDefaultMaxTokens);
    return std::make_unique<NormalLength>(mean, std, b.lo, b.hi);
  }
  node.CheckKeys({"dist", "mean", "sigma", "min", "max"});
  const double mean = node.Require("mean").AsDouble(positive);
  const double sigma = node.Require("sigma").AsDouble(Between(0, 10));
  const Bounds b = ParseBounds(node, kDefaultMaxTokens);
  return std::make_unique<LognormalLength>(mean, sigma, b.lo, b.hi);
}

}  // namespace

std::unique_ptr<LengthDistribution> ParseLengthDistribution(const ConfigNode& node) {
  if (!node.Defined()) node.Fail("missing required key");
  if (node.IsMap()) return ParseMapping(node);
  if (!node.IsScalar()) {
    node.Fail(
        "expected a token count or a mapping {dist: uniform|normal|lognormal, ...}, got a list");
  }
  return std::make_unique<FixedLength>(node.AsInt(Between(1, kMaxLengthTokens)));
}

}  // namespace servesim
