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
inline SimTime SecondsToSimTime(double seconds) {
  SERVESIM_CHECK(std::isfinite(seconds) && seconds >= 0.0 && seconds < 9.0e9);
  return static_cast<SimTime>(std::llround(seconds * 1e9));
}

inline double SimTimeToSeconds(SimTime t) { return static_cast<double>(t) * 1e-9; }
inline double SimTimeToMs(SimTime t) { return static_cast<double>(t) * 1e-6; }

}  // namespace servesim
