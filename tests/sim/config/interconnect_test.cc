// The `interconnect:` section of hardware files and the scenario's interconnect overrides.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sim/config/input_error.h"
#include "sim/config/zoo.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

// A valid hardware file (made-up numbers); the interconnect section starts on line 16.
constexpr char kGpu[] =
    "name: gpu\n"
    "display_name: Test GPU\n"
    "source: test\n"
    "memory_gib: 1.5\n"
    "memory_bandwidth_gb_s: 100\n"
    "peak_tflops:\n"
    "  bf16: 10\n"
    "scaleup:\n"
    "  link: NVLink4\n"
    "  bandwidth_gb_s: 900\n"
    "host_link:\n"
    "  name: PCIe\n"
    "  bandwidth_gb_s: 64\n"
    "tdp_w: 300\n"
    "price: {usd_per_gpu_hour: 0.5, source: p}\n"
    "interconnect:\n"
    "  gpus_per_node: 8\n"
    "  scale_up:\n"
    "    kind: nvlink4\n"
    "    bandwidth_gb_s: 450\n"
    "    latency_us: 1.9\n"
    "  scale_out:\n"
    "    kind: infiniband-ndr\n"
    "    bandwidth_gb_s: 50\n"
    "    latency_us: 4\n"
    "  nvls: true\n";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class InterconnectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / (std::string("servesim_ic_") + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "gpu.yaml").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Loads `text` as gpu.yaml; returns the error message or "no error".
  std::string Error(const std::string& text) {
    std::ofstream(path_) << text;
    try {
      LoadHardwareFile(path_);
    } catch (const InputError& e) {
      return std::string(e.what()).replace(0, path_.size(), "gpu.yaml");
    }
    return "no error";
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(InterconnectTest, SectionIsParsedInBaseUnits) {
  ASSERT_EQ(Error(kGpu), "no error");
  const Topology t = LoadHardwareFile(path_).topology;
  EXPECT_EQ(t.gpus_per_node, 8);
  EXPECT_EQ(t.scale_up.kind, "nvlink4");
  EXPECT_DOUBLE_EQ(t.scale_up.bandwidth_bytes_per_s, 450e9);
  EXPECT_DOUBLE_EQ(t.scale_up.latency_s, 1.9e-6);
  EXPECT_EQ(t.scale_out.kind, "infiniband-ndr");
  EXPECT_DOUBLE_EQ(t.scale_out.bandwidth_bytes_per_s, 50e9);
  EXPECT_DOUBLE_EQ(t.scale_out.latency_s, 4e-6);
  EXPECT_TRUE(t.nvls);
  EXPECT_FALSE(t.scale_up_full_mesh);
}

TEST_F(InterconnectTest, MissingSectionDerivesOneNodeFromTheDatasheet) {
  const std::string text = std::string(kGpu).substr(0, std::string(kGpu).find("interconnect:"));
  ASSERT_EQ(Error(text), "no error");
  const Topology t = LoadHardwareFile(path_).topology;
  EXPECT_DOUBLE_EQ(t.scale_up.bandwidth_bytes_per_s, 450e9);  // 900 bidirectional / 2
  EXPECT_EQ(t.scale_out.kind, "none");
  EXPECT_FALSE(t.nvls);
}

TEST_F(InterconnectTest, ErrorsAreLocatedAndPinned) {
  EXPECT_EQ(Error(Replace(kGpu, "gpus_per_node: 8", "gpus_per_nod: 8")),
            "gpu.yaml:17:3: interconnect.gpus_per_nod: unknown key (did you mean "
            "'gpus_per_node'?)");
  EXPECT_EQ(Error(Replace(kGpu, "gpus_per_node: 8", "gpus_per_node: 0")),
            "gpu.yaml:17:18: interconnect.gpus_per_node: must be in [1, 100000], got 0");
  EXPECT_EQ(Error(Replace(kGpu, "kind: nvlink4\n    bandwidth_gb_s: 450",
                          "kind: none\n    bandwidth_gb_s: 0")),
            "gpu.yaml:19:11: interconnect.scale_up.kind: must name the link between the 8 GPUs "
            "of a node (e.g. pcie4 for cards without NVLink), got 'none'");
  EXPECT_EQ(Error(Replace(kGpu, "bandwidth_gb_s: 50", "bandwidth_gb_s: 0")),
            "gpu.yaml:24:21: interconnect.scale_out.bandwidth_gb_s: must be > 0 for kind "
            "'infiniband-ndr' (use kind: none for no link)");
  EXPECT_EQ(Error(Replace(kGpu, "kind: infiniband-ndr", "kind: none")),
            "gpu.yaml:24:21: interconnect.scale_out.bandwidth_gb_s: must be 0 when kind is "
            "'none', got 50");
  EXPECT_EQ(Error(Replace(kGpu, "latency_us: 4", "latency_us: -4")),
            "gpu.yaml:25:17: interconnect.scale_out.latency_us: must be in [0, 1000000], got -4");
  EXPECT_EQ(Error(Replace(kGpu, "    latency_us: 1.9\n", "")),
            "gpu.yaml:19:5: interconnect.scale_up.latency_us: missing required key");
  EXPECT_EQ(Error(Replace(kGpu, "latency_us: 1.9", "latency_us: 1.9\n    full_mesh: true")),
            "gpu.yaml:27:9: interconnect.nvls: must be false when scale_up.full_mesh is true "
            "(NVLink SHARP needs an NVSwitch)");
  EXPECT_EQ(Error(Replace(kGpu, "latency_us: 4", "latency_us: 4\n    full_mesh: true")),
            "gpu.yaml:26:5: interconnect.scale_out.full_mesh: unknown key");
}

TEST_F(InterconnectTest, ScaleOutNoneIsAllowedAndAScaleUpNoneOnlyOnOneGpuNodes) {
  EXPECT_EQ(Error(Replace(kGpu, "kind: infiniband-ndr\n    bandwidth_gb_s: 50",
                          "kind: none\n    bandwidth_gb_s: 0")),
            "no error");
  EXPECT_EQ(
      Error(Replace(Replace(kGpu, "gpus_per_node: 8", "gpus_per_node: 1"),
                    "kind: nvlink4\n    bandwidth_gb_s: 450", "kind: none\n    bandwidth_gb_s: 0")),
      "no error");
}

TEST(InterconnectZooTest, ShippedGpusAgreeWithTheirDatasheetFields) {
  for (const std::string& name : ListZoo("hardware")) {
    SCOPED_TRACE(name);
    const HardwareSpec hw = LoadHardwareFile(ConfigRoot() + "/hardware/" + name + ".yaml");
    const Topology& t = hw.topology;
    EXPECT_EQ(t.gpus_per_node, 8);
    // Per direction = half the bidirectional datasheet figure (host link for PCIe-only cards).
    const double datasheet = hw.scaleup_bandwidth_bytes_per_s > 0
                                 ? hw.scaleup_bandwidth_bytes_per_s
                                 : hw.host_link_bandwidth_bytes_per_s;
    EXPECT_DOUBLE_EQ(t.scale_up.bandwidth_bytes_per_s, datasheet / 2);
    EXPECT_GT(t.scale_up.latency_s, 0);
    EXPECT_GT(t.scale_out.bandwidth_bytes_per_s, 0);
    EXPECT_GT(t.scale_out.latency_s, 0);
    const bool nvswitch3 =
        name == "h100-sxm-80gb" || name == "h200-sxm-141gb" || name == "b200-180gb";
    EXPECT_EQ(t.nvls, nvswitch3);
    EXPECT_EQ(t.scale_up_full_mesh, name == "mi300x-192gb");
    EXPECT_EQ(TopologyFor(hw).scale_up.kind, t.scale_up.kind);
  }
  const auto nic = [](const std::string& name) {
    return LoadHardwareFile(ConfigRoot() + "/hardware/" + name + ".yaml")
        .topology.scale_out.bandwidth_bytes_per_s;
  };
  EXPECT_DOUBLE_EQ(nic("a100-sxm-80gb"), 25e9);  // 200 Gb/s HDR per GPU
  EXPECT_DOUBLE_EQ(nic("h100-sxm-80gb"), 50e9);  // 400 Gb/s NDR per GPU
  EXPECT_DOUBLE_EQ(nic("b200-180gb"), 50e9);
}

// The scenario side: hardware.gpus_per_node and hardware.interconnect.* overrides.
HardwareSpec Overridden(const std::string& scenario) {
  HardwareSpec hw = LoadHardwareFile(ConfigRoot() + "/hardware/h100-sxm-80gb.yaml");
  ApplyInterconnectOverrides(ConfigNode::LoadString(scenario, "s.yaml").Child("hardware"), &hw);
  return hw;
}

std::string OverrideError(const std::string& scenario) {
  try {
    Overridden(scenario);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(InterconnectOverrideTest, AbsentKeysKeepTheHardwareFile) {
  const Topology file = LoadHardwareFile(ConfigRoot() + "/hardware/h100-sxm-80gb.yaml").topology;
  const Topology t = Overridden("hardware:\n  gpu: h100-sxm-80gb\n").topology;
  EXPECT_EQ(t.gpus_per_node, file.gpus_per_node);
  EXPECT_DOUBLE_EQ(t.scale_up.bandwidth_bytes_per_s, file.scale_up.bandwidth_bytes_per_s);
  EXPECT_DOUBLE_EQ(t.scale_out.latency_s, file.scale_out.latency_s);
  EXPECT_EQ(t.nvls, file.nvls);
}

TEST(InterconnectOverrideTest, OverridesApplyInBaseUnits) {
  const Topology t = Overridden(
                         "hardware:\n"
                         "  gpu: h100-sxm-80gb\n"
                         "  gpus_per_node: 4\n"
                         "  interconnect:\n"
                         "    scale_up: {bandwidth_gb_s: 300, latency_us: 3}\n"
                         "    scale_out: {bandwidth_gb_s: 25}\n"
                         "    nvls: false\n")
                         .topology;
  EXPECT_EQ(t.gpus_per_node, 4);
  EXPECT_DOUBLE_EQ(t.scale_up.bandwidth_bytes_per_s, 300e9);
  EXPECT_DOUBLE_EQ(t.scale_up.latency_s, 3e-6);
  EXPECT_EQ(t.scale_up.kind, "nvlink4");  // the kind stays the GPU's
  EXPECT_DOUBLE_EQ(t.scale_out.bandwidth_bytes_per_s, 25e9);
  EXPECT_DOUBLE_EQ(t.scale_out.latency_s, 8.5e-6);  // kept from the file
  EXPECT_FALSE(t.nvls);
}

TEST(InterconnectOverrideTest, ErrorsArePinned) {
  const std::string head = "hardware:\n  gpu: h100-sxm-80gb\n";
  EXPECT_EQ(OverrideError(head + "  gpus_per_node: 0\n"),
            "s.yaml:3:18: hardware.gpus_per_node: must be in [1, 100000], got 0");
  EXPECT_EQ(OverrideError(head + "  interconnect:\n    scale_up: {bandwith_gb_s: 1}\n"),
            "s.yaml:4:16: hardware.interconnect.scale_up.bandwith_gb_s: unknown key (did you "
            "mean 'bandwidth_gb_s'?)");
  EXPECT_EQ(OverrideError(head + "  interconnect:\n    scale_out: {bandwidth_gb_s: 0}\n"),
            "s.yaml:4:33: hardware.interconnect.scale_out.bandwidth_gb_s: must be in (0, "
            "10000000], got 0");
  EXPECT_EQ(
      OverrideError(head + "  interconnect:\n    scale_up: {latency_us: -1}\n"),
      "s.yaml:4:28: hardware.interconnect.scale_up.latency_us: must be in [0, 1000000], got -1");
  EXPECT_EQ(OverrideError(head + "  interconnect:\n    nvls: maybe\n"),
            "s.yaml:4:11: hardware.interconnect.nvls: expected true or false, got 'maybe'");
  EXPECT_EQ(OverrideError(head + "  interconnect:\n    gpus_per_node: 4\n"),
            "s.yaml:4:5: hardware.interconnect.gpus_per_node: unknown key");
}

TEST(InterconnectOverrideTest, NvlsCannotBeSwitchedOnForAMeshOrALinkAdded) {
  HardwareSpec hw = LoadHardwareFile(ConfigRoot() + "/hardware/mi300x-192gb.yaml");
  const ConfigNode nvls =
      ConfigNode::LoadString("hardware:\n  interconnect:\n    nvls: true\n", "s.yaml");
  try {
    ApplyInterconnectOverrides(nvls.Child("hardware"), &hw);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "s.yaml:3:11: hardware.interconnect.nvls: must be false when scale_up.full_mesh is "
              "true (NVLink SHARP needs an NVSwitch)");
  }
  hw.topology.scale_out = {"none", 0, 0};
  const ConfigNode out = ConfigNode::LoadString(
      "hardware:\n  interconnect:\n    scale_out: {bandwidth_gb_s: 50}\n", "s.yaml");
  try {
    ApplyInterconnectOverrides(out.Child("hardware"), &hw);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "s.yaml:3:33: hardware.interconnect.scale_out.bandwidth_gb_s: the GPU's hardware "
              "file has no such link (kind: none); describe it there instead");
  }
}

}  // namespace
}  // namespace servesim
