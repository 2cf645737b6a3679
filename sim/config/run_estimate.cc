#include "sim/config/run_estimate.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

namespace servesim {

std::optional<double> ExpectedRequests(const WorkloadConfig& w) {
  std::optional<double> n;
  if (w.num_requests) n = static_cast<double>(*w.num_requests);
  const bool open_loop = !w.ClosedLoop() && !(w.trace && w.trace->use_arrivals);
  if (w.duration_s && open_loop && w.process != ArrivalProcess::kBurst &&
      (w.rate_per_s > 0 || w.rate_schedule)) {
    const double by_time = w.ExpectedArrivals(*w.duration_s);
    if (!w.sessions) n = n ? std::min(*n, by_time) : by_time;
  }
  if (w.sessions && w.sessions->num_sessions) {
    const double turns =
        static_cast<double>(*w.sessions->num_sessions) * std::max(1.0, w.sessions->turns->Mean());
    n = n ? std::min(*n, turns) : turns;
  }
  return n;
}

double EstimatedRunBytes(double requests, int64_t replicas) {
  return requests * kRunBytesPerRequest + static_cast<double>(replicas) * kRunBytesPerReplica;
}

double MachineMemoryBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 0;  // unknown: nothing is refused
  return static_cast<double>(pages) * static_cast<double>(page);
}

std::string FormatBytes(double bytes) {
  if (bytes >= 1024.0 * 1024 * 1024)
    return fmt::format("{:.1f} GiB", bytes / (1024.0 * 1024 * 1024));
  return fmt::format("{:.0f} MiB", bytes / (1024.0 * 1024));
}

std::string MemoryRefusal(double requests, int64_t replicas) {
  const double machine = MachineMemoryBytes(), need = EstimatedRunBytes(requests, replicas);
  if (machine <= 0 || need <= machine) return "";
  return fmt::format(
      "a run of {:g} requests on {} replica{} needs about {} of memory ({:g} bytes per request, "
      "{:g} per replica; docs/performance.md), more than this machine's {}",
      requests, replicas, replicas == 1 ? "" : "s", FormatBytes(need), kRunBytesPerRequest,
      kRunBytesPerReplica, FormatBytes(machine));
}

}  // namespace servesim
