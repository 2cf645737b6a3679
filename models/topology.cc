#include "models/topology.h"

#include <algorithm>

#include "models/hardware_spec.h"
#include "sim/core/check.h"

namespace servesim {
namespace {

// Per-step latencies for a topology derived from datasheet fields only (no `interconnect:`
// section): NCCL's ring LL128 hardware latencies (src/graph/tuning.cc, hwLatencies), the same
// figures the zoo files use.
constexpr double kDerivedNvlinkStepLatencyS = 1.9e-6;
constexpr double kDerivedPcieStepLatencyS = 2.5e-6;

}  // namespace

int64_t Topology::NodesFor(int64_t group_size) const {
  SERVESIM_CHECK(group_size >= 1 && gpus_per_node >= 1);
  return (group_size + gpus_per_node - 1) / gpus_per_node;
}

double Topology::ScaleUpBandwidthFor(int64_t local_ranks) const {
  SERVESIM_CHECK(local_ranks >= 1 && local_ranks <= gpus_per_node);
  if (!scale_up_full_mesh || gpus_per_node == 1) return scale_up.bandwidth_bytes_per_s;
  return scale_up.bandwidth_bytes_per_s * static_cast<double>(local_ranks - 1) /
         static_cast<double>(gpus_per_node - 1);
}

Topology TopologyFor(const HardwareSpec& hw) {
  if (hw.topology.scale_up.bandwidth_bytes_per_s > 0) return hw.topology;
  Topology t;
  t.gpus_per_node = hw.topology.gpus_per_node;
  if (hw.scaleup_bandwidth_bytes_per_s > 0) {
    t.scale_up = {hw.scaleup_link, hw.scaleup_bandwidth_bytes_per_s / 2,
                  kDerivedNvlinkStepLatencyS};
  } else {
    t.scale_up = {hw.host_link, hw.host_link_bandwidth_bytes_per_s / 2, kDerivedPcieStepLatencyS};
  }
  t.scale_out = {"none", 0, 0};
  return t;
}

}  // namespace servesim
