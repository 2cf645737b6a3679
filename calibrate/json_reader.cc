#include "calibrate/json_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/config/input_error.h"

namespace servesim {
namespace {

std::string Describe(const nlohmann::json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

}  // namespace

void JsonAt::Fail(std::string_view rule) const {
  if (path_.empty()) throw InputError(fmt::format("{}: {}", file_, rule));
  throw InputError(fmt::format("{}: {}: {}", file_, path_, rule));
}

bool JsonAt::Has(std::string_view key) const {
  return value_->is_object() && value_->contains(key);
}

JsonAt JsonAt::Child(std::string_view key) const {
  if (!value_->is_object()) Fail("must be an object");
  const std::string sub = path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  const auto it = value_->find(key);
  if (it == value_->end()) Fail(fmt::format("missing key '{}'", key));
  return JsonAt(*it, file_, sub);
}

std::vector<JsonAt> JsonAt::Elements() const {
  if (!value_->is_array()) Fail(fmt::format("must be an array, got {}", Describe(*value_)));
  std::vector<JsonAt> out;
  for (size_t i = 0; i < value_->size(); ++i) {
    out.emplace_back((*value_)[i], file_, fmt::format("{}[{}]", path_, i));
  }
  return out;
}

std::vector<std::string> JsonAt::Keys() const {
  if (!value_->is_object()) Fail(fmt::format("must be an object, got {}", Describe(*value_)));
  std::vector<std::string> keys;
  for (const auto& item : value_->items()) keys.push_back(item.key());
  return keys;
}

void JsonAt::CheckKeys(const std::vector<std::string>& allowed) const {
  for (const std::string& key : Keys()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      Fail(fmt::format("unknown key '{}'{}", key, DidYouMean(key, allowed)));
    }
  }
}

std::string JsonAt::String() const {
  if (!value_->is_string()) Fail(fmt::format("must be a string, got {}", Describe(*value_)));
  return value_->get<std::string>();
}

double JsonAt::Number() const {
  if (!value_->is_number()) Fail(fmt::format("must be a number, got {}", Describe(*value_)));
  const double v = value_->get<double>();
  if (!std::isfinite(v)) Fail("must be finite");
  return v;
}

double JsonAt::NumberAtLeast(double lo) const {
  const double v = Number();
  if (v < lo) Fail(fmt::format("must be >= {:g}, got {}", lo, Describe(*value_)));
  return v;
}

double JsonAt::Positive() const {
  const double v = Number();
  if (!(v > 0)) Fail(fmt::format("must be > 0, got {}", Describe(*value_)));
  return v;
}

int64_t JsonAt::Int(int64_t lo) const {
  if (!value_->is_number_integer()) {
    Fail(fmt::format("must be an integer, got {}", Describe(*value_)));
  }
  const int64_t v = value_->get<int64_t>();
  if (v < lo) Fail(fmt::format("must be >= {}, got {}", lo, v));
  return v;
}

std::string JsonAt::Enum(const std::vector<std::string>& choices) const {
  const std::string v = String();
  if (std::find(choices.begin(), choices.end(), v) != choices.end()) return v;
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : ", ") + c;
  Fail(fmt::format("must be one of {}, got '{}'{}", list, v, DidYouMean(v, choices)));
}

nlohmann::json ParseJsonDocument(const std::string& text, const std::string& name) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(fmt::format("{}: not valid JSON (parse error at byte {})", name, e.byte));
  }
}

}  // namespace servesim
