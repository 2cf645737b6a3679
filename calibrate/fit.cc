#include "calibrate/fit.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/core/check.h"

namespace servesim {
namespace {

struct SubsetFit {
  Features coef = {0, 0, 0};
  double sse = std::numeric_limits<double>::infinity();
};

// Unconstrained relative least squares on the columns in `mask`.
SubsetFit SolveSubset(const std::vector<Features>& rows, const std::vector<double>& t,
                      int num_features, unsigned mask) {
  std::vector<int> cols;
  for (int j = 0; j < num_features; ++j) {
    if (mask & (1u << j)) cols.push_back(j);
  }
  const Eigen::Index n = static_cast<Eigen::Index>(rows.size());
  Eigen::MatrixXd a(n, static_cast<Eigen::Index>(cols.size()));
  Eigen::VectorXd b = Eigen::VectorXd::Ones(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (size_t c = 0; c < cols.size(); ++c) {
      a(i, static_cast<Eigen::Index>(c)) = rows[i][cols[c]] / t[i];
    }
  }
  const Eigen::VectorXd x = a.colPivHouseholderQr().solve(b);
  SubsetFit fit;
  for (size_t c = 0; c < cols.size(); ++c) {
    if (!(x(static_cast<Eigen::Index>(c)) >= 0)) return {};  // infeasible (or NaN)
    fit.coef[cols[c]] = x(static_cast<Eigen::Index>(c));
  }
  fit.sse = (a * x - b).squaredNorm();
  return fit;
}

double SumSquares(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return s;
}

struct Sample {
  double x0 = 0;
  Features f = {0, 0, 0};
  double t = 0;
};

FitPiece FitPieceOf(const std::vector<Sample>& s, size_t begin, size_t end, int nf, double* sse) {
  std::vector<Features> rows;
  std::vector<double> t;
  for (size_t i = begin; i < end; ++i) {
    rows.push_back(s[i].f);
    t.push_back(s[i].t);
  }
  FitPiece piece{s[begin].x0, s[end - 1].x0, FitNonNegative(rows, t, nf)};
  *sse = SumSquares(RelativeResiduals(rows, t, piece.coef));
  return piece;
}

// One piece, or two sharing the best breakpoint if that halves the squared relative error.
std::vector<FitPiece> FitPieces(const std::vector<Sample>& s, int nf, bool allow_split) {
  double best_sse = 0;
  std::vector<FitPiece> best = {FitPieceOf(s, 0, s.size(), nf, &best_sse)};
  if (!allow_split || s.size() < 2 * kMinPiecePoints) return best;
  const double single_sse = best_sse;
  for (size_t b = kMinPiecePoints - 1; b + kMinPiecePoints <= s.size(); ++b) {
    double sse_lo = 0, sse_hi = 0;
    FitPiece lo = FitPieceOf(s, 0, b + 1, nf, &sse_lo);
    FitPiece hi = FitPieceOf(s, b, s.size(), nf, &sse_hi);
    if (sse_lo + sse_hi < best_sse && sse_lo + sse_hi < 0.5 * single_sse) {
      best_sse = sse_lo + sse_hi;
      best = {lo, hi};
    }
  }
  return best;
}

}  // namespace

Features FitNonNegative(const std::vector<Features>& rows, const std::vector<double>& t,
                        int num_features) {
  SERVESIM_CHECK(!rows.empty() && rows.size() == t.size());
  SERVESIM_CHECK(num_features >= 1 && num_features <= kMaxFeatures);
  for (double v : t) SERVESIM_CHECK(v > 0);
  SubsetFit best;
  for (unsigned mask = 1; mask < (1u << num_features); ++mask) {
    const SubsetFit fit = SolveSubset(rows, t, num_features, mask);
    if (fit.sse < best.sse * (1 - 1e-12)) best = fit;
  }
  SERVESIM_CHECK(std::isfinite(best.sse));  // column 0 alone (the constant) is always feasible
  return best.coef;
}

std::vector<double> RelativeResiduals(const std::vector<Features>& rows,
                                      const std::vector<double>& t, const Features& coef) {
  std::vector<double> r;
  r.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    double y = 0;
    for (int j = 0; j < kMaxFeatures; ++j) y += coef[j] * rows[i][j];
    r.push_back((y - t[i]) / t[i]);
  }
  return r;
}

OpFit FitOp(const OpProfile& op, const OpDims& dims, const Peaks& peaks) {
  const CalOpInfo& info = OpInfo(op.op);
  std::vector<Sample> samples;
  for (const auto* list : {&op.points, &op.extra_points}) {
    for (const OpPoint& p : *list) {
      const OpWork w = WorkOf(op.op, dims, p.at[0], p.at[1]);
      samples.push_back({p.at[0], FeaturesOf(op.op, w, peaks), p.time_s});
    }
  }
  SERVESIM_CHECK(!samples.empty());
  std::stable_sort(samples.begin(), samples.end(),
                   [](const Sample& a, const Sample& b) { return a.x0 < b.x0; });
  OpFit fit;
  fit.pieces = FitPieces(samples, NumFeatures(info.form), info.num_axes == 1);
  if (info.num_axes == 2) {
    fit.pieces[0].lo = op.grid[0].front();
    fit.pieces[0].hi = op.grid[0].back();
  }
  double sse = 0;
  for (const Sample& s : samples) {
    const double r = (EvalFit(fit, s.x0, s.f) - s.t) / s.t;
    sse += r * r;
    fit.max_rel_error = std::max(fit.max_rel_error, std::abs(r));
  }
  fit.rms_rel_error = std::sqrt(sse / static_cast<double>(samples.size()));
  return fit;
}

}  // namespace servesim
