// HardwareSpec: one GPU type's datasheet figures (memory, bandwidth, dense peaks per precision,
// links, power, indicative price) and the interconnect topology of the servers it ships in.
// Loaded from configs/hardware/*.yaml by sim/config/zoo.
// All rates are in base SI units (bytes/s, FLOP/s); a peak of 0 means "not supported".
#pragma once

#include <cstdint>
#include <string>

#include "models/precision.h"
#include "models/topology.h"

namespace servesim {

struct HardwareSpec {
  std::string name;          // zoo name, e.g. "h100-sxm-80gb"
  std::string display_name;  // e.g. "NVIDIA H100 SXM5 80GB"
  std::string source;        // where the numbers come from
  double memory_bytes = 0;
  double memory_bandwidth_bytes_per_s = 0;
  double peak_flops_bf16 = 0;  // dense, tensor cores; fp16 is the same on every GPU listed
  double peak_flops_fp8 = 0;   // 0 where the GPU has no FP8 tensor cores
  double peak_flops_fp4 = 0;
  std::string scaleup_link;                    // e.g. "NVLink4", "none"
  double scaleup_bandwidth_bytes_per_s = 0;    // per GPU, bidirectional aggregate (datasheet)
  std::string host_link;                       // e.g. "PCIe Gen5 x16"
  double host_link_bandwidth_bytes_per_s = 0;  // bidirectional
  double tdp_w = 0;
  double price_per_gpu_hour_usd = 0;  // indicative; see price_source
  std::string price_source;
  // Nodes, scale-up fabric and network (the `interconnect:` section); see models/topology.h.
  Topology topology;

  // Dense peak for GEMMs in the given weight precision. Returns 0 if unsupported.
  double PeakFlops(Precision p) const {
    return p == Precision::kFp8 ? peak_flops_fp8 : peak_flops_bf16;
  }
};

}  // namespace servesim
