#include "models/calibrated_op_table.h"

#include <fmt/format.h>

#include <algorithm>

#include "sim/core/check.h"

namespace servesim {
namespace {

// Where x falls on a sorted axis: the cell [i, i + 1] (or i alone), the weight of i + 1, whether x
// is a grid value, and how far outside the axis it lies.
struct AxisPos {
  size_t i = 0;
  double w = 0;
  bool exact = false;
  double factor = 1;
};

AxisPos Locate(const std::vector<double>& g, double x) {
  AxisPos p;
  if (x > g.back()) {
    p.i = g.size() - 1;
    p.factor = x / g.back();
    return p;
  }
  if (x < g.front()) {
    p.factor = x > 0 ? g.front() / x : 1e9;  // context 0 is the smallest possible value
    return p;
  }
  p.i = static_cast<size_t>(std::upper_bound(g.begin(), g.end(), x) - g.begin()) - 1;
  if (g[p.i] == x) {
    p.exact = true;
  } else {
    p.w = (x - g[p.i]) / (g[p.i + 1] - g[p.i]);
  }
  return p;
}

}  // namespace

CalibratedOpTable::CalibratedOpTable(const OpProfile& profile, const OpDims& dims,
                                     const Peaks& peaks)
    : op_(profile.op),
      axes_(OpInfo(profile.op).num_axes),
      dims_(dims),
      peaks_(peaks),
      fit_(profile.fit),
      grid_(profile.grid) {
  if (axes_ == 1) grid_[1] = {0};
  SERVESIM_CHECK(!grid_[0].empty() && profile.points.size() == grid_[0].size() * grid_[1].size());
  for (const OpPoint& p : profile.points) {
    const double fitted = FitAt(p.at[0], p.at[1]);
    SERVESIM_CHECK(fitted > 0 && p.time_s > 0);
    time_s_.push_back(p.time_s);
    ratio_.push_back(p.time_s / fitted);
  }
}

double CalibratedOpTable::FitAt(double x0, double x1) const {
  return EvalFit(fit_, x0, FeaturesOf(op_, WorkOf(op_, dims_, x0, x1), peaks_));
}

OpPrice CalibratedOpTable::Price(double x0, double x1) const {
  const AxisPos a = Locate(grid_[0], x0);
  const AxisPos b = axes_ == 2 ? Locate(grid_[1], x1) : AxisPos{0, 0, true, 1};
  const size_t n1 = grid_[1].size();
  const auto at = [&](size_t i, size_t j) { return i * n1 + j; };
  OpPrice price;
  price.factor = std::max(a.factor, b.factor);
  if (price.factor > 1) {
    price.origin = PriceOrigin::kExtrapolated;
  } else if (a.exact && b.exact) {
    price.time_s = time_s_[at(a.i, b.i)];
    return price;
  } else {
    price.origin = PriceOrigin::kInterpolated;
  }
  // Bilinear in the ratio (the weights are 0 at the edges and on exact grid values).
  const size_t i1 = a.w > 0 ? a.i + 1 : a.i, j1 = b.w > 0 ? b.i + 1 : b.i;
  const double r = (1 - a.w) * ((1 - b.w) * ratio_[at(a.i, b.i)] + b.w * ratio_[at(a.i, j1)]) +
                   a.w * ((1 - b.w) * ratio_[at(i1, b.i)] + b.w * ratio_[at(i1, j1)]);
  price.time_s = r * FitAt(x0, x1);
  return price;
}

std::string CalibratedOpTable::Describe(double x0, double x1) const {
  const CalOpInfo& info = OpInfo(op_);
  std::string text;
  for (int k = 0; k < axes_; ++k) {
    const double x = k == 0 ? x0 : x1;
    if (!text.empty()) text += ", ";
    text += fmt::format("{}={:g} (measured {:g}..{:g})", info.axes[k], x, grid_[k].front(),
                        grid_[k].back());
  }
  return text;
}

}  // namespace servesim
