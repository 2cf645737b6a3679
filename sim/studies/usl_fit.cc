#include "sim/studies/usl_fit.h"

#include <Eigen/Dense>
#include <array>
#include <cmath>
#include <set>

#include "sim/core/check.h"

namespace servesim {
namespace {

constexpr int kMaxIterations = 500;

struct Problem {
  std::vector<double> n, x;
};

double Denominator(const UslParams& p, double n) {
  return 1.0 + p.sigma * (n - 1.0) + p.kappa * n * (n - 1.0);
}

Eigen::Vector3d AsVector(const UslParams& p) { return {p.lambda, p.sigma, p.kappa}; }
UslParams AsParams(const Eigen::Vector3d& v) { return {v(0), v(1), v(2)}; }

// Relative residuals and their Jacobian (rows: points; columns: lambda, sigma, kappa).
double Evaluate(const Problem& pr, const UslParams& p, Eigen::VectorXd* r, Eigen::MatrixXd* j) {
  const auto m = static_cast<Eigen::Index>(pr.n.size());
  r->resize(m);
  if (j) j->resize(m, 3);
  for (Eigen::Index i = 0; i < m; ++i) {
    const double n = pr.n[static_cast<size_t>(i)], x = pr.x[static_cast<size_t>(i)];
    const double d = Denominator(p, n);
    (*r)(i) = (p.lambda * n / d - x) / x;
    if (!j) continue;
    (*j)(i, 0) = n / d / x;
    (*j)(i, 1) = -p.lambda * n * (n - 1.0) / (d * d) / x;
    (*j)(i, 2) = -p.lambda * n * n * (n - 1.0) / (d * d) / x;
  }
  return r->squaredNorm();
}

// The best lambda for fixed sigma, kappa: minimises sum (lambda g_i / x_i - 1)^2.
double BestLambda(const Problem& pr, double sigma, double kappa) {
  double a = 0, b = 0;
  for (size_t i = 0; i < pr.n.size(); ++i) {
    const double g = pr.n[i] / Denominator({1.0, sigma, kappa}, pr.n[i]) / pr.x[i];
    a += g;
    b += g * g;
  }
  return a / b;
}

// Projected Levenberg-Marquardt from `start`: a parameter at its bound (sigma or kappa at 0)
// whose gradient points out of the feasible set is held there for the step; every step is
// clipped back into the set.
UslParams Solve(const Problem& pr, UslParams start, double* cost, int64_t* iterations) {
  Eigen::VectorXd r;
  Eigen::MatrixXd j;
  UslParams p = start;
  double c = Evaluate(pr, p, &r, &j);
  double mu = 1e-3;
  int64_t it = 0;
  for (; it < kMaxIterations; ++it) {
    const Eigen::Vector3d grad = j.transpose() * r;
    const Eigen::Matrix3d a = j.transpose() * j;
    const Eigen::Vector3d v = AsVector(p);
    Eigen::Matrix3d damped = a;
    Eigen::Vector3d rhs = -grad;
    for (int k = 0; k < 3; ++k) {
      damped(k, k) += mu * std::max(a(k, k), 1e-300);
      if (k > 0 && v(k) <= 0 && grad(k) > 0) {  // would step below zero: hold at the bound
        damped.row(k).setZero();
        damped.col(k).setZero();
        damped(k, k) = 1.0;
        rhs(k) = 0;
      }
    }
    Eigen::Vector3d next = v + damped.ldlt().solve(rhs);
    next(1) = std::max(next(1), 0.0);
    next(2) = std::max(next(2), 0.0);
    if (!(next(0) > 0) || !next.allFinite()) {
      mu *= 10;
      continue;
    }
    Eigen::VectorXd r_next;
    const double c_next = Evaluate(pr, AsParams(next), &r_next, nullptr);
    if (c_next < c) {
      const double gain = c - c_next;
      p = AsParams(next);
      c = Evaluate(pr, p, &r, &j);
      mu = std::max(mu / 3, 1e-12);
      if (gain <= 1e-15 * std::max(c, 1e-30)) break;
    } else {
      mu *= 4;
      if (mu > 1e12) break;
    }
  }
  *cost = c;
  *iterations = it;
  return p;
}

}  // namespace

double UslThroughput(const UslParams& p, double n) { return p.lambda * n / Denominator(p, n); }

std::optional<double> UslPeak(const UslParams& p) {
  if (p.kappa <= 0 || p.sigma >= 1) return std::nullopt;
  return std::sqrt((1.0 - p.sigma) / p.kappa);
}

std::optional<UslFit> FitUsl(const std::vector<std::pair<double, double>>& points) {
  Problem pr;
  std::set<double> distinct;
  for (const auto& [n, x] : points) {
    SERVESIM_CHECK(n >= 1 && x > 0 && std::isfinite(x));
    pr.n.push_back(n);
    pr.x.push_back(x);
    distinct.insert(n);
  }
  if (distinct.size() < 3) return std::nullopt;
  UslFit best;
  double best_cost = INFINITY;
  const std::array<double, 3> sigmas = {0.0, 0.02, 0.2}, kappas = {0.0, 1e-4, 1e-2};
  for (double s : sigmas) {
    for (double k : kappas) {
      double cost = 0;
      int64_t iterations = 0;
      const UslParams p = Solve(pr, {BestLambda(pr, s, k), s, k}, &cost, &iterations);
      if (cost < best_cost) {
        best_cost = cost;
        best.params = p;
        best.iterations = iterations;
      }
    }
  }
  double mean = 0;
  for (double x : pr.x) mean += x / static_cast<double>(pr.x.size());
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < pr.n.size(); ++i) {
    const double e = UslThroughput(best.params, pr.n[i]) - pr.x[i];
    ss_res += e * e;
    ss_tot += (pr.x[i] - mean) * (pr.x[i] - mean);
  }
  best.r_squared = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0;
  best.rms_relative_error = std::sqrt(best_cost / static_cast<double>(pr.n.size()));
  best.num_points = static_cast<int64_t>(pr.n.size());
  return best;
}

}  // namespace servesim
