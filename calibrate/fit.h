// Least-squares fits of measured op times (Eigen): each op's time as a non-negative combination
// of its features (models/calibration_ops.h), weighted so that relative errors count, and
// piecewise over axis 0 for 1-D ops when one line does not describe the whole range.
#pragma once

#include <vector>

#include "models/calibration_ops.h"
#include "models/calibration_profile.h"

namespace servesim {

// Minimises sum(((features_i . coef) - t_i) / t_i)^2 subject to coef >= 0 (exact: every subset
// of the columns is solved and the best feasible one kept). Only the first `num_features`
// features are used. REQUIRES: t_i > 0, rows.size() == t.size() >= 1.
Features FitNonNegative(const std::vector<Features>& rows, const std::vector<double>& t,
                        int num_features);

// Relative residuals (fit - t) / t of `coef` on the rows.
std::vector<double> RelativeResiduals(const std::vector<Features>& rows,
                                      const std::vector<double>& t, const Features& coef);

// Fits one op's points (grid and extra). 1-D ops with at least 2 x kMinPiecePoints points are
// split at the best breakpoint when that halves the squared relative error; pieces share the
// breakpoint. Fills rms/max relative error over all points.
inline constexpr int kMinPiecePoints = 3;
OpFit FitOp(const OpProfile& op, const OpDims& dims, const Peaks& peaks);

}  // namespace servesim
