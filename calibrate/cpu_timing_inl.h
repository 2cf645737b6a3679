// MedianSeconds (declared in calibrate/cpu_backend.h): wall-clock timing of CPU kernels.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace servesim {

template <typename Make, typename Run>
double MedianSeconds(const Timing& timing, Make make, Run run) {
  std::vector<double> times;
  for (int i = 0; i < timing.warmup + timing.repeats; ++i) {
    auto args = make();
    const auto t0 = std::chrono::steady_clock::now();
    run(args);
    const auto t1 = std::chrono::steady_clock::now();
    if (i >= timing.warmup) times.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(times.begin(), times.end());
  const size_t n = times.size();
  return n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
}

}  // namespace servesim
