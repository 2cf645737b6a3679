// CalibratedOpTable: prices one op from its profile entry. On a measured grid point the measured
// time; between grid points the fitted model scaled by the interpolated ratio measured / fitted
// (linear in each axis), so the table passes through every measurement; outside the grid the
// fitted model (the roofline scaled by the fitted efficiencies) scaled by the ratio at the
// nearest edge, with a factor saying how far out the point lies.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "models/calibration_ops.h"
#include "models/calibration_profile.h"

namespace servesim {

enum class PriceOrigin { kMeasured, kInterpolated, kExtrapolated, kRoofline };

struct OpPrice {
  double time_s = 0;
  PriceOrigin origin = PriceOrigin::kMeasured;
  double factor = 1;  // extrapolation: how far outside the grid (>= 1), worst axis
};

class CalibratedOpTable {
 public:
  // REQUIRES: the profile entry is complete (every grid point measured) and its fit is positive
  // at every grid point (calibrate/profile_io checks both).
  CalibratedOpTable(const OpProfile& profile, const OpDims& dims, const Peaks& peaks);

  OpPrice Price(double x0, double x1) const;
  // "tokens=2048 (measured 1..512)" for the ledger.
  std::string Describe(double x0, double x1) const;
  CalOp op() const { return op_; }

 private:
  double FitAt(double x0, double x1) const;

  CalOp op_;
  int axes_;
  OpDims dims_;
  Peaks peaks_;
  OpFit fit_;
  std::array<std::vector<double>, 2> grid_;
  std::vector<double> time_s_;  // row-major like the grid
  std::vector<double> ratio_;   // measured / fitted at each grid point
};

}  // namespace servesim
