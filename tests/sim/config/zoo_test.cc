#include "sim/config/zoo.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sim/config/input_error.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kModels = {
    "falcon-180b",   "gpt-j-6b",   "llama-2-13b",    "llama-2-70b",   "llama-2-7b",
    "llama-3-70b",   "llama-3-8b", "llama-3.1-405b", "llama-3.1-70b", "llama-3.1-8b",
    "llama-3.3-70b", "mistral-7b", "mixtral-8x7b",   "qwen2.5-72b",   "qwen2.5-7b"};
const std::vector<std::string> kGpus = {"a100-sxm-80gb",  "b200-180gb", "h100-sxm-80gb",
                                        "h200-sxm-141gb", "l40s-48gb",  "mi300x-192gb"};

constexpr char kKnownModels[] =
    "falcon-180b, gpt-j-6b, llama-2-13b, llama-2-70b, llama-2-7b, llama-3-70b, llama-3-8b, "
    "llama-3.1-405b, llama-3.1-70b, "
    "llama-3.1-8b, llama-3.3-70b, mistral-7b, mixtral-8x7b, qwen2.5-72b, qwen2.5-7b";

// A valid model file body; tests replace one line to break it.
constexpr char kTinyModel[] =
    "name: tiny\n"
    "hf_id: test/tiny\n"
    "source: \"test\"\n"
    "num_layers: 2\n"
    "hidden_size: 64\n"
    "num_attention_heads: 4\n"
    "num_kv_heads: 2\n"
    "head_dim: 16\n"
    "intermediate_size: 128\n"
    "vocab_size: 1000\n"
    "max_position_embeddings: 2048\n"
    "tie_word_embeddings: false\n";

// A valid hardware file body (made-up numbers).
constexpr char kTinyGpu[] =
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
    "price:\n"
    "  usd_per_gpu_hour: 0.5\n"
    "  source: p\n";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// A fresh directory per test under the GoogleTest temp dir.
class ZooTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / (std::string("servesim_zoo_") + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  // The node `model: <value>` of a scenario file named `scenario`.
  static ConfigNode Ref(const std::string& value, const std::string& scenario = "scenario.yaml") {
    return ConfigNode::LoadString("model: " + value + "\n", scenario).Child("model");
  }

  static std::string ModelError(const std::string& path) {
    try {
      LoadModelFile(path);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }

  fs::path dir_;
};

TEST_F(ZooTest, ListsExactlyTheShippedModelsAndGpus) {
  EXPECT_EQ(ListZoo("models"), kModels);
  EXPECT_EQ(ListZoo("hardware"), kGpus);
  EXPECT_TRUE(ListZoo("no-such-kind").empty());
}

TEST_F(ZooTest, EveryModelLoadsByName) {
  for (const std::string& name : kModels) {
    SCOPED_TRACE(name);
    const ModelSpec m = LoadModel(Ref(name));
    EXPECT_EQ(m.name, name);
    EXPECT_FALSE(m.hf_id.empty());
    EXPECT_FALSE(m.source.empty());
    EXPECT_EQ(m.num_attention_heads % m.num_kv_heads, 0);
    EXPECT_EQ(m.QDim(), m.hidden_size);  // true of every model in the zoo
    EXPECT_GT(m.TotalParams(), 1e9);
  }
}

TEST_F(ZooTest, EveryGpuLoadsByName) {
  for (const std::string& name : kGpus) {
    SCOPED_TRACE(name);
    const ConfigNode ref = ConfigNode::LoadString("gpu: " + name, "s.yaml").Child("gpu");
    const HardwareSpec hw = LoadHardware(ref);
    EXPECT_EQ(hw.name, name);
    EXPECT_FALSE(hw.display_name.empty());
    EXPECT_FALSE(hw.price_source.empty());
    EXPECT_GT(hw.memory_bytes, 0);
    EXPECT_GT(hw.memory_bandwidth_bytes_per_s, 0);
    EXPECT_GT(hw.peak_flops_bf16, 0);
    EXPECT_GT(hw.host_link_bandwidth_bytes_per_s, 0);
    EXPECT_GT(hw.tdp_w, 0);
    EXPECT_GT(hw.price_per_gpu_hour_usd, 0);
  }
}

TEST_F(ZooTest, DenseParamCountsMatchPublishedSizes) {
  const ModelSpec l8 = LoadModel(Ref("llama-3.1-8b"));
  EXPECT_NEAR(l8.TotalParams(), 8.03e9, 0.01 * 8.03e9);
  EXPECT_DOUBLE_EQ(l8.ActiveParams(), l8.TotalParams());
  const ModelSpec l70 = LoadModel(Ref("llama-3.1-70b"));
  EXPECT_NEAR(l70.TotalParams(), 70.6e9, 0.01 * 70.6e9);
  const ModelSpec l405 = LoadModel(Ref("llama-3.1-405b"));
  EXPECT_NEAR(l405.TotalParams(), 405.9e9, 0.01 * 405.9e9);
  const ModelSpec l2 = LoadModel(Ref("llama-2-7b"));
  EXPECT_NEAR(l2.TotalParams(), 6.74e9, 0.01 * 6.74e9);
  EXPECT_TRUE(l2.gated_mlp);
  // Plain (GELU) MLPs: two matrices. GPT-J's model card states 6,053,381,344 parameters
  // (biases and norms make the difference).
  const ModelSpec gptj = LoadModel(Ref("gpt-j-6b"));
  EXPECT_FALSE(gptj.gated_mlp);
  EXPECT_EQ(gptj.FfnUpFactor(), 1);
  EXPECT_NEAR(gptj.TotalParams(), 6.053e9, 0.002 * 6.053e9);
  const ModelSpec falcon = LoadModel(Ref("falcon-180b"));
  EXPECT_FALSE(falcon.gated_mlp);
  EXPECT_NEAR(falcon.TotalParams(), 180e9, 0.01 * 180e9);
  EXPECT_NEAR(LoadModel(Ref("mistral-7b")).TotalParams(), 7.24e9, 0.01 * 7.24e9);
  EXPECT_NEAR(LoadModel(Ref("llama-2-13b")).TotalParams(), 13.0e9, 0.01 * 13.0e9);
}

TEST_F(ZooTest, MlpKindIsGatedOrPlain) {
  std::string path = Write("tiny.yaml", std::string(kTinyModel) + "mlp: gelu\n");
  EXPECT_EQ(ModelError(path), path + ":13:6: mlp: must be one of gated, plain, got 'gelu'");
  path = Write("tiny.yaml", std::string(kTinyModel) +
                                "mlp: plain\nmoe:\n  num_experts: 4\n  top_k: 2\n"
                                "  intermediate_size: 32\n");
  EXPECT_EQ(ModelError(path), path + ":13:6: mlp: must be 'gated' for a mixture-of-experts model");
}

TEST_F(ZooTest, MixtralTotalAndActiveParams) {
  const ModelSpec m = LoadModel(Ref("mixtral-8x7b"));
  ASSERT_TRUE(m.IsMoe());
  EXPECT_EQ(m.moe_num_experts, 8);
  EXPECT_EQ(m.moe_top_k, 2);
  EXPECT_EQ(m.moe_intermediate_size, 14336);
  EXPECT_EQ(m.moe_shared_experts, 0);
  EXPECT_NEAR(m.TotalParams(), 46.7e9, 0.02 * 46.7e9);
  EXPECT_NEAR(m.ActiveParams(), 12.9e9, 0.02 * 12.9e9);
}

TEST_F(ZooTest, Llama3VariantsDifferOnlyInContext) {
  const ModelSpec v30 = LoadModel(Ref("llama-3-8b"));
  ModelSpec v31 = LoadModel(Ref("llama-3.1-8b"));
  EXPECT_EQ(v30.max_position_embeddings, 8192);
  EXPECT_EQ(v31.max_position_embeddings, 131072);
  v31.max_position_embeddings = v30.max_position_embeddings;
  EXPECT_DOUBLE_EQ(v30.TotalParams(), v31.TotalParams());
  EXPECT_EQ(v30.num_kv_heads, v31.num_kv_heads);
  EXPECT_EQ(LoadModel(Ref("llama-3-70b")).max_position_embeddings, 8192);
  const ModelSpec v31_70 = LoadModel(Ref("llama-3.1-70b"));
  const ModelSpec v33_70 = LoadModel(Ref("llama-3.3-70b"));
  EXPECT_DOUBLE_EQ(v31_70.TotalParams(), v33_70.TotalParams());
  EXPECT_EQ(v31_70.max_position_embeddings, v33_70.max_position_embeddings);
}

TEST_F(ZooTest, HardwareUnitsAreConverted) {
  const HardwareSpec h100 = LoadHardwareFile(ConfigRoot() + "/hardware/h100-sxm-80gb.yaml");
  EXPECT_DOUBLE_EQ(h100.memory_bytes, 80.0 * 1073741824.0);
  EXPECT_DOUBLE_EQ(h100.memory_bandwidth_bytes_per_s, 3.35e12);
  EXPECT_DOUBLE_EQ(h100.peak_flops_bf16, 989.5e12);
  EXPECT_DOUBLE_EQ(h100.peak_flops_fp8, 1979e12);
  EXPECT_DOUBLE_EQ(h100.peak_flops_fp4, 0);
  EXPECT_DOUBLE_EQ(h100.PeakFlops(Precision::kFp8), 1979e12);
  EXPECT_EQ(h100.scaleup_link, "NVLink4");
  EXPECT_DOUBLE_EQ(h100.scaleup_bandwidth_bytes_per_s, 900e9);
  EXPECT_EQ(h100.host_link, "PCIe Gen5 x16");
  EXPECT_DOUBLE_EQ(h100.host_link_bandwidth_bytes_per_s, 128e9);
  EXPECT_DOUBLE_EQ(h100.tdp_w, 700);
  EXPECT_DOUBLE_EQ(h100.price_per_gpu_hour_usd, 4.25);

  const HardwareSpec a100 = LoadHardwareFile(ConfigRoot() + "/hardware/a100-sxm-80gb.yaml");
  EXPECT_DOUBLE_EQ(a100.peak_flops_fp8, 0);  // no FP8 tensor cores
  const HardwareSpec b200 = LoadHardwareFile(ConfigRoot() + "/hardware/b200-180gb.yaml");
  EXPECT_DOUBLE_EQ(b200.memory_bytes, 180.0 * 1073741824.0);
  EXPECT_DOUBLE_EQ(b200.peak_flops_fp4, 9000e12);
  const HardwareSpec l40s = LoadHardwareFile(ConfigRoot() + "/hardware/l40s-48gb.yaml");
  EXPECT_EQ(l40s.scaleup_link, "none");
  EXPECT_DOUBLE_EQ(l40s.scaleup_bandwidth_bytes_per_s, 0);
}

TEST_F(ZooTest, UnknownModelNameListsKnownNamesAndSuggests) {
  try {
    LoadModel(Ref("llama-3.1-8c"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), std::string("scenario.yaml:1:8: model: unknown model "
                                                 "'llama-3.1-8c'; known: ") +
                                         kKnownModels + " (did you mean 'llama-3.1-8b'?)");
  }
  try {
    LoadModel(Ref("gpt-5"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        std::string("scenario.yaml:1:8: model: unknown model 'gpt-5'; known: ") + kKnownModels);
  }
}

TEST_F(ZooTest, UnknownGpuNameSuggests) {
  const ConfigNode ref =
      ConfigNode::LoadString("hardware:\n  gpu: h100-sxm-80g\n", "s.yaml").Child("hardware");
  try {
    LoadHardware(ref.Child("gpu"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "s.yaml:2:8: hardware.gpu: unknown GPU 'h100-sxm-80g'; known: a100-sxm-80gb, "
              "b200-180gb, h100-sxm-80gb, h200-sxm-141gb, l40s-48gb, mi300x-192gb (did you "
              "mean 'h100-sxm-80gb'?)");
  }
}

TEST_F(ZooTest, PathRefIsRelativeToTheScenarioFile) {
  Write("models/tiny.yaml", kTinyModel);
  const std::string scenario = (dir_ / "scenario.yaml").string();
  const ModelSpec m = LoadModel(Ref("models/tiny.yaml", scenario));
  EXPECT_EQ(m.name, "tiny");
  EXPECT_EQ(m.num_layers, 2);
  EXPECT_EQ(m.head_dim, 16);
  EXPECT_FALSE(m.IsMoe());
  // A bare file name ending in .yaml is a path too, not a zoo name.
  Write("tiny.yaml", kTinyModel);
  EXPECT_EQ(LoadModel(Ref("tiny.yaml", scenario)).name, "tiny");
}

TEST_F(ZooTest, MissingFileIsReportedOnTheReference) {
  try {
    LoadModel(Ref("models/nope.yaml", "cfg/scenario.yaml"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cfg/scenario.yaml:1:8: model: cannot open file 'cfg/models/nope.yaml'");
  }
  EXPECT_EQ(ModelError("/no/such/dir/tiny.yaml"), "/no/such/dir/tiny.yaml: cannot open file");
}

TEST_F(ZooTest, TypoKeyIsLocatedWithSuggestion) {
  const std::string path = Write("tiny.yaml", Replace(kTinyModel, "num_layers", "num_layrs"));
  EXPECT_EQ(ModelError(path), path + ":4:1: num_layrs: unknown key (did you mean 'num_layers'?)");
}

TEST_F(ZooTest, HeadsMustBeDivisibleByKvHeads) {
  const std::string path =
      Write("tiny.yaml", Replace(kTinyModel, "num_kv_heads: 2", "num_kv_heads: 3"));
  EXPECT_EQ(ModelError(path),
            path + ":7:15: num_kv_heads: must divide num_attention_heads (4), got 3");
}

TEST_F(ZooTest, NameMustMatchTheFileName) {
  const std::string path = Write("other.yaml", kTinyModel);
  EXPECT_EQ(ModelError(path), path + ":1:7: name: must equal the file name 'other', got 'tiny'");
}

TEST_F(ZooTest, FieldsAreRequiredAndRangeChecked) {
  std::string path = Write("tiny.yaml", Replace(kTinyModel, "vocab_size: 1000\n", ""));
  EXPECT_EQ(ModelError(path), path + ":1:1: vocab_size: missing required key");
  path = Write("tiny.yaml", Replace(kTinyModel, "head_dim: 16", "head_dim: 0"));
  EXPECT_EQ(ModelError(path), path + ":8:11: head_dim: must be in [1, 10000000], got 0");
  path = Write("tiny.yaml", Replace(kTinyModel, "num_layers: 2", "num_layers: 2.5"));
  EXPECT_EQ(ModelError(path), path + ":4:13: num_layers: expected an integer, got '2.5'");
  path = Write("tiny.yaml", "- a list\n");
  EXPECT_EQ(ModelError(path), path + ":1:1: expected a mapping, got a list");
}

// Absurdly large figures would overflow bytes, FLOPs and int64 nanoseconds downstream.
TEST_F(ZooTest, FieldsHaveUpperBounds) {
  std::string path = Write("tiny.yaml", Replace(kTinyModel, "num_layers: 2", "num_layers: 9e15"));
  EXPECT_EQ(ModelError(path), path + ":4:13: num_layers: must be in [1, 100000], got 9e15");
  path = Write("tiny.yaml", Replace(kTinyModel, "vocab_size: 1000", "vocab_size: 1e12"));
  EXPECT_EQ(ModelError(path), path + ":10:13: vocab_size: must be in [1, 100000000], got 1e12");
}

TEST_F(ZooTest, MoeTopKCannotExceedExperts) {
  const std::string moe = "moe:\n  num_experts: 4\n  top_k: 5\n  intermediate_size: 32\n";
  std::string path = Write("tiny.yaml", std::string(kTinyModel) + moe);
  EXPECT_EQ(ModelError(path), path + ":15:10: moe.top_k: must be <= moe.num_experts (4), got 5");
  path = Write("tiny.yaml",
               std::string(kTinyModel) + Replace(moe, "top_k: 5", "top_k: 2") + "  shared: 1\n");
  EXPECT_EQ(ModelError(path),
            path + ":17:3: moe.shared: unknown key (did you mean 'shared_experts'?)");
}

TEST_F(ZooTest, HardwareValidation) {
  auto error = [](const std::string& path) -> std::string {
    try {
      LoadHardwareFile(path);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  std::string path = Write("gpu.yaml", kTinyGpu);
  EXPECT_EQ(error(path), "no error");
  const HardwareSpec hw = LoadHardwareFile(path);
  EXPECT_DOUBLE_EQ(hw.memory_bytes, 1.5 * 1073741824.0);
  EXPECT_DOUBLE_EQ(hw.peak_flops_fp8, 0);
  EXPECT_DOUBLE_EQ(hw.price_per_gpu_hour_usd, 0.5);
  path = Write("gpu.yaml", Replace(kTinyGpu, "bf16: 10", "bf16: 10\n  fp6: 20"));
  EXPECT_EQ(error(path), path + ":8:3: peak_tflops.fp6: unknown key (did you mean 'fp8'?)");
  path = Write("gpu.yaml", Replace(kTinyGpu, "link: NVLink4", "link: none"));
  EXPECT_EQ(error(path),
            path + ":10:19: scaleup.bandwidth_gb_s: must be 0 when link is 'none', got 900");
  path = Write("gpu.yaml", Replace(kTinyGpu, "bandwidth_gb_s: 900", "bandwidth_gb_s: 0"));
  EXPECT_EQ(error(path), path +
                             ":10:19: scaleup.bandwidth_gb_s: must be > 0 for link 'NVLink4' (use "
                             "link: none for no scale-up link)");
  path = Write("gpu.yaml", Replace(kTinyGpu, "memory_gib: 1.5", "memory_gib: 0"));
  EXPECT_EQ(error(path), path + ":4:13: memory_gib: must be in (0, 1000000], got 0");
  path = Write("gpu.yaml", Replace(kTinyGpu, "  source: p\n", ""));
  EXPECT_EQ(error(path), path + ":16:3: price.source: missing required key");
}

TEST_F(ZooTest, ResolvePath) {
  const ConfigNode from_file = Ref("x", "configs/scenarios/a.yaml");
  EXPECT_EQ(ResolvePath(from_file, "../models/m.yaml"), "configs/models/m.yaml");
  EXPECT_EQ(ResolvePath(from_file, "/abs/m.yaml"), "/abs/m.yaml");
  EXPECT_EQ(ResolvePath(Ref("x", "a.yaml"), "m.yaml"), "m.yaml");
  const ConfigNode root = ConfigNode::LoadString("model: x\n", "configs/scenarios/a.yaml");
  const ConfigNode overridden = ApplyOverrides(root, {"model=m.yaml"}).Child("model");
  EXPECT_EQ(ResolvePath(overridden, "sub/m.yaml"), "sub/m.yaml");  // working directory
}

}  // namespace
}  // namespace servesim
