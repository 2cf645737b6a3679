// Model and GPU specs for cost-model tests, written out here (not loaded from configs/) so the
// tests pin the formulas independently of the zoo files.
#pragma once

#include "models/hardware_spec.h"
#include "models/model_spec.h"

namespace servesim::test_specs {

inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

inline ModelSpec Llama8B() {
  ModelSpec m;
  m.name = "llama-3.1-8b";
  m.num_layers = 32;
  m.hidden_size = 4096;
  m.num_attention_heads = 32;
  m.num_kv_heads = 8;
  m.head_dim = 128;
  m.intermediate_size = 14336;
  m.vocab_size = 128256;
  return m;
}

inline ModelSpec Llama70B() {
  ModelSpec m = Llama8B();
  m.name = "llama-3.1-70b";
  m.num_layers = 80;
  m.hidden_size = 8192;
  m.num_attention_heads = 64;
  m.intermediate_size = 28672;
  return m;
}

inline ModelSpec Mixtral8x7B() {
  ModelSpec m = Llama8B();
  m.name = "mixtral-8x7b";
  m.vocab_size = 32000;
  m.intermediate_size = 0;
  m.moe_num_experts = 8;
  m.moe_top_k = 2;
  m.moe_intermediate_size = 14336;
  return m;
}

inline HardwareSpec H100() {
  HardwareSpec hw;
  hw.name = "h100-sxm-80gb";
  hw.memory_bytes = 80 * kGiB;
  hw.memory_bandwidth_bytes_per_s = 3.35e12;
  hw.peak_flops_bf16 = 989.5e12;
  hw.peak_flops_fp8 = 1979e12;
  hw.scaleup_link = "NVLink4";
  hw.scaleup_bandwidth_bytes_per_s = 900e9;  // bidirectional
  // An HGX H100 node: 8 GPUs on NVSwitch (450 GB/s per direction), one 400 Gb/s NIC per GPU.
  hw.topology.gpus_per_node = 8;
  hw.topology.scale_up = {"nvlink4", 450e9, 1e-6};
  hw.topology.scale_out = {"infiniband-ndr", 50e9, 5e-6};
  hw.topology.nvls = true;
  return hw;
}

}  // namespace servesim::test_specs
