#include "sim/validation/error_stats.h"

#include <algorithm>
#include <cmath>

#include "sim/core/check.h"

namespace servesim {

double RelativeError(double predicted, double measured) {
  SERVESIM_CHECK(measured > 0);
  return (predicted - measured) / measured;
}

double Quantile(std::vector<double> values, double q) {
  SERVESIM_CHECK(!values.empty() && q >= 0 && q <= 1);
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return values[lo] + frac * (values[hi] - values[lo]);
}

ErrorStats ComputeErrorStats(const std::vector<double>& signed_errors) {
  ErrorStats s;
  if (signed_errors.empty()) return s;
  std::vector<double> abs_errors;
  abs_errors.reserve(signed_errors.size());
  for (double e : signed_errors) abs_errors.push_back(std::fabs(e));
  s.count = static_cast<int64_t>(signed_errors.size());
  s.median_abs = Quantile(abs_errors, 0.5);
  s.p90_abs = Quantile(abs_errors, 0.9);
  s.max_abs = *std::max_element(abs_errors.begin(), abs_errors.end());
  s.bias = Quantile(signed_errors, 0.5);
  return s;
}

}  // namespace servesim
