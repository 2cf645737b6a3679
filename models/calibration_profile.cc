#include "models/calibration_profile.h"

#include "sim/core/check.h"

namespace servesim {

double EvalFit(const OpFit& fit, double x0, const Features& features) {
  SERVESIM_CHECK(!fit.pieces.empty());
  const FitPiece* piece = &fit.pieces.front();
  for (const FitPiece& p : fit.pieces) {
    if (p.lo <= x0) piece = &p;
  }
  double t = 0;
  for (int i = 0; i < kMaxFeatures; ++i) t += piece->coef[i] * features[i];
  return t;
}

}  // namespace servesim
