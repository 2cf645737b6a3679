#include "sim/studies/sweep_spec.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/core/check.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMaxPoints = 1'000'000'000;

// "file:line:col" of a node of the sweep file.
std::string Origin(const ConfigNode& node) {
  const YAML::Mark m = node.Raw().Mark();
  return fmt::format("{}:{}:{}", node.Source().file, m.line + 1, m.column + 1);
}

std::string ReadBase(const ConfigNode& base, std::string* resolved) {
  const std::string text = base.AsString();
  fs::path p(text);
  if (p.is_relative()) p = fs::path(base.Source().file).parent_path() / p;
  *resolved = p.lexically_normal().string();
  std::error_code ec;
  std::ifstream in(*resolved);
  if (!fs::is_regular_file(*resolved, ec) || !in) {
    base.Fail(fmt::format("cannot open scenario file '{}'", *resolved));
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Checks the dotted key's shape and that no other section already sets it.
void ClaimKey(const ConfigNode& value, const std::string& key,
              std::map<std::string, std::string>* claimed) {
  bool ok = !key.empty() && key.front() != '.' && key.back() != '.';
  ok = ok && key.find("..") == std::string::npos;
  if (!ok) value.Fail("expected a dotted scenario key such as engine.max_num_seqs");
  if (auto it = claimed->find(key); it != claimed->end()) {
    value.Fail(fmt::format("'{}' is already swept or set at {}", key, it->second));
  }
  claimed->emplace(key, Origin(value));
}

// The override `key` = `value`, located at the value in the sweep file.
Override MakeOverride(const std::string& key, const ConfigNode& value) {
  std::string text = FlowYaml(value.Raw());
  if (text.find_first_of("\r\n") != std::string::npos) {
    value.Fail("a swept value must fit on one line (write it in flow style: {a: 1, b: 2})");
  }
  return {key, std::move(text), Origin(value)};
}

std::vector<ConfigNode> AxisValues(const ConfigNode& list) {
  if (!list.IsSequence()) {
    list.Fail("expected a list of values (write a single value under set:)");
  }
  std::vector<ConfigNode> values = list.Elements();
  if (values.empty()) list.Fail("expected a non-empty list of values");
  return values;
}

void ParseSet(const ConfigNode& set, SweepSpec* spec, std::map<std::string, std::string>* claimed) {
  set.ExpectMap();
  for (const std::string& key : set.Keys()) {
    const ConfigNode value = set.Child(key);
    ClaimKey(value, key, claimed);
    spec->set.push_back(MakeOverride(key, value));
  }
}

void ParseGrid(const ConfigNode& grid, SweepSpec* spec,
               std::map<std::string, std::string>* claimed) {
  grid.ExpectMap();
  for (const std::string& key : grid.Keys()) {
    const ConfigNode list = grid.Child(key);
    ClaimKey(list, key, claimed);
    SweepAxis axis;
    axis.keys.push_back(key);
    for (const ConfigNode& v : AxisValues(list)) {
      axis.values.push_back({MakeOverride(key, v)});
    }
    spec->axes.push_back(std::move(axis));
  }
}

void ParseZip(const ConfigNode& zip, SweepSpec* spec, std::map<std::string, std::string>* claimed) {
  zip.ExpectMap();
  SweepAxis axis;
  std::string first;
  for (const std::string& key : zip.Keys()) {
    const ConfigNode list = zip.Child(key);
    ClaimKey(list, key, claimed);
    const std::vector<ConfigNode> values = AxisValues(list);
    if (axis.keys.empty()) {
      axis.values.resize(values.size());
      first = key;
    } else if (values.size() != axis.values.size()) {
      list.Fail(fmt::format("zip lists must have equal lengths: {} values here, {} in '{}'",
                            values.size(), axis.values.size(), first));
    }
    axis.keys.push_back(key);
    for (size_t i = 0; i < values.size(); ++i) {
      axis.values[i].push_back(MakeOverride(key, values[i]));
    }
  }
  if (!axis.keys.empty()) spec->axes.push_back(std::move(axis));
}

}  // namespace

std::string FlowYaml(const YAML::Node& node) {
  YAML::Emitter out;
  if (node.IsScalar()) {
    if (node.Tag() != "!") return node.Scalar();  // plain: as written
    out << YAML::DoubleQuoted << node.Scalar();   // quoted: stays a string when re-parsed
    return out.c_str();
  }
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

int64_t SweepSpec::NumPoints() const {
  int64_t n = 1;
  for (const SweepAxis& a : axes) n *= static_cast<int64_t>(a.values.size());
  return n;
}

std::vector<std::string> SweepSpec::InputKeys() const {
  std::vector<std::string> keys;
  for (const Override& o : set) keys.push_back(o.key);
  for (const SweepAxis& a : axes) keys.insert(keys.end(), a.keys.begin(), a.keys.end());
  return keys;
}

SweepSpec ParseSweepSpec(const ConfigNode& root) {
  root.CheckKeys({"base", "description", "set", "grid", "zip"});
  SweepSpec spec;
  spec.file = root.Source().file;
  spec.base_text = ReadBase(root.Require("base"), &spec.base_path);
  std::map<std::string, std::string> claimed;
  if (root.Has("set")) ParseSet(root.Child("set"), &spec, &claimed);
  if (root.Has("grid")) ParseGrid(root.Child("grid"), &spec, &claimed);
  if (root.Has("zip")) ParseZip(root.Child("zip"), &spec, &claimed);
  double points = 1;
  for (const SweepAxis& a : spec.axes) points *= static_cast<double>(a.values.size());
  if (points > static_cast<double>(kMaxPoints)) {
    root.Fail(
        fmt::format("the sweep has {:.0f} points, more than the limit of {}", points, kMaxPoints));
  }
  return spec;
}

SweepSpec LoadSweepSpec(const std::string& path) {
  return ParseSweepSpec(ConfigNode::LoadFile(path));
}

SweepPoint PointAt(const SweepSpec& spec, int64_t index) {
  SERVESIM_CHECK(index >= 0 && index < spec.NumPoints());
  SweepPoint p;
  p.index = index;
  p.overrides = spec.set;
  std::vector<size_t> digit(spec.axes.size());
  int64_t rest = index;
  for (size_t a = spec.axes.size(); a-- > 0;) {  // the last axis varies fastest
    const auto n = static_cast<int64_t>(spec.axes[a].values.size());
    digit[a] = static_cast<size_t>(rest % n);
    rest /= n;
  }
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    const std::vector<Override>& v = spec.axes[a].values[digit[a]];
    p.overrides.insert(p.overrides.end(), v.begin(), v.end());
  }
  return p;
}

ConfigNode PointDocument(const SweepSpec& spec, const SweepPoint& point) {
  return ApplyLocatedOverrides(ConfigNode::LoadString(spec.base_text, spec.base_path),
                               point.overrides);
}

void ValidateSweepPoints(const SweepSpec& spec, const std::vector<int64_t>& indices) {
  for (int64_t i : indices) ParseScenario(PointDocument(spec, PointAt(spec, i)), std::nullopt);
}

}  // namespace servesim
