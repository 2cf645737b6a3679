#include "sim/workload/rate_schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "sim/core/check.h"

namespace servesim {
namespace {

constexpr double kMaxRate = 1e9;        // requests per second, as workload.arrival.rate
constexpr double kMaxSeconds = 1e9;     // as duration_s
constexpr double kResolutionS = 1e-10;  // TimeOf stops once the bracket is this narrow

}  // namespace

RateSchedule RateSchedule::Parse(const ConfigNode& node) {
  if (!node.IsMap()) node.Fail("expected a mapping: {steps: [...]} or {diurnal: {...}}");
  node.CheckKeys({"steps", "diurnal"});
  if (node.Has("steps") == node.Has("diurnal")) {
    node.Fail(
        "give exactly one of steps: [{at_s, rate}, ...] or diurnal: {trough, peak, "
        "period_s, peak_at_s}");
  }
  if (node.Has("diurnal")) {
    const ConfigNode d = node.Child("diurnal");
    d.CheckKeys({"trough", "peak", "period_s", "peak_at_s"});
    const double peak = d.Require("peak").AsDouble(Range{0.0, kMaxRate, true});
    const ConfigNode trough_node = d.Require("trough");
    const double trough = trough_node.AsDouble(Between(0, kMaxRate));
    if (trough > peak)
      trough_node.Fail(fmt::format("must be <= peak ({:g}), got {:g}", peak, trough));
    const double period = d.Require("period_s").AsDouble(Range{0.0, kMaxSeconds, true});
    const ConfigNode at = d.Child("peak_at_s");
    const double peak_at = at.Defined() ? at.AsDouble(Between(0, kMaxSeconds)) : 0.0;
    if (peak_at >= period)
      at.Fail(fmt::format("must be < period_s ({:g}), got {:g}", period, peak_at));
    return Diurnal(trough, peak, period, peak_at);
  }
  const ConfigNode steps = node.Child("steps");
  if (!steps.IsSequence() || steps.Elements().empty()) {
    steps.Fail("expected a non-empty list of {at_s, rate}, the first at_s 0");
  }
  std::vector<double> starts, rates;
  for (const ConfigNode& step : steps.Elements()) {
    step.CheckKeys({"at_s", "rate"});
    const ConfigNode at = step.Require("at_s");
    const double start = at.AsDouble(Between(0, kMaxSeconds));
    if (starts.empty() && start != 0)
      at.Fail(fmt::format("the first step must start at 0, got {:g}", start));
    if (!starts.empty() && start <= starts.back()) {
      at.Fail(fmt::format("steps must start in increasing order: {:g} after {:g}", start,
                          starts.back()));
    }
    starts.push_back(start);
    rates.push_back(step.Require("rate").AsDouble(Between(0, kMaxRate)));
  }
  if (*std::max_element(rates.begin(), rates.end()) <= 0) {
    steps.Fail("every rate is 0: no request would ever arrive");
  }
  return Steps(std::move(starts), std::move(rates));
}

RateSchedule RateSchedule::Steps(std::vector<double> starts_s, std::vector<double> rates) {
  SERVESIM_CHECK(!starts_s.empty() && starts_s.size() == rates.size() && starts_s[0] == 0);
  RateSchedule s;
  s.starts_s_ = std::move(starts_s);
  s.rates_ = std::move(rates);
  s.cumulative_.assign(s.starts_s_.size(), 0.0);
  for (size_t i = 1; i < s.starts_s_.size(); ++i) {
    SERVESIM_CHECK(s.starts_s_[i] > s.starts_s_[i - 1]);
    s.cumulative_[i] =
        s.cumulative_[i - 1] + s.rates_[i - 1] * (s.starts_s_[i] - s.starts_s_[i - 1]);
  }
  return s;
}

RateSchedule RateSchedule::Diurnal(double trough, double peak, double period_s, double peak_at_s) {
  SERVESIM_CHECK(trough >= 0 && trough <= peak && peak > 0 && period_s > 0);
  RateSchedule s;
  s.diurnal_ = true;
  s.trough_ = trough;
  s.peak_ = peak;
  s.period_s_ = period_s;
  s.peak_at_s_ = peak_at_s;
  return s;
}

double RateSchedule::RateAt(double t) const {
  if (diurnal_) {
    const double phase = 2 * std::numbers::pi * (t - peak_at_s_) / period_s_;
    return trough_ + (peak_ - trough_) * (1 + std::cos(phase)) / 2;
  }
  const size_t i = static_cast<size_t>(std::upper_bound(starts_s_.begin(), starts_s_.end(), t) -
                                       starts_s_.begin() - 1);
  return rates_[i];
}

double RateSchedule::Cumulative(double t) const {
  if (diurnal_) {
    // Integral of m + a cos(w (x - x0)) over [0, t] = m t + (a / w) (sin(w (t - x0)) + sin(w x0)).
    const double mean = (peak_ + trough_) / 2, amplitude = (peak_ - trough_) / 2;
    const double w = 2 * std::numbers::pi / period_s_;
    return mean * t + amplitude / w * (std::sin(w * (t - peak_at_s_)) + std::sin(w * peak_at_s_));
  }
  const size_t i = static_cast<size_t>(std::upper_bound(starts_s_.begin(), starts_s_.end(), t) -
                                       starts_s_.begin() - 1);
  return cumulative_[i] + rates_[i] * (t - starts_s_[i]);
}

std::optional<double> RateSchedule::TimeOf(double u) const {
  SERVESIM_CHECK(u >= 0);
  if (!diurnal_) {
    // The first step whose end reaches u (a step of rate 0 never does, so it is skipped).
    for (size_t i = 0; i < starts_s_.size(); ++i) {
      const bool last = i + 1 == starts_s_.size();
      if (rates_[i] <= 0) continue;
      const double end = last ? INFINITY : cumulative_[i + 1];
      if (u <= end) return starts_s_[i] + (u - cumulative_[i]) / rates_[i];
    }
    return std::nullopt;
  }
  // Cumulative is non-decreasing and Cumulative(t) >= mean t - 2 amplitude / w: bisection on a
  // bracket that holds the answer.
  const double mean = (peak_ + trough_) / 2, amplitude = (peak_ - trough_) / 2;
  const double w = 2 * std::numbers::pi / period_s_;
  double lo = 0, hi = (u + 2 * amplitude / w) / mean;
  while (hi - lo > kResolutionS) {
    const double mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    (Cumulative(mid) >= u ? hi : lo) = mid;
  }
  return hi;
}

double RateSchedule::PeakRate() const {
  return diurnal_ ? peak_ : *std::max_element(rates_.begin(), rates_.end());
}

std::string RateSchedule::Describe() const {
  if (diurnal_) {
    return fmt::format("diurnal {:g}..{:g}/s, period {:g} s, peak at {:g} s", trough_, peak_,
                       period_s_, peak_at_s_);
  }
  std::string out = "steps";
  for (size_t i = 0; i < starts_s_.size(); ++i) {
    out += fmt::format("{} {:g} s: {:g}/s", i == 0 ? "" : ",", starts_s_[i], rates_[i]);
  }
  return out;
}

}  // namespace servesim
