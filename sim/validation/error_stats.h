// Error statistics of predictions against measurements: relative errors and their summary (count,
// median and p90 of the absolute error, worst case, signed bias). Pure arithmetic.
#pragma once

#include <cstdint>
#include <vector>

namespace servesim {

// (predicted - measured) / measured: positive when the model over-predicts.
// REQUIRES: measured > 0.
double RelativeError(double predicted, double measured);

// The q-quantile (q in [0, 1]) of `values` by linear interpolation between the closest ranks
// (position q x (n - 1) in sorted order; numpy's default). REQUIRES: !values.empty().
double Quantile(std::vector<double> values, double q);

struct ErrorStats {
  int64_t count = 0;
  double median_abs = 0;  // median of |relative error|
  double p90_abs = 0;     // 0.9-quantile of |relative error|
  double max_abs = 0;     // largest |relative error|
  double bias = 0;        // median of the signed relative errors
};

// Summary of signed relative errors; all zero when `signed_errors` is empty.
ErrorStats ComputeErrorStats(const std::vector<double>& signed_errors);

}  // namespace servesim
