// Universal Scalability Law (N. J. Gunther): throughput on N units
//   X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1))
// lambda: throughput of one unit; sigma >= 0: contention (the serial share); kappa >= 0:
// coherency (crosstalk that grows with the number of pairs). FitUsl fits it to measured
// (N, X) points by nonlinear least squares on relative residuals (X_model - X) / X, so that
// small and large counts weigh alike, with a projected Levenberg-Marquardt iteration (Eigen)
// that keeps sigma and kappa >= 0. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace servesim {

struct UslParams {
  double lambda = 0;
  double sigma = 0;
  double kappa = 0;
};

struct UslFit {
  UslParams params;
  double r_squared = 0;           // 1 - SS_res / SS_tot of X (absolute values)
  double rms_relative_error = 0;  // sqrt(mean(((X_model - X) / X)^2))
  int64_t num_points = 0;
  int64_t iterations = 0;  // of the best start
};

// X(n) under `p`.
double UslThroughput(const UslParams& p, double n);
// The N of the largest X when kappa > 0 (sqrt((1 - sigma) / kappa)); nullopt when X grows
// without a peak (kappa == 0) or never grows (sigma >= 1).
std::optional<double> UslPeak(const UslParams& p);

// Fits `points` (N, X), N >= 1, X > 0. Returns nullopt with fewer than three distinct N.
// Several starting points; the one with the lowest cost wins (deterministic).
std::optional<UslFit> FitUsl(const std::vector<std::pair<double, double>>& points);

}  // namespace servesim
