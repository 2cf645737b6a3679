#include "sim/studies/table_text.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sim/config/input_error.h"

namespace servesim {
namespace {

void Flatten(const nlohmann::ordered_json& j, const std::string& prefix, FlatJson* out) {
  for (const auto& [key, value] : j.items()) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object()) {
      Flatten(value, name, out);
    } else if (!value.is_array()) {
      out->emplace_back(name, value);
    }
  }
}

nlohmann::ordered_json ScalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!" || text.empty()) return text;
  if (text == "true" || text == "false") return text == "true";
  if (text == "~" || text == "null") return nullptr;
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const long long i = std::strtoll(begin, &end, 10);
  if (errno == 0 && end == begin + text.size()) return static_cast<int64_t>(i);
  errno = 0;
  const double d = std::strtod(begin, &end);
  if (errno == 0 && end == begin + text.size() && std::isfinite(d)) return d;
  return text;
}

nlohmann::ordered_json NodeToJson(const YAML::Node& node) {
  if (node.IsScalar()) return ScalarToJson(node);
  if (node.IsSequence()) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const YAML::Node& e : node) a.push_back(NodeToJson(e));
    return a;
  }
  if (node.IsMap()) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    for (const auto& kv : node) o[kv.first.as<std::string>()] = NodeToJson(kv.second);
    return o;
  }
  return nullptr;
}

}  // namespace

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::vector<std::string> SplitCsvLine(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

FlatJson FlattenJson(const nlohmann::ordered_json& object) {
  FlatJson out;
  Flatten(object, "", &out);
  return out;
}

nlohmann::ordered_json YamlTextToJson(const std::string& yaml_text) {
  try {
    return NodeToJson(YAML::Load(yaml_text));
  } catch (const YAML::Exception&) {
    return yaml_text;
  }
}

std::vector<std::string> CompleteLines(const std::string& text, std::string* tail) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  *tail = text.substr(start);
  return lines;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open file", path));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace servesim
