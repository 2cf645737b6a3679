#include "sim/config/config_node.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/config/input_error.h"

namespace servesim {
namespace {

std::string FormatNumber(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

std::string RangeRule(const Range& r) {
  if (r.min && r.max) {
    return fmt::format("must be in {}{}, {}]", r.min_exclusive ? "(" : "[", FormatNumber(*r.min),
                       FormatNumber(*r.max));
  }
  if (r.min)
    return fmt::format("must be {} {}", r.min_exclusive ? ">" : ">=", FormatNumber(*r.min));
  return fmt::format("must be <= {}", FormatNumber(*r.max));
}

bool InRange(double v, const Range& r) {
  if (r.min && (r.min_exclusive ? !(v > *r.min) : !(v >= *r.min))) return false;
  if (r.max && !(v <= *r.max)) return false;
  return true;
}

// YAML 1.2 spells infinity and NaN ".inf", "-.inf", ".nan" (any of three cases); strtod does not
// read them, so they are named here to get the "finite number" message rather than "a number".
bool IsYamlSpecialFloat(std::string text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.erase(0, 1);
  return text == ".inf" || text == ".Inf" || text == ".INF" || text == ".nan" || text == ".NaN" ||
         text == ".NAN";
}

[[noreturn]] void ThrowYamlError(const std::string& file, const YAML::Exception& e) {
  if (e.mark.is_null()) throw InputError(fmt::format("{}: invalid YAML: {}", file, e.msg));
  throw InputError(
      fmt::format("{}:{}:{}: invalid YAML: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg));
}

}  // namespace

std::string ConfigNode::KeyText(const YAML::Node& key) const {
  if (key.IsScalar()) return key.Scalar();
  ConfigNode at(key, source_, path_, mark_);
  at.Fail("keys must be plain names, not lists or mappings");
}

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

ConfigNode::ConfigNode(YAML::Node node, std::shared_ptr<const ConfigSource> source,
                       std::string path, YAML::Mark parent_mark)
    : node_(std::move(node)), source_(std::move(source)), path_(std::move(path)) {
  mark_ = node_.IsDefined() ? node_.Mark() : parent_mark;
  if (mark_.is_null()) mark_ = parent_mark;
}

ConfigNode ConfigNode::LoadFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(fmt::format("{}: is a directory, not a YAML file", path));
  }
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("{}: cannot open file", path));
  std::stringstream text;
  text << in.rdbuf();
  return LoadString(text.str(), path);
}

ConfigNode ConfigNode::LoadString(const std::string& text, const std::string& name) {
  auto source = std::make_shared<ConfigSource>();
  source->file = name;
  source->text = text;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    ThrowYamlError(name, e);
  }
  YAML::Mark start;
  start.line = 0;
  start.column = 0;
  return ConfigNode(root, source, "", start);
}

ConfigNode ConfigNode::Child(std::string_view key) const {
  const YAML::Node& self = node_;  // const access: operator[] must not insert
  if (self.IsMap()) {
    // A missing key yields an invalid "zombie" node that throws YAML::InvalidNode on assignment
    // or Type(); copy-construct it and keep it only when defined.
    YAML::Node child = self[std::string(key)];
    if (child.IsDefined()) return ConfigNode(child, source_, JoinPath(path_, key), mark_);
  }
  return ConfigNode(YAML::Node(YAML::NodeType::Undefined), source_, JoinPath(path_, key), mark_);
}

std::vector<ConfigNode> ConfigNode::Elements() const {
  if (!node_.IsSequence()) Fail(fmt::format("expected a list, got {}", Describe()));
  std::vector<ConfigNode> out;
  for (size_t i = 0; i < node_.size(); ++i) {
    out.emplace_back(node_[i], source_, fmt::format("{}[{}]", path_, i), mark_);
  }
  return out;
}

std::vector<std::string> ConfigNode::Keys() const {
  std::vector<std::string> keys;
  if (!node_.IsMap()) return keys;
  CheckUniqueKeys();
  for (const auto& kv : node_) keys.push_back(KeyText(kv.first));
  return keys;
}

// yaml-cpp keeps both entries of a repeated key and lookups see only the first; a repeated key is
// almost always an editing mistake, so it is an error rather than a silent choice.
void ConfigNode::CheckUniqueKeys() const {
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : node_) {
    const std::string key = KeyText(kv.first);
    const auto [it, inserted] = seen.emplace(key, kv.first.Mark());
    if (inserted) continue;
    ConfigNode at(kv.second, source_, JoinPath(path_, key), kv.first.Mark());
    at.mark_ = kv.first.Mark();
    at.Fail(it->second.is_null()
                ? std::string("duplicate key")
                : fmt::format("duplicate key (first given on line {})", it->second.line + 1));
  }
}

void ConfigNode::ExpectMap() const {
  if (!node_.IsMap()) Fail(fmt::format("expected a mapping, got {}", Describe()));
}

void ConfigNode::CheckKeys(const std::vector<std::string>& allowed) const {
  ExpectMap();
  CheckUniqueKeys();
  for (const auto& kv : node_) {
    const std::string key = KeyText(kv.first);
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    ConfigNode at(kv.second, source_, JoinPath(path_, key), kv.first.Mark());
    at.mark_ = kv.first.Mark();
    at.Fail(fmt::format("unknown key{}", DidYouMean(key, allowed)));
  }
}

std::string ConfigNode::Location() const {
  const auto at_override = [this](const std::string& key) {
    if (auto o = source_->origins.find(key); o != source_->origins.end()) {
      return fmt::format("{}: {}", o->second, path_);
    }
    return fmt::format("--set {}={}: {}", key, source_->overrides.at(key), path_);
  };
  for (const auto& [key, value] : source_->overrides) {
    if (path_ == key || path_.rfind(key + ".", 0) == 0 || path_.rfind(key + "[", 0) == 0) {
      return at_override(key);
    }
  }
  if (auto it = source_->created.find(path_); it != source_->created.end()) {
    return at_override(it->second);
  }
  std::string where = source_->file;
  if (!mark_.is_null()) where += fmt::format(":{}:{}", mark_.line + 1, mark_.column + 1);
  if (path_.empty()) return where;
  return fmt::format("{}: {}", where, path_);
}

void ConfigNode::Fail(std::string_view rule) const {
  throw InputError(fmt::format("{}: {}", Location(), rule));
}

void ConfigNode::FailDeployment(std::string_view rule, bool depends_on_shape) const {
  throw DeploymentError(fmt::format("{}: {}", Location(), rule),
                        path_.empty() ? std::string(rule) : fmt::format("{}: {}", path_, rule),
                        depends_on_shape);
}

std::string ConfigNode::Describe() const {
  if (!Defined()) return "nothing";
  if (node_.IsMap()) return "a mapping";
  if (node_.IsSequence()) return "a list";
  return fmt::format("'{}'", node_.Scalar());
}

std::string ConfigNode::ScalarText() const {
  if (!Defined()) Fail("missing required value");
  if (!node_.IsScalar()) Fail(fmt::format("expected a single value, got {}", Describe()));
  return node_.Scalar();
}

std::string ConfigNode::AsString() const { return ScalarText(); }

double ConfigNode::AsDouble(Range range) const {
  const std::string text = ScalarText();
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (IsYamlSpecialFloat(text) || (end == begin + text.size() && !std::isfinite(v))) {
    Fail(fmt::format("expected a finite number, got '{}'", text));
  }
  if (text.empty() || end != begin + text.size() || errno == ERANGE) {
    Fail(fmt::format("expected a number, got '{}'", text));
  }
  if (!InRange(v, range)) Fail(fmt::format("{}, got {}", RangeRule(range), text));
  return v;
}

int64_t ConfigNode::AsInt(Range range) const {
  const std::string text = ScalarText();
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);  // accepts 1e6; integrality checked below
  if (text.empty() || end != begin + text.size() || errno == ERANGE || !std::isfinite(v)) {
    Fail(fmt::format("expected an integer, got '{}'", text));
  }
  if (v != std::floor(v) || std::fabs(v) > 9.0e15) {
    Fail(fmt::format("expected an integer, got '{}'", text));
  }
  if (!InRange(v, range)) Fail(fmt::format("{}, got {}", RangeRule(range), text));
  return static_cast<int64_t>(v);
}

bool ConfigNode::AsBool() const {
  std::string text = ScalarText();
  std::transform(text.begin(), text.end(), text.begin(), ::tolower);
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  Fail(fmt::format("expected true or false, got '{}'", node_.Scalar()));
}

std::string ConfigNode::AsEnum(const std::vector<std::string>& choices) const {
  const std::string text = ScalarText();
  if (std::find(choices.begin(), choices.end(), text) != choices.end()) return text;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  Fail(fmt::format("must be one of {}, got '{}'{}", list, text, DidYouMean(text, choices)));
}

std::string ConfigNode::GetString(std::string_view key, const std::string& def) const {
  ConfigNode c = Child(key);
  return c.Defined() ? c.AsString() : def;
}

double ConfigNode::GetDouble(std::string_view key, double def, Range range) const {
  ConfigNode c = Child(key);
  return c.Defined() ? c.AsDouble(range) : def;
}

int64_t ConfigNode::GetInt(std::string_view key, int64_t def, Range range) const {
  ConfigNode c = Child(key);
  return c.Defined() ? c.AsInt(range) : def;
}

bool ConfigNode::GetBool(std::string_view key, bool def) const {
  ConfigNode c = Child(key);
  return c.Defined() ? c.AsBool() : def;
}

std::string ConfigNode::GetEnum(std::string_view key, const std::string& def,
                                const std::vector<std::string>& choices) const {
  ConfigNode c = Child(key);
  return c.Defined() ? c.AsEnum(choices) : def;
}

ConfigNode ConfigNode::Require(std::string_view key) const {
  ConfigNode c = Child(key);
  if (!c.Defined()) c.Fail("missing required key");
  return c;
}

namespace {

// How errors about an override start: "--set key=value" or "origin: key".
std::string OverrideLabel(const Override& o) {
  if (o.origin.empty()) return fmt::format("--set {}={}", o.key, o.value);
  return fmt::format("{}: {}", o.origin, o.key);
}

std::vector<std::string> SplitKey(const Override& o) {
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t dot = o.key.find('.', start);
    parts.push_back(o.key.substr(start, dot - start));
    if (parts.back().empty()) {
      throw InputError(fmt::format("{}: empty key component", OverrideLabel(o)));
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

// Sets `o` in `tree`, creating intermediate maps (recorded in `source->created`).
void ApplyOne(YAML::Node tree, const Override& o, ConfigSource* source) {
  YAML::Node value;
  try {
    value = YAML::Load(o.value);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}: invalid YAML value: {}", OverrideLabel(o), e.msg));
  }
  const std::vector<std::string> parts = SplitKey(o);
  YAML::Node cur = tree;
  std::string walked;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    walked = JoinPath(walked, parts[i]);
    YAML::Node next = cur[parts[i]];
    if (!next.IsDefined() || next.IsNull()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = cur[parts[i]];
      source->created.emplace(walked, o.key);
    } else if (!next.IsMap()) {
      throw InputError(
          fmt::format("{}: '{}' is a single value, not a mapping", OverrideLabel(o), walked));
    }
    cur.reset(next);
  }
  cur[parts.back()] = value;
  source->overrides[o.key] = o.value;
  if (o.origin.empty()) {
    source->origins.erase(o.key);
  } else {
    source->origins[o.key] = o.origin;
  }
}

}  // namespace

ConfigNode ApplyOverrides(const ConfigNode& root, const std::vector<std::string>& sets) {
  std::vector<Override> overrides;
  for (const std::string& set : sets) {
    const size_t eq = set.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw InputError(fmt::format("--set {}: expected dotted.key=value", set));
    }
    overrides.push_back({set.substr(0, eq), set.substr(eq + 1), ""});
  }
  return ApplyLocatedOverrides(root, overrides);
}

ConfigNode ApplyLocatedOverrides(const ConfigNode& root, const std::vector<Override>& overrides) {
  if (overrides.empty()) return root;
  auto source = std::make_shared<ConfigSource>(root.Source());
  // Re-parse the document rather than YAML::Clone it: a clone loses line/column marks, and errors
  // in the file's own values must still point at them.
  YAML::Node tree = YAML::Load(source->text);
  if (!tree.IsDefined() || tree.IsNull()) tree = YAML::Node(YAML::NodeType::Map);
  if (!tree.IsMap()) root.Fail("expected a mapping at the top level");
  for (const Override& o : overrides) ApplyOne(tree, o, source.get());
  YAML::Mark start;
  start.line = 0;
  start.column = 0;
  return ConfigNode(tree, source, "", start);
}

}  // namespace servesim
