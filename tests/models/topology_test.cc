#include "models/topology.h"

#include <gtest/gtest.h>

#include "models/hardware_spec.h"

namespace servesim {
namespace {

TEST(TopologyTest, NodesForContiguousPlacement) {
  Topology t;
  t.gpus_per_node = 8;
  EXPECT_EQ(t.NodesFor(1), 1);
  EXPECT_EQ(t.NodesFor(8), 1);
  EXPECT_EQ(t.NodesFor(9), 2);
  EXPECT_EQ(t.NodesFor(16), 2);
  EXPECT_EQ(t.NodesFor(17), 3);
  t.gpus_per_node = 1;
  EXPECT_EQ(t.NodesFor(4), 4);
}

TEST(TopologyTest, ScaleUpBandwidthOfASwitchAndOfAMesh) {
  Topology t;
  t.gpus_per_node = 8;
  t.scale_up = {"xgmi", 448e9, 2.3e-6};
  EXPECT_DOUBLE_EQ(t.ScaleUpBandwidthFor(2), 448e9);
  EXPECT_DOUBLE_EQ(t.ScaleUpBandwidthFor(8), 448e9);
  t.scale_up_full_mesh = true;
  EXPECT_DOUBLE_EQ(t.ScaleUpBandwidthFor(2), 64e9);
  EXPECT_DOUBLE_EQ(t.ScaleUpBandwidthFor(4), 192e9);
  EXPECT_DOUBLE_EQ(t.ScaleUpBandwidthFor(8), 448e9);
  EXPECT_DOUBLE_EQ(t.ScaleUpBandwidthFor(1), 0);
}

TEST(TopologyTest, TopologyForReturnsTheHardwareFilesSection) {
  HardwareSpec hw;
  hw.scaleup_bandwidth_bytes_per_s = 900e9;
  hw.topology.gpus_per_node = 4;
  hw.topology.scale_up = {"nvlink4", 400e9, 1e-6};
  hw.topology.scale_out = {"infiniband-ndr", 50e9, 4e-6};
  hw.topology.nvls = true;
  const Topology t = TopologyFor(hw);
  EXPECT_EQ(t.gpus_per_node, 4);
  EXPECT_EQ(t.scale_up.kind, "nvlink4");
  EXPECT_DOUBLE_EQ(t.scale_up.bandwidth_bytes_per_s, 400e9);
  EXPECT_DOUBLE_EQ(t.scale_out.latency_s, 4e-6);
  EXPECT_TRUE(t.nvls);
}

TEST(TopologyTest, TopologyForDerivesOneNodeFromDatasheetFields) {
  HardwareSpec hw;
  hw.scaleup_link = "NVLink4";
  hw.scaleup_bandwidth_bytes_per_s = 900e9;  // bidirectional
  hw.host_link = "PCIe Gen5 x16";
  hw.host_link_bandwidth_bytes_per_s = 128e9;
  Topology t = TopologyFor(hw);
  EXPECT_EQ(t.gpus_per_node, 8);
  EXPECT_EQ(t.scale_up.kind, "NVLink4");
  EXPECT_DOUBLE_EQ(t.scale_up.bandwidth_bytes_per_s, 450e9);
  EXPECT_DOUBLE_EQ(t.scale_up.latency_s, 1.9e-6);
  EXPECT_EQ(t.scale_out.kind, "none");
  EXPECT_DOUBLE_EQ(t.scale_out.bandwidth_bytes_per_s, 0);
  EXPECT_FALSE(t.nvls);
  hw.scaleup_link = "none";
  hw.scaleup_bandwidth_bytes_per_s = 0;
  t = TopologyFor(hw);
  EXPECT_EQ(t.scale_up.kind, "PCIe Gen5 x16");
  EXPECT_DOUBLE_EQ(t.scale_up.bandwidth_bytes_per_s, 64e9);
  EXPECT_DOUBLE_EQ(t.scale_up.latency_s, 2.5e-6);
}

}  // namespace
}  // namespace servesim
