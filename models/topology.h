// Topology: how the GPUs of a deployment are wired. A node holds gpus_per_node GPUs joined by a
// scale-up fabric (NVLink/NVSwitch, AMD xGMI, or PCIe for cards without either); nodes are joined
// by a scale-out network (one NIC per GPU). Loaded with the GPU's hardware file (the
// `interconnect:` section of configs/hardware/*.yaml); priced by models/collectives.
#pragma once

#include <cstdint>
#include <string>

namespace servesim {

struct HardwareSpec;

struct LinkSpec {
  std::string kind;                  // "nvlink4", "nvlink5", "pcie4", "pcie5", "infiniband-ndr",
                                     // "xgmi", "none"...: a label, not used in the arithmetic
  double bandwidth_bytes_per_s = 0;  // per GPU, per direction (unidirectional); 0 for "none"
  double latency_s = 0;              // per hop/step latency (alpha) of one collective step
};

struct Topology {
  int64_t gpus_per_node = 8;
  LinkSpec scale_up;   // inside a node (NVLink/NVSwitch, xGMI, or PCIe for cards without NVLink)
  LinkSpec scale_out;  // between nodes (NIC bandwidth per GPU)
  bool nvls = false;   // NVLink SHARP all-reduce available (NVSwitch gen3+: H100/H200/B200 HGX)
  // The scale-up fabric is a full mesh of point-to-point links (AMD MI300X: 7 xGMI links per
  // GPU) rather than a switch: scale_up.bandwidth is the sum over the gpus_per_node - 1 links,
  // and a GPU reaches only the links to the peers in its group.
  bool scale_up_full_mesh = false;

  // Nodes spanned by `group_size` ranks placed contiguously, gpus_per_node per node.
  // REQUIRES: group_size >= 1, gpus_per_node >= 1.
  int64_t NodesFor(int64_t group_size) const;
  // Scale-up bandwidth per GPU per direction usable by a group with `local_ranks` ranks on the
  // node: all of it behind a switch; (local_ranks - 1) / (gpus_per_node - 1) of it on a mesh.
  double ScaleUpBandwidthFor(int64_t local_ranks) const;
};

// The GPU's topology: the `interconnect:` section of its hardware file. For a HardwareSpec built
// in code without one (scale_up bandwidth 0), a single node derived from the datasheet fields:
// half the bidirectional scale-up figure per direction, or half the host link when the scale-up
// link is "none", and no scale-out network.
Topology TopologyFor(const HardwareSpec& hw);

}  // namespace servesim
