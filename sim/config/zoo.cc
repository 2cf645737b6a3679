#include "sim/config/zoo.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "sim/config/input_error.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

constexpr double kBytesPerGiB = 1073741824.0;  // 2^30
constexpr double kBytesPerGB = 1e9;
constexpr double kFlopsPerTflop = 1e12;
constexpr double kSecondsPerUs = 1e-6;

// Upper bounds of model and hardware figures: orders of magnitude above any real model or GPU,
// they keep products of them (bytes, FLOPs, step times) far from overflow and int64 time.
const Range kLayersRange = Between(1, 1e5);
const Range kWidthRange = Between(1, 1e7);  // hidden, head_dim, FFN widths
const Range kHeadsRange = Between(1, 1e5);  // attention heads, KV heads, experts
const Range kVocabRange = Between(1, 1e8);
const Range kContextRange = Between(1, 1e9);  // tokens
const Range kMemoryGibRange{0.0, 1e6, true};
const Range kBandwidthGbsRange{0.0, 1e7, true};  // 10 PB/s
const Range kTflopsRange{0.0, 1e7, true};
const Range kLatencyUsRange = Between(0, 1e6);  // one second per collective step
const Range kGpusPerNodeRange = Between(1, 1e5);
const Range kWattsRange{0.0, 1e6, true};
const Range kPriceRange{0.0, 1e6, true};

// A model or hardware file must be named after its `name` field, so that a zoo name, the file
// and every report agree.
void CheckNameMatchesFile(const ConfigNode& name_node, const std::string& name,
                          const std::string& file) {
  const std::string stem = fs::path(file).stem().string();
  if (name != stem) {
    name_node.Fail(fmt::format("must equal the file name '{}', got '{}'", stem, name));
  }
}

void ParseMoe(const ConfigNode& moe, ModelSpec* m) {
  moe.CheckKeys({"num_experts", "top_k", "intermediate_size", "shared_experts"});
  m->moe_num_experts = moe.Require("num_experts").AsInt(kHeadsRange);
  const ConfigNode top_k = moe.Require("top_k");
  m->moe_top_k = top_k.AsInt(kHeadsRange);
  if (m->moe_top_k > m->moe_num_experts) {
    top_k.Fail(
        fmt::format("must be <= moe.num_experts ({}), got {}", m->moe_num_experts, m->moe_top_k));
  }
  m->moe_intermediate_size = moe.Require("intermediate_size").AsInt(kWidthRange);
  m->moe_shared_experts = moe.GetInt("shared_experts", 0, Between(0, 1e5));
}

ModelSpec ParseModel(const ConfigNode& root, const std::string& file) {
  root.CheckKeys({"name", "hf_id", "source", "num_layers", "hidden_size", "num_attention_heads",
                  "num_kv_heads", "head_dim", "intermediate_size", "vocab_size",
                  "max_position_embeddings", "tie_word_embeddings", "mlp", "moe"});
  ModelSpec m;
  const ConfigNode name = root.Require("name");
  m.name = name.AsString();
  CheckNameMatchesFile(name, m.name, file);
  m.hf_id = root.Require("hf_id").AsString();
  m.source = root.Require("source").AsString();
  m.num_layers = root.Require("num_layers").AsInt(kLayersRange);
  m.hidden_size = root.Require("hidden_size").AsInt(kWidthRange);
  m.num_attention_heads = root.Require("num_attention_heads").AsInt(kHeadsRange);
  const ConfigNode kv_heads = root.Require("num_kv_heads");
  m.num_kv_heads = kv_heads.AsInt(kHeadsRange);
  if (m.num_attention_heads % m.num_kv_heads != 0) {
    kv_heads.Fail(fmt::format("must divide num_attention_heads ({}), got {}", m.num_attention_heads,
                              m.num_kv_heads));
  }
  m.head_dim = root.Require("head_dim").AsInt(kWidthRange);
  m.intermediate_size = root.Require("intermediate_size").AsInt(kWidthRange);
  m.vocab_size = root.Require("vocab_size").AsInt(kVocabRange);
  m.max_position_embeddings = root.Require("max_position_embeddings").AsInt(kContextRange);
  m.tie_word_embeddings = root.Require("tie_word_embeddings").AsBool();
  m.gated_mlp = root.GetEnum("mlp", "gated", {"gated", "plain"}) == "gated";
  if (root.Has("moe")) {
    if (!m.gated_mlp) root.Child("mlp").Fail("must be 'gated' for a mixture-of-experts model");
    ParseMoe(root.Child("moe"), &m);
  }
  return m;
}

void ParsePeaks(const ConfigNode& peaks, HardwareSpec* hw) {
  peaks.CheckKeys({"bf16", "fp8", "fp4"});
  hw->peak_flops_bf16 = peaks.Require("bf16").AsDouble(kTflopsRange) * kFlopsPerTflop;
  hw->peak_flops_fp8 = peaks.GetDouble("fp8", 0, kTflopsRange) * kFlopsPerTflop;
  hw->peak_flops_fp4 = peaks.GetDouble("fp4", 0, kTflopsRange) * kFlopsPerTflop;
}

// A GPU without a scale-up fabric says `link: none` and a bandwidth of 0; any other link needs a
// positive bandwidth.
void ParseScaleup(const ConfigNode& scaleup, HardwareSpec* hw) {
  scaleup.CheckKeys({"link", "bandwidth_gb_s"});
  hw->scaleup_link = scaleup.Require("link").AsString();
  const ConfigNode bw = scaleup.Require("bandwidth_gb_s");
  const double gb_s = bw.AsDouble(Between(0, 1e7));
  if (hw->scaleup_link == "none" && gb_s != 0) {
    bw.Fail(fmt::format("must be 0 when link is 'none', got {}", bw.AsString()));
  }
  if (hw->scaleup_link != "none" && gb_s == 0) {
    bw.Fail(fmt::format("must be > 0 for link '{}' (use link: none for no scale-up link)",
                        hw->scaleup_link));
  }
  hw->scaleup_bandwidth_bytes_per_s = gb_s * kBytesPerGB;
}

// One link of `interconnect:`: `kind: none` goes with a bandwidth of 0, any other kind with a
// positive one (per GPU, per direction). Latency is per collective step.
LinkSpec ParseLink(const ConfigNode& link, const std::vector<std::string>& keys) {
  link.CheckKeys(keys);
  LinkSpec spec;
  spec.kind = link.Require("kind").AsString();
  const ConfigNode bw = link.Require("bandwidth_gb_s");
  const double gb_s = bw.AsDouble(Between(0, 1e7));
  if (spec.kind == "none" && gb_s != 0) {
    bw.Fail(fmt::format("must be 0 when kind is 'none', got {}", bw.AsString()));
  }
  if (spec.kind != "none" && gb_s == 0) {
    bw.Fail(fmt::format("must be > 0 for kind '{}' (use kind: none for no link)", spec.kind));
  }
  spec.bandwidth_bytes_per_s = gb_s * kBytesPerGB;
  spec.latency_s = link.Require("latency_us").AsDouble(kLatencyUsRange) * kSecondsPerUs;
  return spec;
}

// NVLink SHARP reduces inside an NVSwitch; a point-to-point mesh has none.
void CheckNvls(const ConfigNode& nvls, const Topology& t) {
  if (t.nvls && t.scale_up_full_mesh) {
    nvls.Fail("must be false when scale_up.full_mesh is true (NVLink SHARP needs an NVSwitch)");
  }
}

void ParseInterconnect(const ConfigNode& ic, HardwareSpec* hw) {
  ic.CheckKeys({"gpus_per_node", "scale_up", "scale_out", "nvls"});
  Topology& t = hw->topology;
  t.gpus_per_node = ic.Require("gpus_per_node").AsInt(kGpusPerNodeRange);
  const ConfigNode up = ic.Require("scale_up");
  t.scale_up = ParseLink(up, {"kind", "bandwidth_gb_s", "latency_us", "full_mesh"});
  if (t.scale_up.kind == "none" && t.gpus_per_node > 1) {
    up.Child("kind").Fail(fmt::format(
        "must name the link between the {} GPUs of a node (e.g. pcie4 for cards without NVLink), "
        "got 'none'",
        t.gpus_per_node));
  }
  t.scale_up_full_mesh = up.GetBool("full_mesh", false);
  t.scale_out = ParseLink(ic.Require("scale_out"), {"kind", "bandwidth_gb_s", "latency_us"});
  t.nvls = ic.GetBool("nvls", false);
  CheckNvls(ic.Child("nvls"), t);
}

// A scenario's override of one link: bandwidth and latency only (the kind stays the GPU's).
void OverrideLink(const ConfigNode& link, LinkSpec* spec) {
  link.CheckKeys({"bandwidth_gb_s", "latency_us"});
  if (link.Has("bandwidth_gb_s")) {
    const ConfigNode bw = link.Child("bandwidth_gb_s");
    const double gb_s = bw.AsDouble(kBandwidthGbsRange);
    if (spec->kind == "none") {
      bw.Fail("the GPU's hardware file has no such link (kind: none); describe it there instead");
    }
    spec->bandwidth_bytes_per_s = gb_s * kBytesPerGB;
  }
  if (link.Has("latency_us")) {
    spec->latency_s = link.Child("latency_us").AsDouble(kLatencyUsRange) * kSecondsPerUs;
  }
}

HardwareSpec ParseHardware(const ConfigNode& root, const std::string& file) {
  root.CheckKeys({"name", "display_name", "source", "memory_gib", "memory_bandwidth_gb_s",
                  "peak_tflops", "scaleup", "host_link", "interconnect", "tdp_w", "price"});
  HardwareSpec hw;
  const ConfigNode name = root.Require("name");
  hw.name = name.AsString();
  CheckNameMatchesFile(name, hw.name, file);
  hw.display_name = root.Require("display_name").AsString();
  hw.source = root.Require("source").AsString();
  hw.memory_bytes = root.Require("memory_gib").AsDouble(kMemoryGibRange) * kBytesPerGiB;
  hw.memory_bandwidth_bytes_per_s =
      root.Require("memory_bandwidth_gb_s").AsDouble(kBandwidthGbsRange) * kBytesPerGB;
  ParsePeaks(root.Require("peak_tflops"), &hw);
  ParseScaleup(root.Require("scaleup"), &hw);
  const ConfigNode host = root.Require("host_link");
  host.CheckKeys({"name", "bandwidth_gb_s"});
  hw.host_link = host.Require("name").AsString();
  hw.host_link_bandwidth_bytes_per_s =
      host.Require("bandwidth_gb_s").AsDouble(kBandwidthGbsRange) * kBytesPerGB;
  if (root.Has("interconnect")) {
    ParseInterconnect(root.Child("interconnect"), &hw);
  } else {
    hw.topology = TopologyFor(hw);  // one node derived from the datasheet fields
  }
  hw.tdp_w = root.Require("tdp_w").AsDouble(kWattsRange);
  const ConfigNode price = root.Require("price");
  price.CheckKeys({"usd_per_gpu_hour", "source"});
  hw.price_per_gpu_hour_usd = price.Require("usd_per_gpu_hour").AsDouble(kPriceRange);
  hw.price_source = price.Require("source").AsString();
  return hw;
}

bool LooksLikePath(const std::string& text) {
  auto ends_with = [&](std::string_view suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return text.find('/') != std::string::npos || ends_with(".yaml") || ends_with(".yml");
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Turns a scenario reference (zoo name or path) into the file to load. `noun` names the kind
// in messages ("model", "GPU").
std::string ResolveRef(const ConfigNode& ref, std::string_view kind, std::string_view noun) {
  const std::string text = ref.AsString();
  if (LooksLikePath(text)) {
    const std::string path = ResolvePath(ref, text);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) ref.Fail(fmt::format("cannot open file '{}'", path));
    return path;
  }
  const std::vector<std::string> names = ListZoo(kind);
  if (std::find(names.begin(), names.end(), text) == names.end()) {
    ref.Fail(fmt::format("unknown {} '{}'; known: {}{}", noun, text, JoinNames(names),
                         DidYouMean(text, names)));
  }
  return (fs::path(ConfigRoot()) / kind / (text + ".yaml")).string();
}

}  // namespace

namespace {
std::string& ConfigRootOverride() {
  static std::string dir;
  return dir;
}
}  // namespace

// "" when `dir` holds models/ and hardware/ with at least one .yaml file each; else what is
// missing.
std::string ZooProblem(const std::string& dir) {
  for (const char* kind : {"models", "hardware"}) {
    std::error_code ec;
    bool found = false;
    for (fs::directory_iterator it(fs::path(dir) / kind, ec), end; !ec && it != end && !found;
         it.increment(ec)) {
      found = it->path().extension() == ".yaml";
    }
    if (!found) {
      return fmt::format(
          "no {}/*.yaml in it (a zoo directory holds models/ and hardware/, like "
          "the source tree's configs/)",
          kind);
    }
  }
  return "";
}

void SetConfigRootOverride(const std::string& dir) {
  if (const std::string problem = ZooProblem(dir); !problem.empty()) {
    throw InputError(fmt::format("--config-root {}: not a zoo directory: {}", dir, problem));
  }
  ConfigRootOverride() = dir;
}

std::string ConfigRoot() {
  if (!ConfigRootOverride().empty()) return ConfigRootOverride();
  std::error_code ec;
  if (const char* env = std::getenv("SERVESIM_CONFIG_DIR"); env != nullptr) {
    if (const std::string problem = ZooProblem(env); !problem.empty()) {
      throw InputError(
          fmt::format("SERVESIM_CONFIG_DIR={}: not a zoo directory: {}", env, problem));
    }
    return env;
  }
  // Installed layout: <prefix>/bin/servesim next to <prefix>/share/servesim/configs.
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "servesim" / "configs";
    if (fs::is_directory(installed / "models", ec)) return installed.string();
  }
  return SERVESIM_SOURCE_DIR "/configs";
}

std::vector<std::string> ListZoo(std::string_view kind) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(ConfigRoot()) / kind, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == ".yaml" && it->is_regular_file(ec)) {
      names.push_back(it->path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

ModelSpec LoadModel(const ConfigNode& ref) {
  return LoadModelFile(ResolveRef(ref, "models", "model"));
}

HardwareSpec LoadHardware(const ConfigNode& ref) {
  return LoadHardwareFile(ResolveRef(ref, "hardware", "GPU"));
}

ModelSpec LoadModelFile(const std::string& path) {
  return ParseModel(ConfigNode::LoadFile(path), path);
}

HardwareSpec LoadHardwareFile(const std::string& path) {
  return ParseHardware(ConfigNode::LoadFile(path), path);
}

void ApplyInterconnectOverrides(const ConfigNode& hardware_node, HardwareSpec* hw) {
  Topology& t = hw->topology;
  if (hardware_node.Has("gpus_per_node")) {
    t.gpus_per_node = hardware_node.Child("gpus_per_node").AsInt(kGpusPerNodeRange);
  }
  if (!hardware_node.Has("interconnect")) return;
  const ConfigNode ic = hardware_node.Child("interconnect");
  ic.CheckKeys({"scale_up", "scale_out", "nvls"});
  if (ic.Has("scale_up")) OverrideLink(ic.Child("scale_up"), &t.scale_up);
  if (ic.Has("scale_out")) OverrideLink(ic.Child("scale_out"), &t.scale_out);
  if (ic.Has("nvls")) {
    t.nvls = ic.Child("nvls").AsBool();
    CheckNvls(ic.Child("nvls"), t);
  }
}

std::string ResolvePath(const ConfigNode& at, const std::string& path) {
  const fs::path p(path);
  if (p.is_absolute()) return path;
  if (at.Location().rfind("--set ", 0) == 0) return path;
  const fs::path dir = fs::path(at.Source().file).parent_path();
  if (dir.empty()) return path;
  return (dir / p).lexically_normal().string();
}

}  // namespace servesim
