// JsonAt: a JSON value that knows its file and dotted path, so that every error reading a
// calibration profile reads "prof.json: ops.gemm.qkv.points[3].time_s: must be > 0, got -1".
// Getters are strict: wrong types, missing keys and unknown keys (with "did you mean") throw
// InputError.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace servesim {

class JsonAt {
 public:
  JsonAt(const nlohmann::json& value, std::string file, std::string path)
      : value_(&value), file_(std::move(file)), path_(std::move(path)) {}

  const nlohmann::json& Raw() const { return *value_; }
  const std::string& Path() const { return path_; }
  bool Has(std::string_view key) const;

  JsonAt Child(std::string_view key) const;  // fails if absent
  std::vector<JsonAt> Elements() const;      // fails unless an array
  std::vector<std::string> Keys() const;     // fails unless an object
  void CheckKeys(const std::vector<std::string>& allowed) const;

  std::string String() const;
  double Number() const;  // finite
  double NumberAtLeast(double lo) const;
  double Positive() const;        // > 0
  int64_t Int(int64_t lo) const;  // an integer >= lo
  std::string Enum(const std::vector<std::string>& choices) const;

  [[noreturn]] void Fail(std::string_view rule) const;

 private:
  const nlohmann::json* value_;
  std::string file_;
  std::string path_;
};

// Parses `text`; a syntax error fails as "NAME: not valid JSON (parse error at byte N)".
nlohmann::json ParseJsonDocument(const std::string& text, const std::string& name);

}  // namespace servesim
