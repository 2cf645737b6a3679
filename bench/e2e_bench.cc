// servesim_e2e_bench SCENARIO.yaml [--set key=value]... [--no-fast-forward]: runs one scenario
// and prints what the simulator itself achieved: wall time, events and events/s, steps,
// simulated requests/s, peak RSS. The wall clock is read here, around the run, never inside it.
// scripts/bench.sh drives it (docs/performance.md).
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "sim/cli/process_heap.h"
#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/runner.h"

int main(int argc, char** argv) {
  servesim::TuneProcessHeap();  // as servesim does
  using servesim::RunOptions;
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: servesim_e2e_bench SCENARIO.yaml [--set k=v]... [--no-fast-forward]\n");
    return 2;
  }
  std::vector<std::string> sets;
  RunOptions options;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--set" && i + 1 < argc) {
      sets.push_back(argv[++i]);
    } else if (arg == "--no-fast-forward") {
      options.fast_forward = false;
    } else {
      std::fprintf(stderr, "servesim_e2e_bench: unknown argument '%s'\n", arg.c_str());
      return 2;
    }
  }
  try {
    const auto start = std::chrono::steady_clock::now();
    const servesim::Scenario scenario = servesim::LoadScenario(argv[1], sets);
    const servesim::RunResult r = servesim::RunScenario(scenario, nullptr, options);
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double cpu_s =
        static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
        1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
    const servesim::Summary& s = r.summary;
    fmt::print(
        "scenario={} requests={} steps={} events={} events_inlined={} wall_s={:.3f} cpu_s={:.3f} "
        "events_per_s={:.3g} steps_per_s={:.3g} requests_per_s={:.3g} peak_rss_mib={:.0f}\n",
        s.scenario, s.completed, s.num_steps, s.events, r.events_inlined, wall_s, cpu_s,
        static_cast<double>(s.events) / wall_s, static_cast<double>(s.num_steps) / wall_s,
        static_cast<double>(s.completed) / wall_s, static_cast<double>(usage.ru_maxrss) / 1024.0);
  } catch (const servesim::InputError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  return 0;
}
