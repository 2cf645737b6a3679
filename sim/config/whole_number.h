// ParseWholeNumber: a command-line or file field as a whole decimal number, for the flags and
// fields that are not YAML (`--shard i/N`, `--gpus`, environment variables, result rows).
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>

namespace servesim {

// `text` as a whole decimal number (std::stoll's syntax: optional leading blanks and sign, then
// digits), all of it used; nullopt for anything else, including out-of-range values.
inline std::optional<int64_t> ParseWholeNumber(const std::string& text) {
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (text.empty() || used != text.size()) return std::nullopt;
  return v;
}

}  // namespace servesim
