// Simulated time: signed 64-bit nanoseconds since the start of a run (covers ~292 years).
// All event ordering uses SimTime; floating-point seconds appear only at model boundaries.
#pragma once

#include <cmath>
#include <cstdint>

#include "sim/core/check.h"

namespace servesim {

using SimTime = int64_t;  // nanoseconds

inline constexpr SimTime kNsPerSecond = 1'000'000'000;
inline constexpr SimTime kNsPerMs = 1'000'000;

// Rounds a duration in seconds to the nearest nanosecond. REQUIRES: finite, >= 0, < ~292 years.
// Equal to std::llround for these inputs (halves away from zero), without the libm call that
// costs a noticeable share of a decode step: x - trunc(x) is exact for 0 <= x < 2^63.
inline SimTime SecondsToSimTime(double seconds) {
  SERVESIM_CHECK(std::isfinite(seconds) && seconds >= 0.0 && seconds < 9.0e9);
  const double ns = seconds * 1e9;
  const SimTime whole = static_cast<SimTime>(ns);
  return whole + (ns - static_cast<double>(whole) >= 0.5 ? 1 : 0);
}

inline double SimTimeToSeconds(SimTime t) { return static_cast<double>(t) * 1e-9; }
inline double SimTimeToMs(SimTime t) { return static_cast<double>(t) * 1e-6; }

}  // namespace servesim
