// ConfigNode: a YAML node that knows its file, position and dotted key, so every validation
// error reads "configs/x.yaml:14:5: engine.max_num_seqs: must be > 0, got -3". Values that came
// from a command-line override are located as "--set engine.max_num_seqs=-3" instead.
// Typed getters parse scalars strictly (no silent truncation, no NaN/inf) and check ranges.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace servesim {

// Where a YAML tree came from. Shared by all nodes of one document.
struct ConfigSource {
  std::string file;                              // as the user named it
  std::string text;                              // the document (re-parsed by overrides)
  std::map<std::string, std::string> overrides;  // dotted key -> raw "--set" value
  std::map<std::string, std::string> created;    // maps an override created -> its key
  std::map<std::string, std::string> origins;    // key -> origin if not from "--set"
};

// Inclusive/exclusive numeric bounds for the typed getters.
struct Range {
  std::optional<double> min;
  std::optional<double> max;
  bool min_exclusive = false;
};
inline Range Positive() { return Range{0.0, std::nullopt, true}; }
inline Range NonNegative() { return Range{0.0, std::nullopt, false}; }
inline Range AtLeast(double v) { return Range{v, std::nullopt, false}; }
inline Range Between(double lo, double hi) { return Range{lo, hi, false}; }
inline Range Fraction() { return Range{0.0, 1.0, true}; }  // (0, 1]

class ConfigNode {
 public:
  ConfigNode(YAML::Node node, std::shared_ptr<const ConfigSource> source, std::string path,
             YAML::Mark parent_mark = YAML::Mark());

  // Parses a file. Throws InputError (file:line:col) for a missing file or a YAML syntax error.
  static ConfigNode LoadFile(const std::string& path);
  // Parses YAML text; `name` stands in for the file in messages.
  static ConfigNode LoadString(const std::string& text, const std::string& name);

  bool Defined() const { return node_.IsDefined() && !node_.IsNull(); }
  bool IsMap() const { return node_.IsMap(); }
  bool IsSequence() const { return node_.IsSequence(); }
  bool IsScalar() const { return node_.IsScalar(); }
  bool Has(std::string_view key) const { return Child(key).Defined(); }

  // A child by key. Undefined (Defined() == false) if absent; errors on it point at this node.
  ConfigNode Child(std::string_view key) const;
  // Elements of a sequence. REQUIRES: IsSequence().
  std::vector<ConfigNode> Elements() const;
  // Keys of a map, in document order.
  std::vector<std::string> Keys() const;

  // Rejects keys not in `allowed`, with "did you mean", and repeated keys. Errors if this is not
  // a map.
  void ExpectMap() const;
  void CheckKeys(const std::vector<std::string>& allowed) const;

  // Typed scalar access of this node. Throw InputError naming this node.
  std::string AsString() const;
  double AsDouble(Range range = {}) const;
  int64_t AsInt(Range range = {}) const;
  bool AsBool() const;
  // One of `choices`; "did you mean" on a near miss.
  std::string AsEnum(const std::vector<std::string>& choices) const;

  // Getters for a child key with a default when absent.
  std::string GetString(std::string_view key, const std::string& def) const;
  double GetDouble(std::string_view key, double def, Range range = {}) const;
  int64_t GetInt(std::string_view key, int64_t def, Range range = {}) const;
  bool GetBool(std::string_view key, bool def) const;
  std::string GetEnum(std::string_view key, const std::string& def,
                      const std::vector<std::string>& choices) const;
  // Required variants: a missing key is an error.
  ConfigNode Require(std::string_view key) const;

  // "file:line:col: dotted.key" (or "--set dotted.key=value").
  std::string Location() const;
  const std::string& Path() const { return path_; }
  const ConfigSource& Source() const { return *source_; }
  // Throws InputError "<Location()>: <rule>".
  [[noreturn]] void Fail(std::string_view rule) const;
  // The same message as a DeploymentError (the deployment cannot run, input_error.h) whose
  // reason is "<dotted.key>: <rule>" (the rule alone at the top level). `depends_on_shape`: see
  // DeploymentError.
  [[noreturn]] void FailDeployment(std::string_view rule, bool depends_on_shape = true) const;

  const YAML::Node& Raw() const { return node_; }

 private:
  void CheckUniqueKeys() const;                      // errors on a key given twice
  std::string ScalarText() const;                    // errors unless a scalar
  std::string KeyText(const YAML::Node& key) const;  // errors unless a plain scalar key
  std::string Describe() const;                      // the value as the user wrote it, for messages

  YAML::Node node_;
  std::shared_ptr<const ConfigSource> source_;
  std::string path_;
  YAML::Mark mark_;  // this node's mark, or its parent's if undefined
};

// Applies "--set dotted.key=value" overrides to a loaded document: the value is parsed as YAML
// (so "128" is a number and "{dist: uniform, min: 1, max: 9}" a map), intermediate maps are
// created as needed, and the source remembers the override so errors point at the flag.
// Throws InputError for a malformed override.
ConfigNode ApplyOverrides(const ConfigNode& root, const std::vector<std::string>& sets);

// One override: dotted key, YAML value text, and where it was written. An empty `origin` means
// the command line ("--set key=value"); otherwise errors about it, and about the values it put in
// the document, start with `origin` (e.g. "sweeps/x.yaml:7:5: key: ...").
struct Override {
  std::string key;
  std::string value;
  std::string origin;
};
// Same as ApplyOverrides, for overrides that carry their own origin (sweep files).
ConfigNode ApplyLocatedOverrides(const ConfigNode& root, const std::vector<Override>& overrides);

// Joins a dotted path: JoinPath("engine", "max_num_seqs") == "engine.max_num_seqs".
std::string JoinPath(std::string_view parent, std::string_view key);

}  // namespace servesim
